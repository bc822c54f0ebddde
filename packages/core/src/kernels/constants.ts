/**
 * The one cache of native constants (scalars, axes, shapes, perms, index maps,
 * pooling divisors): each is uploaded once and reused, so a hot op does not
 * re-upload `0.1` or `[0]` every step.
 *
 * The cache is split into bounded sections, one per kind of key, each a least
 * recently used list: past its bound a section releases its oldest entry, so
 * a value that changes every step (a scheduled learning rate, a scalar
 * operand) keeps the native tensor count flat instead of growing, and cannot
 * evict the shapes and axes that every step needs. Callers use an entry as a
 * kernel input right away and never hold it across calls; since a hit becomes
 * the most recent, an op that fetches two constants cannot lose the first
 * while fetching the second.
 */
import { tf, type TfTensor } from '../engine.js';

/** One bounded section of the constant cache (an LRU list of native constants). */
export class ConstSection {
  private readonly entries = new Map<string, TfTensor>();
  constructor(private readonly max: number) {
    sections.push(this);
  }

  /** The constant for `key`, made by `make` (and kept) on first use. */
  get(key: string, make: () => TfTensor): TfTensor {
    let t = this.entries.get(key);
    if (t !== undefined) {
      this.entries.delete(key); // most recent last
      this.entries.set(key, t);
    } else {
      if (this.entries.size >= this.max) {
        const [oldKey, old] = this.entries.entries().next().value as [string, TfTensor];
        this.entries.delete(oldKey);
        old.dispose();
      }
      t = tf().keep(make());
      this.entries.set(key, t);
    }
    return t;
  }

  get size(): number {
    return this.entries.size;
  }
}

const sections: ConstSection[] = [];

/** Scalars of any dtype (operands such as `x * 0.5`, optimizer hyper-parameters). */
const scalars = new ConstSection(1024);
/** int32 shapes, axes, perms and index maps. */
const ints = new ConstSection(3072);
/** float32 arrays named by their caller (pooling divisor maps, bin matrices). */
const floats = new ConstSection(1024);

/** A native scalar for `v` in `dtype`, uploaded once. */
export function scalarConst(v: number | boolean, dtype: 'float32' | 'int32' | 'bool'): TfTensor {
  const key = dtype + (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  return scalars.get(key, () => tf().scalar(v as number, dtype));
}

/**
 * An int32 constant: a number is a scalar (shape []), an array a vector unless
 * `shape` says otherwise (a shape, an axis list, a perm, an index map).
 */
export function intConst(values: number | readonly number[], shape?: readonly number[]): TfTensor {
  if (typeof values === 'number') return ints.get(`s${values}`, () => tf().scalar(values, 'int32'));
  const s = shape ?? [values.length];
  return ints.get(`${s.join('x')}:${values.join(',')}`, () => tf().tensor(Int32Array.from(values), s as number[], 'int32'));
}

/** A float32 constant named by `key` (it must identify the values), built by `fill` on first use. */
export function floatConst(key: string, shape: readonly number[], fill: () => Float32Array): TfTensor {
  return floats.get(key, () => tf().tensor(fill(), shape as number[], 'float32'));
}

/**
 * Hyper-parameters that a scheduler may change every step (a momentum, Adam's
 * beta1) are not cached by value: each new value would become a new constant
 * until the section's bound. Each is kept in a named slot (one per kernel
 * argument, e.g. 'momentumStep_.momentum') holding the last value: a constant
 * value is uploaded once, a changed one replaces the slot's scalar (one
 * upload, the old scalar released), so the count stays flat either way.
 */
const slots = new Map<string, { v: number; t: TfTensor }>();

/** A float32 native scalar for `v`, kept in slot `slot` until a call with another value replaces it. */
export function slotScalar(slot: string, v: number): TfTensor {
  const e = slots.get(slot);
  if (e !== undefined) {
    if (Object.is(e.v, v)) return e.t;
    e.t.dispose();
  }
  const t = tf().keep(tf().scalar(v, 'float32'));
  slots.set(slot, { v, t });
  return t;
}

/** Native constants held by the cache, over all sections and slots. */
export function constantCount(): number {
  let n = slots.size;
  for (const s of sections) n += s.size;
  return n;
}
