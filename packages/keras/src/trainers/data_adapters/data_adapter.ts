/**
 * Data adapters (Keras 3's `trainers/data_adapters/`): what `fit`,
 * `evaluate` and `predict` accept, turned into batches. `x`/`y` may be
 * Tensors, nested number arrays, arrays of Tensors (several inputs or
 * outputs), objects keyed by input/output name, or `x` alone may be an
 * iterable / async iterable of batches (`[x, y]`, `[x, y, sampleWeight]`,
 * or `x`), such as a @duet/data `DataLoader`.
 */
import { Tensor } from '@duet/core';

/** One batch: model inputs, targets (or null), sample weights (or null). */
export interface Batch {
  x: Tensor | Tensor[] | Record<string, Tensor>;
  y: Tensor | Tensor[] | Record<string, Tensor> | null;
  sampleWeight: Tensor | null;
}

type Nested = number | boolean | readonly Nested[];
/** Array-like data: a Tensor, nested arrays, an array of Tensors, or an object of Tensors by name. */
export type ArrayData = Tensor | readonly Nested[] | Float32Array | Int32Array | readonly Tensor[] | Readonly<Record<string, Tensor>>;
/** A batch as an iterable yields it. */
export type BatchLike = Tensor | readonly unknown[] | { x: unknown; y?: unknown; sampleWeight?: unknown };
export type XData = ArrayData | Iterable<BatchLike> | AsyncIterable<BatchLike>;
export type YData = ArrayData;

/** How the trainer consumes data: batches per epoch, either synchronously or asynchronously. */
export interface DataAdapter {
  /** Batches per epoch, or null when unknown until an epoch has ended. */
  readonly numBatches: number | null;
  /** Samples (arrays only). */
  readonly numSamples: number | null;
  /** Whether `next()` returns Promises. */
  readonly async: boolean;
  /** Start epoch `epoch`; `steps` limits it (stepsPerEpoch). */
  beginEpoch(epoch: number): void;
  /** The next batch of this epoch, or null at its end (a Promise when `async`). */
  next(): Batch | null | Promise<Batch | null>;
  /** True if the data ran out before `stepsPerEpoch` steps (training then stops, as Keras). */
  readonly exhausted: boolean;
  /** Mark the adapter's tensors as used now (keeps data given after training started alive between epochs). */
  touch(): void;
  /**
   * Free the tensors the adapter made for the last batch (gathered rows,
   * their indices), once the library's own step is done with them; tensors
   * the caller gave are never freed.
   */
  releaseBatch(): void;
  /** Release what the adapter created. */
  dispose(): void;
}

export function isIterableData(x: unknown): x is Iterable<BatchLike> | AsyncIterable<BatchLike> {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
