/**
 * `F.interpolate`: nearest, nearest-exact, linear and bilinear resizing with
 * PyTorch's index rules (`alignCorners`, `scaleFactor`). Each spatial dim is
 * resized in turn by gathers; the index tensors are cached per size.
 */
import { ArgumentError, ShapeError, tensor, type Tensor } from '@duet/core';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** Output spatial size (one number for every spatial dim, or one per dim). */
  size?: number | number[];
  /** Multiplier of the spatial size (one or one per dim); output = floor(input * scaleFactor). */
  scaleFactor?: number | number[];
  mode?: InterpolateMode;
  /** linear/bilinear only: map the corner pixels' centres onto each other. */
  alignCorners?: boolean;
  /** 'channelsFirst' = [N, C, ...spatial] (PyTorch, default); 'channelsLast' = [N, ...spatial, C]. */
  dataFormat?: 'channelsFirst' | 'channelsLast';
}

interface Plan {
  i0: Tensor;
  i1?: Tensor;
  w0?: Tensor;
  w1?: Tensor;
}
const cache = new Map<string, Plan>();

function plan(inSize: number, outSize: number, mode: InterpolateMode, alignCorners: boolean, sf: number | undefined, ndim: number, dim: number): Plan {
  const key = [inSize, outSize, mode, alignCorners, sf, ndim, dim].join(',');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (cache.size >= 64) {
    for (const p of cache.values()) for (const t of Object.values(p)) (t as Tensor).dispose();
    cache.clear();
  }
  const scale = Math.fround(sf !== undefined ? 1 / sf : inSize / outSize);
  const i0 = new Int32Array(outSize);
  let p: Plan;
  if (mode === 'nearest' || mode === 'nearest-exact') {
    const off = mode === 'nearest' ? 0 : 0.5;
    for (let o = 0; o < outSize; o++) i0[o] = Math.min(Math.floor(Math.fround((o + off) * scale)), inSize - 1);
    p = { i0: tensor(i0).keep() };
  } else {
    const i1 = new Int32Array(outSize);
    const w0 = new Float32Array(outSize);
    const w1 = new Float32Array(outSize);
    const s = alignCorners ? Math.fround(outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : scale;
    for (let o = 0; o < outSize; o++) {
      const src = alignCorners ? Math.fround(o * s) : Math.max(Math.fround(Math.fround((o + 0.5) * s) - 0.5), 0);
      const a = Math.min(Math.floor(src), inSize - 1);
      i0[o] = a;
      i1[o] = a < inSize - 1 ? a + 1 : a;
      w1[o] = Math.fround(src - a);
      w0[o] = 1 - w1[o]!;
    }
    const wshape = Array.from({ length: ndim }, (_, i) => (i === dim ? outSize : 1));
    p = { i0: tensor(i0).keep(), i1: tensor(i1).keep(), w0: tensor(w0, { shape: wshape }).keep(), w1: tensor(w1, { shape: wshape }).keep() };
  }
  cache.set(key, p);
  return p;
}

/**
 * Resize the spatial dims of `x`.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.interpolate(randn([1, 3, 8, 8]), { scaleFactor: 2, mode: 'bilinear' }).shape; // [1, 3, 16, 16]
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const mode = options.mode ?? 'nearest';
  const last = options.dataFormat === 'channelsLast';
  const nsp = x.ndim - 2;
  if (nsp < 1) throw new ShapeError(`interpolate: expected an input with at least 3 dims ([N, C, ...spatial]), received [${x.shape.join(', ')}].`);
  if ((mode === 'linear' && nsp !== 1) || (mode === 'bilinear' && nsp !== 2)) {
    throw new ShapeError(`interpolate: mode '${mode}' expects ${mode === 'linear' ? '3' : '4'}-d input, received [${x.shape.join(', ')}].`);
  }
  if (!['nearest', 'nearest-exact', 'linear', 'bilinear'].includes(mode)) throw new ArgumentError(`interpolate: unsupported mode '${mode}' (nearest, nearest-exact, linear, bilinear).`);
  if (options.alignCorners !== undefined && mode.startsWith('nearest')) throw new ArgumentError('interpolate: alignCorners option can only be set with the interpolating modes: linear | bilinear.');
  if ((options.size === undefined) === (options.scaleFactor === undefined)) throw new ArgumentError('interpolate: give exactly one of size or scaleFactor.');
  const perDim = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : Array<T>(nsp).fill(v));
  const sizes = options.size !== undefined ? perDim(options.size) : undefined;
  const sfs = options.scaleFactor !== undefined ? perDim(options.scaleFactor) : undefined;
  if ((sizes ?? sfs)!.length !== nsp) throw new ArgumentError(`interpolate: expected ${nsp} output sizes or scale factors, received ${(sizes ?? sfs)!.length}.`);
  let y = x;
  for (let i = 0; i < nsp; i++) {
    const dim = last ? 1 + i : 2 + i;
    const inSize = x.shape[dim]!;
    const outSize = sizes !== undefined ? sizes[i]! : Math.floor(inSize * sfs![i]!);
    if (outSize === inSize && sfs === undefined) continue;
    const p = plan(inSize, outSize, mode, options.alignCorners ?? false, sfs?.[i], x.ndim, dim);
    if (p.i1 === undefined) y = y.indexSelect(dim, p.i0);
    else y = y.indexSelect(dim, p.i0).mul(p.w0!).add(y.indexSelect(dim, p.i1).mul(p.w1!));
  }
  return y;
}
