/**
 * Batches from an iterable or async iterable (Keras's generator / PyDataset
 * adapters): a @duet/data `DataLoader`, a generator, any object with
 * `[Symbol.iterator]` or `[Symbol.asyncIterator]`. Each element is
 * `[x, y]`, `[x, y, sampleWeight]`, `[x]`, `{ x, y, sampleWeight }` or a
 * Tensor `x`. Without `stepsPerEpoch` an epoch is one pass (a new
 * iterator); with it, the same iterator continues across epochs, and a
 * re-iterable source starts a new pass when one runs out.
 */
import { Tensor, tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { Batch, BatchLike, DataAdapter } from './data_adapter.js';

type AnyIterator = Iterator<BatchLike> | AsyncIterator<BatchLike>;

function toTensor(v: unknown, what: string): Tensor {
  if (v instanceof Tensor) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return tensor(v as number[]);
  throw new KerasValueError(`Each batch's ${what} must be a Tensor or nested arrays of numbers. Received: ${String(v)} (of type ${typeof v})`);
}

function toStructure(v: unknown, what: string): Batch['x'] {
  if (Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof Tensor)) return v as Tensor[];
  if (v !== null && typeof v === 'object' && !(v instanceof Tensor) && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, toTensor(e, `${what}.${k}`)]));
  }
  return toTensor(v, what);
}

/** Normalize one element of the iterable into a Batch (Keras's `unpack_x_y_sample_weight`). */
export function unpackBatch(b: BatchLike): Batch {
  if (b instanceof Tensor) return { x: b, y: null, sampleWeight: null };
  if (Array.isArray(b)) {
    if (b.length < 1 || b.length > 3) {
      throw new KerasValueError(`Data is expected to be in format \`x\`, \`[x]\`, \`[x, y]\`, or \`[x, y, sample_weight]\`, found an array of length ${b.length}.`);
    }
    return {
      x: toStructure(b[0], 'x'),
      y: b.length > 1 && b[1] != null ? toStructure(b[1], 'y') : null,
      sampleWeight: b.length > 2 && b[2] != null ? toTensor(b[2], 'sample_weight') : null,
    };
  }
  if (b !== null && typeof b === 'object' && 'x' in b) {
    const o = b as { x: unknown; y?: unknown; sampleWeight?: unknown };
    return { x: toStructure(o.x, 'x'), y: o.y == null ? null : toStructure(o.y, 'y'), sampleWeight: o.sampleWeight == null ? null : toTensor(o.sampleWeight, 'sample_weight') };
  }
  throw new KerasValueError(`Data is expected to be in format \`x\`, \`[x]\`, \`[x, y]\`, or \`[x, y, sample_weight]\`. Received: ${String(b)}`);
}

export class IterableDataAdapter implements DataAdapter {
  readonly numSamples = null;
  numBatches: number | null;
  readonly async: boolean;
  exhausted = false;
  private it: AnyIterator | null = null;
  private step = 0;
  private counted = 0;

  constructor(
    private readonly source: Iterable<BatchLike> | AsyncIterable<BatchLike>,
    private readonly stepsPerEpoch: number | null = null,
  ) {
    this.async = typeof (source as Iterable<unknown>)[Symbol.iterator] !== 'function';
    const len = (source as { length?: unknown }).length;
    this.numBatches = stepsPerEpoch ?? (typeof len === 'number' && Number.isInteger(len) ? len : null);
  }

  private fresh(): AnyIterator {
    return this.async ? (this.source as AsyncIterable<BatchLike>)[Symbol.asyncIterator]() : (this.source as Iterable<BatchLike>)[Symbol.iterator]();
  }

  /** True when iterating the source again gives the same iterator (a generator): it cannot restart. */
  private get singleUse(): boolean {
    return (this.source as unknown) === this.it;
  }

  beginEpoch(): void {
    this.step = 0;
    this.counted = 0;
    if (this.stepsPerEpoch === null || this.it === null) this.it = this.fresh();
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.stepsPerEpoch !== null && this.step >= this.stepsPerEpoch) return null;
    const r = this.it!.next();
    if (r instanceof Promise) return r.then((v) => this.handle(v, true) as Promise<Batch | null> | Batch | null);
    return this.handle(r, false) as Batch | null;
  }

  private handle(r: IteratorResult<BatchLike>, isAsync: boolean): Batch | null | Promise<Batch | null> {
    if (!r.done) {
      this.step++;
      this.counted++;
      return unpackBatch(r.value);
    }
    if (this.stepsPerEpoch === null) {
      // One pass per epoch: now the number of batches is known.
      if (this.numBatches === null) this.numBatches = this.counted;
      return null;
    }
    if (this.singleUse || this.counted === 0) {
      this.exhausted = true;
      return null;
    }
    this.it = this.fresh();
    this.counted = 0;
    const again = this.it.next();
    if (again instanceof Promise || isAsync) return Promise.resolve(again).then((v) => (v.done ? ((this.exhausted = true), null) : this.handle(v, true)));
    return again.done ? ((this.exhausted = true), null) : this.handle(again, false);
  }

  touch(): void {}
  // Batches from an iterable are the iterable's (a DataLoader's are released at its own step boundaries).
  releaseBatch(): void {}
  dispose(): void {}
}
