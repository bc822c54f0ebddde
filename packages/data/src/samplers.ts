/**
 * Samplers decide the order in which a DataLoader reads a map-style dataset
 * (PyTorch's torch.utils.data samplers). Random samplers draw from a
 * `Generator`: give one (or a `seed`) for an order that is the same on every
 * machine; each pass over a sampler continues the generator, so every epoch
 * gets a new order. Without one, each pass seeds a generator from the global
 * stream (`manualSeed`).
 */
import { Generator } from '@duet/core';
import { DataOptionError } from './errors.js';

/** Anything with a length: a dataset, an array. */
export interface Sized {
  readonly length: number;
}

/** Base class: an iterable of dataset indices (or of index batches, for BatchSampler) with a length. */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract readonly length: number;
  abstract [Symbol.iterator](): Iterator<T>;
}

export interface RandomOptions {
  /** The generator to draw from; it advances with each pass. */
  generator?: Generator;
  /** Shorthand for `generator: new Generator(seed)`. */
  seed?: number;
}

function makeGenerator(o: RandomOptions, who: string): Generator | undefined {
  if (o.generator !== undefined && o.seed !== undefined) throw new DataOptionError('seed', `${who}: pass either generator or seed, not both.`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new DataOptionError('seed', `${who}: seed must be an integer; received ${o.seed}.`);
  return o.generator ?? (o.seed !== undefined ? new Generator(o.seed) : undefined);
}

function checkCount(v: number, name: string, who: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new DataOptionError(name, `${who}: ${name} must be a positive integer; received ${v}.`);
  return v;
}

/** 0, 1, ..., length - 1. */
export class SequentialSampler extends Sampler<number> {
  constructor(readonly dataSource: Sized) {
    super();
  }
  get length(): number {
    return this.dataSource.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.dataSource.length; i++) yield i;
  }
}

/**
 * A random order of the dataset (a new one each pass). With `replacement`,
 * `numSamples` indices drawn independently; without it, a permutation (more
 * than one back to back when `numSamples` exceeds the length).
 */
export class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  private readonly _numSamples: number | undefined;
  private readonly generator: Generator | undefined;

  constructor(readonly dataSource: Sized, options: RandomOptions & { replacement?: boolean; numSamples?: number } = {}) {
    super();
    this.replacement = options.replacement ?? false;
    if (options.numSamples !== undefined) checkCount(options.numSamples, 'numSamples', 'RandomSampler');
    this._numSamples = options.numSamples;
    this.generator = makeGenerator(options, 'RandomSampler');
  }
  get length(): number {
    return this._numSamples ?? this.dataSource.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    const gen = this.generator ?? new Generator();
    const n = this.dataSource.length;
    let left = this.length;
    if (this.replacement) {
      for (; left > 0; left--) yield gen.randint(n);
      return;
    }
    while (left > 0) {
      const perm = gen.randperm(n);
      for (let i = 0; i < n && left > 0; i++, left--) yield perm[i]!;
    }
  }
}

/** The given indices, in a random order (a new one each pass). */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: readonly number[];
  private readonly generator: Generator | undefined;
  constructor(indices: ArrayLike<number>, options: RandomOptions = {}) {
    super();
    this.indices = Array.from(indices);
    this.generator = makeGenerator(options, 'SubsetRandomSampler');
  }
  get length(): number {
    return this.indices.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    const perm = (this.generator ?? new Generator()).randperm(this.indices.length);
    for (const p of perm) yield this.indices[p]!;
  }
}

/**
 * Index i drawn with probability `weights[i] / sum(weights)`, `numSamples`
 * times; with `replacement: false` an index is drawn at most once.
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  private readonly generator: Generator | undefined;

  constructor(weights: ArrayLike<number>, numSamples: number, options: RandomOptions & { replacement?: boolean } = {}) {
    super();
    this.weights = Float64Array.from(weights);
    if (this.weights.length === 0 || this.weights.some((w) => !(w >= 0) || !Number.isFinite(w)) || !this.weights.some((w) => w > 0)) {
      throw new DataOptionError('weights', 'WeightedRandomSampler: weights must be finite, non-negative, and not all zero.');
    }
    this.numSamples = checkCount(numSamples, 'numSamples', 'WeightedRandomSampler');
    this.replacement = options.replacement ?? true;
    const positive = this.weights.filter((w) => w > 0).length;
    if (!this.replacement && numSamples > positive) {
      throw new DataOptionError('numSamples', `WeightedRandomSampler: without replacement numSamples (${numSamples}) cannot exceed the number of non-zero weights (${positive}).`);
    }
    this.generator = makeGenerator(options, 'WeightedRandomSampler');
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const gen = this.generator ?? new Generator();
    const w = this.weights;
    if (!this.replacement) {
      // Efraimidis-Spirakis: the largest keys u^(1/w) form a weighted sample without replacement, in draw order.
      const keys = Array.from(w, (wi, i) => ({ i, k: wi > 0 ? Math.log(gen.random() || Number.MIN_VALUE) / wi : -Infinity }));
      keys.sort((a, b) => b.k - a.k);
      for (let k = 0; k < this.numSamples; k++) yield keys[k]!.i;
      return;
    }
    const cdf = new Float64Array(w.length);
    let acc = 0;
    for (let i = 0; i < w.length; i++) cdf[i] = acc += w[i]!;
    for (let k = 0; k < this.numSamples; k++) {
      const u = gen.random() * acc;
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      yield lo;
    }
  }
}

/**
 * Groups the indices of another sampler into lists of `batchSize` (the last
 * one shorter unless `dropLast`). Pass it as the DataLoader's `batchSampler`.
 */
export class BatchSampler extends Sampler<number[]> {
  readonly batchSize: number;
  constructor(readonly sampler: Iterable<number> & Partial<Sized>, batchSize: number, readonly dropLast = false) {
    super();
    this.batchSize = checkCount(batchSize, 'batchSize', 'BatchSampler');
  }
  get length(): number {
    const n = this.sampler.length;
    if (n === undefined) throw new DataOptionError('sampler', 'BatchSampler: its sampler has no length, so the number of batches is unknown.');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
