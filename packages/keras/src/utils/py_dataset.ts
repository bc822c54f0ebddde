/**
 * `keras.utils.PyDataset` (Keras 3's `trainers/data_adapters/py_dataset_adapter.py`):
 * a dataset of whole batches, subclassed with `length` (Python's `__len__`,
 * the number of batches) and `get(index)` (Python's `__getitem__`, batch
 * `index` as `[x, y]`, `[x, y, sampleWeight]` or `x`), the names @duet/data's
 * `Dataset` uses for PyTorch's. `fit` visits the batches in a new random
 * order each epoch when it shuffles (its default), as Keras does, and calls
 * `onEpochBegin` / `onEpochEnd` around each pass.
 *
 * @example
 * ```ts
 * class Batches extends keras.utils.PyDataset {
 *   constructor(readonly x: Tensor, readonly y: Tensor, readonly batchSize: number) { super(); }
 *   get length() { return Math.ceil(this.x.shape[0]! / this.batchSize); }
 *   get(i: number) { return [this.x.slice(0, i * this.batchSize, (i + 1) * this.batchSize), this.y.slice(0, i * this.batchSize, (i + 1) * this.batchSize)]; }
 * }
 * await model.fit(new Batches(x, y, 32), { epochs: 2 });
 * ```
 */
import { KerasValueError } from '../errors.js';
import type { BatchLike } from '../trainers/data_adapters/data_adapter.js';

export interface PyDatasetOptions {
  /**
   * Keras's number of threads or processes that prepare batches ahead
   * (default 1). Duet prepares each batch when the step asks for it, on the
   * one JavaScript thread, so this changes neither the batches nor their
   * order: it is checked and kept, so that Keras code that passes it runs.
   */
  workers?: number;
  /** Keras's switch to processes instead of threads (default false); kept as `workers` is. */
  useMultiprocessing?: boolean;
  /** Keras's bound on batches prepared ahead (default 10); kept as `workers` is. */
  maxQueueSize?: number;
}

export abstract class PyDataset implements Iterable<BatchLike> {
  readonly workers: number;
  readonly useMultiprocessing: boolean;
  readonly maxQueueSize: number;

  constructor(options: PyDatasetOptions = {}) {
    const { workers = 1, useMultiprocessing = false, maxQueueSize = 10 } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new KerasValueError(`\`workers\` must be a positive integer. Received: workers=${String(workers)}`);
    if (typeof useMultiprocessing !== 'boolean') throw new KerasValueError(`\`use_multiprocessing\` must be a boolean. Received: useMultiprocessing=${String(useMultiprocessing)}`);
    if (!Number.isInteger(maxQueueSize) || maxQueueSize < 1) throw new KerasValueError(`\`max_queue_size\` must be a positive integer. Received: maxQueueSize=${String(maxQueueSize)}`);
    this.workers = workers;
    this.useMultiprocessing = useMultiprocessing;
    this.maxQueueSize = maxQueueSize;
  }

  /** The number of batches (Python's `__len__`). */
  abstract get length(): number;

  /** Batch `index` (Python's `__getitem__`). */
  abstract get(index: number): BatchLike;

  /** Batches per epoch (Keras's `num_batches`): `length` unless overridden. */
  get numBatches(): number {
    return this.length;
  }

  /** Called before each epoch's first batch. */
  onEpochBegin(): void {}

  /** Called after each epoch's last batch (e.g. to reshuffle the samples). */
  onEpochEnd(): void {}

  /** The batches in order, one pass. */
  *[Symbol.iterator](): Iterator<BatchLike> {
    const n = this.numBatches;
    for (let i = 0; i < n; i++) yield this.get(i);
  }
}
