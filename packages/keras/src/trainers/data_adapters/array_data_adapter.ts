/**
 * Batches sliced from in-memory arrays (Keras's `ArrayDataAdapter`): x, y
 * and sample weights of the same length, cut into `batchSize` rows in order
 * or in a new random order every epoch (`shuffle: true`; `'batch'` shuffles
 * whole batches). One slice kernel per array per batch.
 */
import { Tensor, randomUniform, tensor } from '@duet/core';
import { DataCardinalityError, KerasValueError } from '../../errors.js';
import type { ArrayData, Batch, DataAdapter } from './data_adapter.js';

type Struct = { kind: 'single'; t: Tensor } | { kind: 'list'; ts: Tensor[] } | { kind: 'dict'; keys: string[]; ts: Tensor[] };

export interface ArrayAdapterOptions {
  batchSize: number;
  shuffle?: boolean | 'batch';
  stepsPerEpoch?: number | null;
}

/** Tensors from arrays (converted ones are recorded in `owned` for release). */
export function toStruct(data: ArrayData, what: string, owned: Tensor[]): Struct {
  const conv = (v: unknown, name: string): Tensor => {
    if (v instanceof Tensor) return v;
    if (Array.isArray(v) || ArrayBuffer.isView(v) || typeof v === 'number') {
      const t = tensor(v as number[]);
      owned.push(t);
      return t;
    }
    throw new KerasValueError(`Unrecognized data type: ${name}=${String(v)} (of type ${typeof v}). Expected a Tensor, nested arrays of numbers, an array of Tensors, or an object of Tensors.`);
  };
  if (data instanceof Tensor) return { kind: 'single', t: data };
  if (Array.isArray(data) && data.length > 0 && data.every((v) => v instanceof Tensor)) return { kind: 'list', ts: data as Tensor[] };
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && !ArrayBuffer.isView(data)) {
    const keys = Object.keys(data);
    return { kind: 'dict', keys, ts: keys.map((k) => conv((data as Record<string, unknown>)[k], `${what}.${k}`)) };
  }
  return { kind: 'single', t: conv(data, what) };
}

export function flatOf(s: Struct): Tensor[] {
  return s.kind === 'single' ? [s.t] : s.ts;
}

function rebuild(s: Struct, ts: Tensor[]): Tensor | Tensor[] | Record<string, Tensor> {
  if (s.kind === 'single') return ts[0]!;
  if (s.kind === 'list') return ts;
  return Object.fromEntries(s.keys.map((k, i) => [k, ts[i]!]));
}

/** The Keras cardinality error when x, y and sample weights do not have the same number of rows. */
export function checkCardinality(parts: [string, Tensor[]][]): number {
  const sizes = parts.map(([, ts]) => ts.map((t) => (t.ndim === 0 ? -1 : t.shape[0]!)));
  const all = new Set(sizes.flat());
  if (all.size !== 1 || all.has(-1)) {
    let msg = 'Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.';
    parts.forEach(([label], i) => (msg += `'${label}' sizes: ${sizes[i]!.join(', ')}\n`));
    throw new DataCardinalityError(msg);
  }
  return [...all][0]!;
}

function mark(made: Tensor[], t: Tensor): Tensor {
  made.push(t);
  return t;
}

export class ArrayDataAdapter implements DataAdapter {
  readonly numSamples: number;
  readonly numBatches: number;
  readonly async = false;
  exhausted = false;
  private readonly xs: Struct;
  private readonly ys: Struct | null;
  private readonly sw: Tensor | null;
  private readonly batchSize: number;
  private readonly shuffle: boolean | 'batch';
  private readonly stepsPerEpoch: number | null;
  private order: Int32Array | null = null;
  private cursor = 0;
  private stepInEpoch = 0;
  private readonly owned: Tensor[];
  /** The tensors made for the last batch (releaseBatch). */
  private readonly made: Tensor[] = [];

  constructor(x: ArrayData, y: ArrayData | null | undefined, sampleWeight: ArrayData | null | undefined, options: ArrayAdapterOptions, owned: Tensor[] = []) {
    this.owned = owned;
    this.xs = toStruct(x, 'x', this.owned);
    this.ys = y === null || y === undefined ? null : toStruct(y, 'y', this.owned);
    const sws = sampleWeight === null || sampleWeight === undefined ? null : toStruct(sampleWeight, 'sample_weight', this.owned);
    if (sws !== null && sws.kind !== 'single') throw new KerasValueError('`sample_weight` must be a single array of per-sample weights.');
    this.sw = sws === null ? null : (sws as { t: Tensor }).t;
    const parts: [string, Tensor[]][] = [['x', flatOf(this.xs)]];
    if (this.ys !== null) parts.push(['y', flatOf(this.ys)]);
    if (this.sw !== null) parts.push(['sample_weight', [this.sw]]);
    this.numSamples = checkCardinality(parts);
    const bs = options.batchSize;
    if (!Number.isInteger(bs) || bs <= 0) throw new KerasValueError(`Argument \`batch_size\` must be a positive integer. Received: batch_size=${String(bs)}`);
    this.batchSize = bs;
    this.shuffle = options.shuffle ?? false;
    this.stepsPerEpoch = options.stepsPerEpoch ?? null;
    const full = Math.ceil(this.numSamples / bs);
    this.numBatches = this.stepsPerEpoch ?? full;
  }

  /** The tensors of this data (for validation splits). */
  get structs(): { x: Struct; y: Struct | null; sw: Tensor | null } {
    return { x: this.xs, y: this.ys, sw: this.sw };
  }

  private newPass(): void {
    this.cursor = 0;
    const n = this.numSamples;
    if (this.shuffle === false) {
      this.order = null;
      return;
    }
    // Fisher-Yates on the host with core's seeded generator (manualSeed).
    const nb = Math.ceil(n / this.batchSize);
    const units = this.shuffle === 'batch' ? nb : n;
    const perm = new Int32Array(units);
    for (let i = 0; i < units; i++) perm[i] = i;
    for (let i = units - 1; i > 0; i--) {
      const j = Math.floor(randomUniform() * (i + 1));
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
    }
    if (this.shuffle !== 'batch') {
      this.order = perm;
      return;
    }
    const order = new Int32Array(n);
    let k = 0;
    for (const b of perm) for (let i = b * this.batchSize; i < Math.min(n, (b + 1) * this.batchSize); i++) order[k++] = i;
    this.order = order;
  }

  beginEpoch(): void {
    this.stepInEpoch = 0;
    if (this.stepsPerEpoch === null || this.order === null || this.cursor >= this.numSamples) this.newPass();
  }

  next(): Batch | null {
    if (this.stepsPerEpoch !== null && this.stepInEpoch >= this.stepsPerEpoch) return null;
    if (this.cursor >= this.numSamples) {
      if (this.stepsPerEpoch === null) return null;
      this.newPass();
    }
    const start = this.cursor;
    const len = Math.min(this.batchSize, this.numSamples - start);
    this.cursor += len;
    this.stepInEpoch++;
    let take: (t: Tensor) => Tensor;
    const made = this.made;
    made.length = 0;
    if (this.order === null) take = (t) => (start === 0 && len === t.shape[0] ? t : mark(made, t.narrow(0, start, len)));
    else {
      const idx = mark(made, tensor(this.order.subarray(start, start + len), { dtype: 'int32' }));
      take = (t) => mark(made, t.indexSelect(0, idx));
    }
    return {
      x: rebuild(this.xs, flatOf(this.xs).map(take)),
      y: this.ys === null ? null : rebuild(this.ys, flatOf(this.ys).map(take)),
      sampleWeight: this.sw === null ? null : take(this.sw),
    };
  }

  releaseBatch(): void {
    for (const t of this.made) if (!t.isDisposed) t.dispose();
    this.made.length = 0;
  }

  touch(): void {
    for (const t of [...flatOf(this.xs), ...(this.ys === null ? [] : flatOf(this.ys)), ...(this.sw === null ? [] : [this.sw])]) t._stored();
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}

/**
 * Keras's `validation_split`: the last `split` fraction of the arrays
 * (before any shuffling) becomes the validation data. Returns the two
 * halves (new tensors, recorded in `owned`).
 */
export function splitArrays(x: ArrayData, y: ArrayData | null | undefined, sw: ArrayData | null | undefined, split: number, owned: Tensor[]) {
  if (!(split > 0 && split < 1)) throw new KerasValueError(`\`validation_split\` must be between 0 and 1. Received: validation_split=${split}`);
  const xs = toStruct(x, 'x', owned);
  const ys = y === null || y === undefined ? null : toStruct(y, 'y', owned);
  const sws = sw === null || sw === undefined ? null : toStruct(sw, 'sample_weight', owned);
  const parts: [string, Tensor[]][] = [['x', flatOf(xs)]];
  if (ys !== null) parts.push(['y', flatOf(ys)]);
  const n = checkCardinality(parts);
  const at = Math.floor(n * (1 - split));
  if (at === 0 || at === n) {
    throw new KerasValueError(`Training data contains ${n} samples, which is not sufficient to split it into a validation and training set as specified by \`validation_split=${split}\`. Either provide more data, or a different value for the \`validation_split\` argument.`);
  }
  const cut = (s: Struct, a: number, len: number) => {
    const ts = flatOf(s).map((t) => {
      const r = t.narrow(0, a, len).keep();
      owned.push(r);
      return r;
    });
    return rebuild(s, ts);
  };
  const half = (a: number, len: number) => ({
    x: cut(xs, a, len), y: ys === null ? null : cut(ys, a, len), sw: sws === null ? null : cut(sws, a, len) as Tensor,
  });
  return { train: half(0, at), val: half(at, n - at) };
}
