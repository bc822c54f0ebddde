/**
 * Typed errors of @duet/data. Each has a stable `code`, names the file,
 * option or item at fault, and says what was expected and what was received.
 */
import { DuetError } from '@duet/core';

/** A bad option or argument: a batch size of 0, `sampler` together with `shuffle`, ... */
export class DataOptionError extends DuetError {
  /** The option or argument at fault, e.g. `'batchSize'`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_DATA_OPTION', message);
    this.option = option;
  }
}

/** A file or folder that does not exist or cannot be read. */
export class DatasetNotFoundError extends DuetError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DATASET_NOT_FOUND', message, options);
    this.path = path;
  }
}

/**
 * A file whose content is not what the dataset expects: a wrong IDX magic
 * number, a truncated file, image and label counts that differ, a bad CSV row,
 * an empty class folder, an image that cannot be decoded.
 */
export class DatasetFormatError extends DuetError {
  readonly path: string;
  /** 1-based line number, for text formats. */
  readonly line: number | undefined;
  constructor(path: string, message: string, options?: { line?: number; cause?: unknown }) {
    super('ERR_DATASET_FORMAT', message, options);
    this.path = path;
    this.line = options?.line;
  }
}

/** An index outside `[0, length)` of a map-style dataset. */
export class DataIndexError extends DuetError {
  constructor(message: string) {
    super('ERR_DATA_INDEX', message);
  }
}

/**
 * An error raised inside a DataLoader worker thread, re-raised in the training
 * loop. `index` is the dataset item that failed (undefined when the worker
 * failed outside an item, e.g. while importing the dataset module);
 * `workerStack` is the stack inside the worker; `cause` the rebuilt original.
 */
export class DataWorkerError extends DuetError {
  readonly workerId: number;
  readonly index: number | undefined;
  readonly workerStack: string | undefined;
  constructor(workerId: number, index: number | undefined, message: string, options?: { cause?: unknown; workerStack?: string }) {
    super('ERR_DATA_WORKER', message, options);
    this.workerId = workerId;
    this.index = index;
    this.workerStack = options?.workerStack;
  }
}
