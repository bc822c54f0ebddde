/** Argument checks and window arithmetic shared by the conv and pool primitives (PyTorch's rules). */
import { ArgumentError, DTypeError, ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import type { DataFormat } from '../../layout.js';

/** One value for both spatial dims, or [height, width]. */
export type IntPair = number | readonly [number, number];
export type Pair = readonly [number, number];

/** `v` as [h, w] of integers >= `min`. */
export function pair(op: string, name: string, v: IntPair, min: number): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ArgumentError(`${op}: ${name} must be an integer >= ${min} or a pair of them, received ${JSON.stringify(v)}.`);
  }
  return p;
}

export function checkFloat(op: string, what: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new DTypeError(`${op}: expected ${what} of dtype float32, received ${t.dtype}. Convert with .float().`);
}

export function checkFlag(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${op}: ${name} must be a boolean, received ${JSON.stringify(v)}.`);
  return v;
}

/**
 * Run a batched op on an unbatched input (PyTorch accepts [C, H, W] for
 * [N, C, H, W]): add the batch dim, run, drop it.
 */
export function batched(x: Tensor, rank: number, op: string, layout: string, run: (xb: Tensor) => Tensor): Tensor {
  if (x.ndim === rank) return run(x);
  if (x.ndim === rank - 1) return run(x.unsqueeze(0)).squeeze(0);
  throw new ShapeError(`${op}: expected a ${rank}-d input ${layout} (or ${rank - 1}-d without the batch dim), received shape ${shapeStr(x.shape)}.`);
}

/** Spatial dims and channel count of a 4-d input in `fmt`. */
export function spatial(shape: readonly number[], fmt: DataFormat): { n: number; c: number; hw: Pair } {
  const [n, a, b, c] = shape as [number, number, number, number];
  return fmt === 'channelsFirst' ? { n, c: a, hw: [b, c] } : { n, c, hw: [a, b] };
}

/**
 * Output size and padding [top, bottom, left, right] of a pooling window,
 * PyTorch's formula (ceilMode: the last window may run off the end but must
 * start inside the input or the left padding). The bottom/right padding is the
 * least that gives every window, so it may differ from `padding`.
 */
export function poolWindow(op: string, hw: Pair, k: Pair, s: Pair, p: Pair, ceilMode: boolean): { out: Pair; pads: [number, number, number, number] } {
  const out: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [n, ki, si, pi] = [hw[i]!, k[i]!, s[i]!, p[i]!];
    if (pi > ki / 2) {
      throw new ArgumentError(`${op}: padding should be at most half of the kernel size (PyTorch's rule), received padding ${pi} for kernel size ${ki}.`);
    }
    let o = Math.floor((n + 2 * pi - ki + (ceilMode ? si - 1 : 0)) / si) + 1;
    if (ceilMode && (o - 1) * si >= n + pi) o--;
    if (o < 1) {
      throw new ShapeError(`${op}: the input's spatial size ${shapeStr(hw)} with padding ${shapeStr(p)} is too small for kernel ${shapeStr(k)} (output size would be ${o}).`);
    }
    out.push(o);
    after.push(Math.max(0, (o - 1) * si + ki - n - pi));
  }
  return { out: out as unknown as Pair, pads: [p[0], after[0]!, p[1], after[1]!] };
}

/** Divisor of each output position of an avg pool along one dim (PyTorch's AvgPool2d). */
export function avgDivisors(n: number, k: number, s: number, p: number, out: number, countIncludePad: boolean): number[] {
  const d: number[] = [];
  for (let o = 0; o < out; o++) {
    const start = o * s - p;
    const end = Math.min(start + k, n + p);
    d.push(countIncludePad ? end - start : Math.min(end, n) - Math.max(start, 0));
  }
  return d;
}
