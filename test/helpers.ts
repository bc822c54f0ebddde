/**
 * Test helpers shared by Duet's tests (tfjs's `expectTensorsClose` and
 * `expectNoLeakedTensors`, Duet-flavoured).
 */
import { assert, expect } from 'vitest';
import { Tensor, memory, scope } from '@duet/core';

type Nested = number | boolean | readonly Nested[];
/** Flat row-major values with their shape (as stored in golden files). */
export interface Shaped {
  shape: readonly number[];
  /** Non-finite floats may be given as the strings 'NaN', 'Infinity', '-Infinity'. */
  values: readonly (number | boolean | string)[];
}
/** Anything with numbers in it: a Tensor, a number, nested arrays, a typed array, `Shaped`. */
export type Numeric = Tensor | Nested | Float32Array | Int32Array | Uint8Array | Shaped;

export interface CloseOptions {
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, times |expected| (default 1e-5). */
  rtol?: number;
  /** Prefixed to the failure message. */
  message?: string;
}

/** Shape and flat values (booleans as 0/1) of anything `Numeric`. */
export function flat(v: Numeric): { shape: number[]; values: number[] } {
  if (v instanceof Tensor) return { shape: [...v.shape], values: Array.from(v.dataSync(), Number) };
  if (ArrayBuffer.isView(v)) return { shape: [v.length], values: Array.from(v, Number) };
  if (isShaped(v)) return { shape: [...v.shape], values: v.values.map(Number) };
  const shape: number[] = [];
  for (let cur: Nested = v; Array.isArray(cur); cur = (cur as readonly Nested[])[0]!) {
    shape.push(cur.length);
    if (cur.length === 0) break;
  }
  const values: number[] = [];
  const walk = (x: Nested, depth: number): void => {
    if (!Array.isArray(x)) {
      if (depth !== shape.length) throw new Error(`ragged nested array: a number at depth ${depth}, expected depth ${shape.length}`);
      values.push(Number(x));
      return;
    }
    if (x.length !== shape[depth]) throw new Error(`ragged nested array: length ${x.length} at depth ${depth}, expected ${shape[depth]}`);
    for (const y of x as readonly Nested[]) walk(y, depth + 1);
  };
  walk(v as Nested, 0);
  return { shape, values };
}

function isShaped(v: unknown): v is Shaped {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'values' in v;
}

/** Row-major flat values into nested arrays of `shape` (a bare value for shape []). */
export function nest<V>(values: readonly V[], shape: readonly number[]): unknown {
  let i = 0;
  const build = (d: number): unknown => {
    if (d === shape.length) return values[i++];
    return Array.from({ length: shape[d]! }, () => build(d + 1));
  };
  const out = build(0);
  if (i !== values.length) throw new Error(`nest: ${values.length} values do not fill shape [${shape.join(', ')}]`);
  return out;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/**
 * Same shape and |actual - expected| <= atol + rtol * |expected| everywhere
 * (NaN matches NaN, an infinity matches the same infinity), like `torch.allclose`.
 * The failure names the worst element.
 */
export function expectClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): void {
  const { atol = 1e-5, rtol = 1e-5, message } = options;
  const a = flat(actual);
  const e = flat(expected);
  const prefix = message !== undefined ? `${message}: ` : '';
  expect(a.shape, `${prefix}shape`).toEqual(e.shape);
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  a.values.forEach((x, i) => {
    const y = e.values[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > 0 || Number.isNaN(excess)) {
      bad++;
      if (worst < 0 || excess > worstExcess || Number.isNaN(excess)) {
        worst = i;
        worstExcess = excess;
      }
    }
  });
  if (bad > 0) {
    const x = a.values[worst]!;
    const y = e.values[worst]!;
    assert.fail(
      `${prefix}${bad} of ${a.values.length} values differ (atol ${atol}, rtol ${rtol}); worst at [${unravel(worst, a.shape).join(', ')}]: ` +
        `actual ${x}, expected ${y} (|diff| ${Math.abs(x - y)}).\nactual:   ${JSON.stringify(a.values)}\nexpected: ${JSON.stringify(e.values)}`,
    );
  }
}

/**
 * `fn` must leave the native tensor count unchanged. It runs inside `scope()`,
 * so every tensor it creates and does not keep is released; tensors it keeps
 * (leaves created with `requiresGrad`, their `.grad`) it must dispose itself.
 * Runs `fn` once first to warm Duet's caches (scalar constants).
 */
export function expectNoLeaks(fn: () => void, message = 'native tensors leaked'): void {
  scope(fn);
  const before = memory().numTensors;
  scope(fn);
  const after = memory().numTensors;
  expect(after - before, message).toBe(0);
}

/** Dispose tensors together with their gradients (for leaves kept across a scope). */
export function disposeWithGrads(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    t.grad?.dispose();
    t.grad = null;
    t.dispose();
  }
}
