/**
 * Datasets: map-style (`length` + `get(i)`, like PyTorch's `__len__` and
 * `__getitem__`) and iterable (a stream), plus the compositions PyTorch has:
 * TensorDataset, Subset, ConcatDataset and randomSplit.
 */
import { Generator, Tensor, tensor } from '@duet/core';
import { DataIndexError, DataOptionError } from './errors.js';
import type { WorkerSpec } from './worker_spec.js';

/** What a DataLoader accepts as a map-style dataset: anything with `length` and `get(i)`. */
export interface MapDataset<T = unknown> {
  readonly length: number;
  /** The item at `index` in `[0, length)`; may return a Promise (async datasets). */
  get(index: number): T | Promise<T>;
  /**
   * Optional: a whole batch at once, already collated (PyTorch's `__getitems__`).
   * The DataLoader uses it instead of `get` + the default collate.
   */
  getBatch?(indices: number[]): unknown;
  /** Optional: how a worker thread builds its own copy (see docs/data.md). */
  toWorkerSpec?(): WorkerSpec;
}

/**
 * A map-style dataset: subclass it and implement `length` and `get(index)`.
 *
 * @example
 * ```ts
 * class Squares extends Dataset<[number, number]> {
 *   get length() { return 10; }
 *   get(i: number): [number, number] { return [i, i * i]; }
 * }
 * ```
 */
export abstract class Dataset<T = unknown> implements MapDataset<T> {
  abstract readonly length: number;
  abstract get(index: number): T | Promise<T>;
}

/**
 * A dataset read as a stream (PyTorch's IterableDataset): implement
 * `[Symbol.iterator]` (usable with sync and async loops) or
 * `[Symbol.asyncIterator]` (async only). Inside DataLoader workers every worker
 * iterates its own copy: use `getWorkerInfo()` to give each worker its share.
 */
export abstract class IterableDataset<T = unknown> implements AsyncIterable<T> {
  /** Optional number of items, if known (lets `DataLoader.length` answer). */
  readonly length?: number;
  /** Optional: how a worker thread builds its own copy (see docs/data.md). */
  toWorkerSpec?(): WorkerSpec;

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const sync = (this as unknown as Partial<Iterable<T>>)[Symbol.iterator];
    if (typeof sync !== 'function') {
      throw new TypeError(`${this.constructor.name} extends IterableDataset but implements neither [Symbol.iterator] nor [Symbol.asyncIterator].`);
    }
    // Not `yield* this`: in an async generator that would call this very method again.
    const it = sync.call(this);
    let done = false;
    try {
      for (let r = it.next(); !(done = r.done === true); r = it.next()) yield r.value;
    } finally {
      if (!done) it.return?.(); // left early: close the sync iterator, as for...of would
    }
  }
}

/** True for an IterableDataset or any object that is iterable but has no `get`. */
export function isIterableDataset(d: unknown): d is IterableDataset | Iterable<unknown> | AsyncIterable<unknown> {
  if (d instanceof IterableDataset) return true;
  if (d === null || typeof d !== 'object' || typeof (d as MapDataset).get === 'function') return false;
  return Symbol.iterator in d || Symbol.asyncIterator in d;
}

/** Python-style index check: `-length <= i < length`; returns the index in `[0, length)`. */
export function checkIndex(i: number, length: number, what: string): number {
  if (!Number.isInteger(i) || i < -length || i >= length) {
    throw new DataIndexError(`${what}: index ${i} is out of range; expected an integer in [0, ${length}) (or [-${length}, 0) from the end).`);
  }
  return i < 0 ? i + length : i;
}

/**
 * Samples are the i-th rows of each tensor (PyTorch's TensorDataset). The
 * tensors are kept (they live as long as the dataset); all need the same
 * first dimension.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(x, y); // x [N, 784], y [N]
 * const [xi, yi] = ds.get(0);
 * ```
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  /** JavaScript copies of the tensors' values for `getBatch` (null: too large, gather natively), with the versions they were taken at. */
  private host: { data: HostArray[]; versions: number[] } | null | undefined;
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new DataOptionError('tensors', 'TensorDataset: expected at least one tensor.');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.ndim === 0) {
        throw new DataOptionError('tensors', `TensorDataset: argument ${i} must be a Tensor with at least one dimension; received ${t instanceof Tensor ? 'a 0-d Tensor' : typeof t}.`);
      }
    });
    const n = tensors[0]!.shape[0]!;
    const bad = tensors.findIndex((t) => t.shape[0] !== n);
    if (bad >= 0) {
      throw new DataOptionError('tensors', `TensorDataset: size mismatch between tensors: tensor 0 has ${n} rows, tensor ${bad} has ${tensors[bad]!.shape[0]} (shape [${tensors[bad]!.shape.join(', ')}]).`);
    }
    this.tensors = tensors.map((t) => t.keep());
  }
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }
  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length, 'TensorDataset.get');
    return this.tensors.map((t) => t.select(0, i));
  }
  /**
   * The rows at `indices` of each tensor, as one batch. Gathered in JavaScript
   * from a copy of the values (taken on first use, again after an in-place
   * change), so that each batch keeps the array it was made from and moving
   * it out of native memory after its step copies nothing
   * (docs/design/memory.md); datasets over 256 MB gather natively instead.
   */
  getBatch(indices: number[]): Tensor[] {
    const idx = Int32Array.from(indices, (i) => checkIndex(i, this.length, 'TensorDataset.getBatch'));
    const host = this.hostCopy();
    if (host === null) {
      const it = tensor(idx, { dtype: 'int32' });
      return this.tensors.map((t) => t.indexSelect(0, it));
    }
    return this.tensors.map((t, k) => {
      const src = host[k]!;
      const row = t.numel() / t.shape[0]!;
      const out = new (src.constructor as new (n: number) => HostArray)(idx.length * row);
      for (let j = 0; j < idx.length; j++) out.set(src.subarray(idx[j]! * row, (idx[j]! + 1) * row), j * row);
      return tensor(out, { shape: [idx.length, ...t.shape.slice(1)], dtype: t.dtype });
    });
  }

  private hostCopy(): HostArray[] | null {
    if (this.host === null) return null;
    if (this.host !== undefined && this.tensors.every((t, k) => t._version === this.host!.versions[k])) return this.host.data;
    let bytes = 0;
    for (const t of this.tensors) bytes += t.numel() * 4;
    if (bytes > HOST_GATHER_BYTES) {
      this.host = null;
      return null;
    }
    this.host = { data: this.tensors.map((t) => t.dataSync()), versions: this.tensors.map((t) => t._version) };
    return this.host.data;
  }
}

type HostArray = Float32Array | Int32Array | Uint8Array;
/** Largest TensorDataset whose batches are gathered from a JavaScript copy. */
const HOST_GATHER_BYTES = 256 * 2 ** 20;

/** The items of `dataset` at `indices`, in that order (PyTorch's Subset). */
export class Subset<T = unknown> extends Dataset<T> {
  readonly dataset: MapDataset<T>;
  readonly indices: readonly number[];
  constructor(dataset: MapDataset<T>, indices: ArrayLike<number>) {
    super();
    this.dataset = dataset;
    this.indices = Array.from(indices, (i) => checkIndex(i, dataset.length, 'Subset'));
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): T | Promise<T> {
    return this.dataset.get(this.indices[checkIndex(index, this.length, 'Subset.get')]!);
  }
  toWorkerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: 'Subset', args: [this.dataset, this.indices] };
  }
}

/** Several datasets one after the other (PyTorch's ConcatDataset). */
export class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly datasets: MapDataset<T>[];
  /** `cumulativeSizes[k]` = total length of datasets 0..k. */
  readonly cumulativeSizes: number[];
  constructor(datasets: MapDataset<T>[]) {
    super();
    if (!Array.isArray(datasets) || datasets.length === 0) throw new DataOptionError('datasets', 'ConcatDataset: expected a non-empty array of datasets.');
    datasets.forEach((d, i) => {
      if (isIterableDataset(d) || typeof d?.get !== 'function') {
        throw new DataOptionError('datasets', `ConcatDataset: dataset ${i} is not a map-style dataset (with length and get(i)); received ${d?.constructor?.name ?? typeof d}.`);
      }
    });
    this.datasets = datasets;
    let total = 0;
    this.cumulativeSizes = datasets.map((d) => (total += d.length));
  }
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }
  get(index: number): T | Promise<T> {
    const i = checkIndex(index, this.length, 'ConcatDataset.get');
    let lo = 0;
    let hi = this.cumulativeSizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid]! > i) hi = mid;
      else lo = mid + 1;
    }
    const start = lo === 0 ? 0 : this.cumulativeSizes[lo - 1]!;
    return this.datasets[lo]!.get(i - start);
  }
  toWorkerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: 'ConcatDataset', args: [this.datasets] };
  }
}

/**
 * Split a dataset into non-overlapping random subsets, by fractions that sum
 * to 1 (`[0.8, 0.2]`) or by counts that sum to its length. The same seed gives
 * the same split on every machine.
 *
 * @example
 * ```ts
 * const [train, val] = randomSplit(ds, [0.8, 0.2], { seed: 42 });
 * ```
 */
export function randomSplit<T>(dataset: MapDataset<T>, lengths: number[], options: { seed?: number; generator?: Generator } = {}): Subset<T>[] {
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => !(l >= 0))) {
    throw new DataOptionError('lengths', `randomSplit: expected an array of non-negative fractions or counts; received ${JSON.stringify(lengths)}.`);
  }
  let counts: number[];
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) < 1e-6 && sum <= n) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]! += 1;
  } else {
    if (!lengths.every(Number.isInteger) || sum !== n) {
      throw new DataOptionError('lengths', `randomSplit: lengths must be fractions summing to 1 or counts summing to the dataset's length ${n}; received ${JSON.stringify(lengths)} (sum ${sum}).`);
    }
    counts = lengths;
  }
  const gen = options.generator ?? new Generator(options.seed);
  const perm = gen.randperm(n);
  let offset = 0;
  return counts.map((c) => new Subset(dataset, perm.subarray(offset, (offset += c))));
}
