/**
 * The DataLoader (PyTorch's torch.utils.data.DataLoader): a dataset, a
 * sampler, batching and a collate function, on the main thread or in worker
 * threads. Each batch it hands out is a step boundary (`markStep()`), so the
 * previous batches and what the loop computed from them are released without
 * user code, also in loops with no `backward()`.
 */
import { Generator, lazyRows, markStep } from '@duet/core';
import { defaultCollate, defaultConvert, materialize, type CollateFn } from './collate.js';
import { isIterableDataset, type IterableDataset, type MapDataset } from './dataset.js';
import { DataOptionError } from './errors.js';
import { describe } from './host.js';
import { validateOptions, type DataLoaderOptions } from './loader_options.js';
import { BatchSampler, RandomSampler, SequentialSampler, type Sized } from './samplers.js';
import { encodeDataset, encodeSpec, unpack, TAG } from './worker_spec.js';
import { WorkerPool } from './worker_pool.js';

export type { DataLoaderOptions } from './loader_options.js';

type AnyDataset<T> = MapDataset<T> | IterableDataset<T> | Iterable<T> | AsyncIterable<T> | readonly T[];

/**
 * Batches of a dataset, in a (re)shuffled or sampled order, iterable with
 * `for ... of` (main thread) and `for await` (always; required with workers).
 *
 * @example
 * ```ts
 * const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
 * const loader = new DataLoader(trainSet, { batchSize: 32, shuffle: true });
 * for (const [x, y] of loader) { ... } // x float32 [32, 1, 28, 28], y int32 [32]
 * ```
 */
export class DataLoader<T = any, B = any> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: MapDataset<T> | IterableDataset<T> | Iterable<T> | AsyncIterable<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly persistentWorkers: boolean;
  /** The index order (map-style datasets without a batchSampler). */
  readonly sampler: (Iterable<number> & Partial<Sized>) | undefined;
  /** The batches of indices (map-style datasets). */
  readonly batchSampler: (Iterable<number[]> & Partial<Sized>) | undefined;
  readonly collateFn: CollateFn<T, B> | undefined;
  private readonly iterable: boolean;
  private readonly generator: Generator | undefined;
  /** Seeds the workers' streams each epoch; separate so that the shuffling order is the same with and without workers. */
  private readonly workerSeeds: Generator | undefined;
  private readonly workerDataset: unknown;
  private readonly workerModules: string[] = [];
  private pool: WorkerPool | undefined;

  constructor(dataset: AnyDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const ds = Array.isArray(dataset) ? arrayDataset(dataset as T[]) : dataset;
    this.iterable = isIterableDataset(ds);
    if (!this.iterable && typeof (ds as MapDataset)?.get !== 'function') {
      throw new DataOptionError('dataset', `DataLoader: expected a dataset (with length and get(i), or iterable); received ${describe(dataset)}.`);
    }
    validateOptions(options, this.iterable);
    this.dataset = ds as MapDataset<T>;
    this.batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    this.dropLast = options.dropLast ?? false;
    this.numWorkers = options.numWorkers ?? 0;
    this.prefetchFactor = options.prefetchFactor ?? 2;
    this.persistentWorkers = options.persistentWorkers ?? false;
    this.collateFn = options.collateFn;
    this.generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : undefined);
    this.workerSeeds = this.generator && new Generator(this.generator.randint(2 ** 32));
    if (!this.iterable) {
      if (options.batchSampler !== undefined) {
        this.batchSampler = options.batchSampler;
        this.batchSize = null;
      } else {
        const map = this.dataset as MapDataset<T>;
        this.sampler = options.sampler ?? (options.shuffle ? new RandomSampler(map, { generator: this.generator }) : new SequentialSampler(map));
        if (this.batchSize !== null) this.batchSampler = new BatchSampler(this.sampler, this.batchSize, this.dropLast);
      }
    }
    if (this.numWorkers > 0) {
      this.workerDataset = options.workerDataset !== undefined ? encodeSpec(options.workerDataset) : encodeDataset(ds);
      collectModules(this.workerDataset, this.workerModules);
    }
  }

  /** Number of batches per epoch (samples, with `batchSize: null`). */
  get length(): number {
    if (this.iterable) {
      const n = (this.dataset as { length?: number }).length;
      if (typeof n !== 'number') throw new DataOptionError('dataset', 'DataLoader.length: the dataset is iterable and has no length, so the number of batches is unknown.');
      return this.batchSize === null ? n : this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    const s = this.batchSampler ?? this.sampler!;
    if (typeof s.length !== 'number') throw new DataOptionError('sampler', 'DataLoader.length: the sampler has no length, so the number of batches is unknown.');
    return s.length;
  }

  /** The batches of indices of one epoch (`[i]` per sample without batching). */
  private *indexBatches(): IterableIterator<number[]> {
    if (this.batchSampler !== undefined) {
      for (const b of this.batchSampler) yield Array.isArray(b) ? b : Array.from(b as ArrayLike<number>);
    } else for (const i of this.sampler!) yield [i];
  }

  private collate(samples: T[]): B {
    if (this.batchSize === null && this.batchSampler === undefined) return this.collateFn ? this.collateFn(samples[0] as never) : defaultConvert(samples[0]);
    return this.collateFn ? this.collateFn(samples) : (defaultCollate(samples) as B);
  }

  private fetchBatch(indices: number[]): B | undefined {
    const ds = this.dataset as MapDataset<T>;
    if (this.collateFn === undefined && this.batchSize !== null && typeof ds.getBatch === 'function') return ds.getBatch(indices) as B;
    return undefined;
  }

  /** A step boundary, then the collated batch (for iterable datasets). */
  private emit(chunk: T[]): B {
    markStep();
    return this.collate(chunk);
  }

  /**
   * One epoch on the main thread, shared by `for ... of` and `for await`:
   * it yields what it needs from the loop driving it (the next item of an
   * iterable dataset, the samples at some indices) and the batches to hand
   * out; the sync loop answers synchronously, the async one awaits.
   */
  private *epoch(): Iterator<EpochOp<B>, void, unknown> {
    if (this.iterable) {
      const chunks = new Chunker<T>(this.batchSize ?? 1, this.dropLast);
      for (;;) {
        const r = (yield NEXT) as IteratorResult<T>;
        if (r.done) break;
        const chunk = chunks.push(r.value);
        if (chunk !== undefined) yield { op: 'out', batch: this.emit(chunk) };
      }
      const rest = chunks.rest();
      if (rest !== undefined) yield { op: 'out', batch: this.emit(rest) };
      return;
    }
    for (const indices of this.indexBatches()) {
      markStep();
      const batch = this.fetchBatch(indices);
      if (batch !== undefined) {
        yield { op: 'out', batch };
        continue;
      }
      const samples = (yield { op: 'get', indices }) as T[];
      yield { op: 'out', batch: this.collate(samples) };
    }
  }

  /** Iterate on the main thread (numWorkers 0, synchronous datasets). */
  *[Symbol.iterator](): Iterator<B> {
    if (this.numWorkers > 0) {
      throw new DataOptionError('numWorkers', `DataLoader: with numWorkers ${this.numWorkers} the batches come from worker threads; iterate with \`for await (const batch of loader)\`.`);
    }
    let source: Iterator<T> | undefined;
    if (this.iterable) {
      const it = (this.dataset as Partial<Iterable<T>>)[Symbol.iterator];
      if (typeof it !== 'function') throw new DataOptionError('dataset', 'DataLoader: the dataset can only be read asynchronously (it has no [Symbol.iterator]); iterate with `for await`.');
      source = it.call(this.dataset);
    }
    const ds = this.dataset as MapDataset<T>;
    const getSync = (i: number): T => {
      const s = ds.get(i);
      if (s instanceof Promise) {
        s.catch(() => undefined);
        throw new DataOptionError('dataset', `DataLoader: ${ds.constructor.name}.get(${i}) returned a Promise (an async dataset); iterate with \`for await (const batch of loader)\`.`);
      }
      return s;
    };
    const run = this.epoch();
    let sourceDone = false;
    try {
      let answer: unknown;
      for (let r = run.next(); !r.done; r = run.next(answer)) {
        const op = r.value;
        answer = undefined;
        if (op.op === 'out') yield op.batch;
        else if (op.op === 'next') {
          const n = source!.next();
          sourceDone = n.done === true;
          answer = n;
        } else answer = lazyRows(() => op.indices.map(getSync)); // rows the samples take are gathered per batch (core's select / stack)
      }
    } finally {
      run.return?.();
      // Like `for ... of`: an iteration left early closes the dataset's iterator.
      if (source !== undefined && !sourceDone) source.return?.();
    }
  }

  /** Iterate asynchronously: async datasets, and worker threads when numWorkers > 0. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.numWorkers > 0) {
      yield* this.fromWorkers();
      return;
    }
    let source: AsyncIterator<T> | Iterator<T> | undefined;
    if (this.iterable) {
      const d = this.dataset as Partial<AsyncIterable<T> & Iterable<T>>;
      source = typeof d[Symbol.asyncIterator] === 'function' ? d[Symbol.asyncIterator]!() : d[Symbol.iterator]!();
    }
    const ds = this.dataset as MapDataset<T>;
    const run = this.epoch();
    let sourceDone = false;
    try {
      let answer: unknown;
      for (let r = run.next(); !r.done; r = run.next(answer)) {
        const op = r.value;
        answer = undefined;
        if (op.op === 'out') yield op.batch;
        else if (op.op === 'next') {
          const n = await source!.next();
          sourceDone = n.done === true;
          answer = n;
        } else answer = await Promise.all(lazyRows(() => op.indices.map((i) => ds.get(i))));
      }
    } finally {
      run.return?.();
      if (source !== undefined && !sourceDone) await source.return?.();
    }
  }

  private async *fromWorkers(): AsyncGenerator<B> {
    const pool =
      this.pool ??
      new WorkerPool({
        numWorkers: this.numWorkers, prefetchFactor: this.prefetchFactor, dataset: this.workerDataset,
        collate: this.collateFn === undefined, batchSize: this.batchSize, dropLast: this.dropLast, modules: this.workerModules,
      });
    if (this.persistentWorkers) this.pool = pool;
    pool.start((this.workerSeeds ?? new Generator()).randint(2 ** 32));
    let finished = false;
    try {
      for await (const data of pool.batches(this.iterable ? null : this.indexBatches())) {
        markStep();
        const x = unpack(data);
        if (this.batchSize === null && this.batchSampler === undefined) yield this.collateFn ? this.collateFn(x) : defaultConvert(x);
        else yield this.collateFn ? this.collateFn(x) : materialize(x);
      }
      finished = true;
    } finally {
      if (this.persistentWorkers && finished) pool.idle();
      else {
        pool.terminate();
        if (this.pool === pool) this.pool = undefined;
      }
    }
  }

  /** Stop persistent worker threads now (they also stop with the process). */
  close(): void {
    this.pool?.terminate();
    this.pool = undefined;
  }
}

function arrayDataset<T>(items: readonly T[]): MapDataset<T> {
  return { length: items.length, get: (i: number) => items[i]! };
}

function collectModules(v: unknown, out: string[]): void {
  if (Array.isArray(v)) v.forEach((x) => collectModules(x, out));
  else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const o = v as Record<string, unknown>;
    if (o[TAG] === 'dataset' && typeof o.module === 'string') out.push(o.module);
    Object.values(o).forEach((x) => collectModules(x, out));
  }
}

/** What one epoch's generator asks its loop for, or hands it. */
type EpochOp<B> = { op: 'out'; batch: B } | { op: 'get'; indices: number[] } | { op: 'next' };
const NEXT = { op: 'next' } as const;

/** Groups a stream of items into batches of `size`; the last one partial unless `dropLast`. */
class Chunker<T> {
  private chunk: T[] = [];
  constructor(private readonly size: number, private readonly dropLast: boolean) {}
  /** Adds an item; returns a full batch when one is complete. */
  push(item: T): T[] | undefined {
    this.chunk.push(item);
    if (this.chunk.length < this.size) return undefined;
    const full = this.chunk;
    this.chunk = [];
    return full;
  }
  /** The leftover partial batch, if any and not dropped. */
  rest(): T[] | undefined {
    return this.chunk.length > 0 && !this.dropLast ? this.chunk : undefined;
  }
}
