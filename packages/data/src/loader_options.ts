/** DataLoader options: the documented fields, and their validation with clear errors. */
import { Generator } from '@duet/core';
import { DataOptionError } from './errors.js';
import { describe } from './host.js';
import type { CollateFn } from './collate.js';
import type { Sized } from './samplers.js';
import type { WorkerSpec } from './worker_spec.js';

export interface DataLoaderOptions<T = any, B = any> {
  /** Samples per batch (default 1); `null` hands out single samples (no batching). */
  batchSize?: number | null;
  /** Reshuffle the data every epoch (default false). Not with `sampler` or `batchSampler`. */
  shuffle?: boolean;
  /** The order of indices (an iterable of indices, e.g. a Sampler). Not with `shuffle`. */
  sampler?: Iterable<number> & Partial<Sized>;
  /** Yields whole batches of indices. Not with `batchSize`, `shuffle`, `sampler`, `dropLast`. */
  batchSampler?: Iterable<number[]> & Partial<Sized>;
  /** Drop the last batch if it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: `defaultCollate`). Runs on the main thread. */
  collateFn?: CollateFn<T, B>;
  /** Worker threads that read and transform samples (default 0: on the main thread). */
  numWorkers?: number;
  /** Batches requested ahead per worker (default 2; only with numWorkers > 0). */
  prefetchFactor?: number;
  /** Keep the worker threads between epochs (default false; only with numWorkers > 0). */
  persistentWorkers?: boolean;
  /** Seed of the shuffling order and of the workers' random streams: the same on every machine. */
  seed?: number;
  /** A Generator for the same purpose as `seed` (not both). */
  generator?: Generator;
  /**
   * How each worker thread builds its dataset, when the dataset cannot tell
   * itself (only built-in datasets can). See `WorkerSpec`.
   */
  workerDataset?: WorkerSpec;
}

const KNOWN: readonly (keyof DataLoaderOptions)[] = [
  'batchSize', 'shuffle', 'sampler', 'batchSampler', 'dropLast', 'collateFn', 'numWorkers',
  'prefetchFactor', 'persistentWorkers', 'seed', 'generator', 'workerDataset',
];

/** Python spellings users paste, and the option they mean. */
const PYTHON: Record<string, string> = {
  batch_size: 'batchSize', batch_sampler: 'batchSampler', drop_last: 'dropLast', collate_fn: 'collateFn',
  num_workers: 'numWorkers', prefetch_factor: 'prefetchFactor', persistent_workers: 'persistentWorkers',
};

function fail(option: string, message: string): never {
  throw new DataOptionError(option, `DataLoader: ${message}`);
}

function checkInt(o: DataLoaderOptions, key: 'numWorkers' | 'prefetchFactor' | 'seed', min: number): void {
  const v = o[key];
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) fail(key, `${key} must be an integer >= ${min}; received ${describe(v)}.`);
}

function checkBool(o: DataLoaderOptions, key: 'shuffle' | 'dropLast' | 'persistentWorkers'): void {
  if (o[key] !== undefined && typeof o[key] !== 'boolean') fail(key, `${key} must be true or false; received ${describe(o[key])}.`);
}

/** Throws a DataOptionError naming the option for every invalid or conflicting setting. */
export function validateOptions(o: DataLoaderOptions, iterable: boolean): void {
  if (o === null || typeof o !== 'object') fail('options', `expected an options object; received ${describe(o)}.`);
  for (const key of Object.keys(o)) {
    if (!(KNOWN as string[]).includes(key)) {
      const hint = PYTHON[key] ?? KNOWN.find((k) => k.toLowerCase() === key.toLowerCase());
      fail(key, `unknown option '${key}'${hint ? `; did you mean '${hint}'?` : ''}. Known options: ${KNOWN.join(', ')}.`);
    }
  }
  const { batchSize } = o;
  if (batchSize !== undefined && batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1)) {
    fail('batchSize', `batchSize must be a positive integer (or null for no batching); received ${describe(batchSize)}.`);
  }
  checkBool(o, 'shuffle');
  checkBool(o, 'dropLast');
  checkBool(o, 'persistentWorkers');
  checkInt(o, 'numWorkers', 0);
  checkInt(o, 'prefetchFactor', 1);
  checkInt(o, 'seed', 0);
  for (const key of ['sampler', 'batchSampler'] as const) {
    const s = o[key] as unknown;
    if (s !== undefined && (s === null || typeof (s as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
      fail(key, `${key} must be iterable (a Sampler or an array of ${key === 'sampler' ? 'indices' : 'index arrays'}); received ${describe(s)}.`);
    }
  }
  if (o.collateFn !== undefined && typeof o.collateFn !== 'function') fail('collateFn', `collateFn must be a function; received ${describe(o.collateFn)}.`);
  if (o.generator !== undefined && !(o.generator instanceof Generator)) fail('generator', `generator must be a Generator from @duet/core; received ${describe(o.generator)}.`);
  if (o.generator !== undefined && o.seed !== undefined) fail('seed', 'pass either seed or generator, not both.');
  if (o.sampler !== undefined && o.shuffle) {
    fail('sampler', 'the sampler option is mutually exclusive with shuffle: a sampler already sets the order (use RandomSampler for a random one) or drop shuffle.');
  }
  if (o.batchSampler !== undefined) {
    const clash = (['shuffle', 'sampler', 'dropLast'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
    if (batchSize !== undefined && batchSize !== 1) clash.unshift('batchSize' as never);
    if (clash.length > 0) fail('batchSampler', `the batchSampler option is mutually exclusive with batchSize, shuffle, sampler and dropLast; received it together with ${clash.join(', ')}.`);
  }
  if (batchSize === null && o.dropLast) fail('dropLast', 'batchSize: null (no batching) is mutually exclusive with dropLast.');
  if (iterable) {
    for (const k of ['shuffle', 'sampler', 'batchSampler'] as const) {
      if (o[k] !== undefined && o[k] !== false) fail(k, `the dataset is an IterableDataset, which reads as a stream: it takes no ${k} (shuffle inside the dataset instead).`);
    }
  }
  const workers = o.numWorkers ?? 0;
  if (workers === 0) {
    if (o.prefetchFactor !== undefined) fail('prefetchFactor', 'prefetchFactor only applies with numWorkers > 0 (received numWorkers 0).');
    if (o.persistentWorkers) fail('persistentWorkers', 'persistentWorkers only applies with numWorkers > 0 (received numWorkers 0).');
    if (o.workerDataset !== undefined) fail('workerDataset', 'workerDataset only applies with numWorkers > 0 (received numWorkers 0).');
  }
}
