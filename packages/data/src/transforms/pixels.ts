/**
 * Pixel-level helpers shared by the image transforms. One implementation
 * serves both layouts: a RawImage is HWC uint8, a HostTensor is `[..., H, W]`
 * (every leading dimension counts as a channel). Geometry is written once
 * against strides.
 */
import { HostTensor, RawImage, allocFloat32, type HostData } from '../host.js';
import type { Img } from './transform.js';

export type BorderMode = 'constant' | 'edge' | 'reflect' | 'symmetric';
export type Interpolation = 'nearest' | 'bilinear';

/** A view of an image's values with its geometry and strides. */
export class Pixels {
  readonly sc: number;
  readonly sy: number;
  readonly sx: number;
  private constructor(
    readonly img: Img,
    readonly data: HostData,
    readonly c: number,
    readonly h: number,
    readonly w: number,
    readonly hwc: boolean,
  ) {
    this.sc = hwc ? 1 : h * w;
    this.sy = hwc ? w * c : w;
    this.sx = hwc ? c : 1;
  }

  static of(img: Img): Pixels {
    if (img instanceof RawImage) return new Pixels(img, img.data, img.channels, img.height, img.width, true);
    const s = img.shape;
    const h = s[s.length - 2]!;
    const w = s[s.length - 1]!;
    return new Pixels(img, img.data, img.data.length / (h * w) || 1, h, w, false);
  }

  /** Largest value of the pixel range: 255 for RawImage, 1 for float tensors, none for int32 tensors. */
  get max(): number {
    return this.img instanceof RawImage ? 255 : this.img.dtype === 'float32' ? 1 : Infinity;
  }

  /** A new array for an image of h x w with the same channels and type. */
  alloc(h: number, w: number): HostData {
    const n = this.c * h * w;
    return this.data instanceof Float32Array ? allocFloat32(n) : this.data instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
  }

  /** An image of the same kind from values laid out like this one. */
  make(data: HostData, h: number, w: number): Img {
    if (this.img instanceof RawImage) return new RawImage(data as Uint8Array, h, w, this.c);
    const s = this.img.shape;
    return new HostTensor(data, [...s.slice(0, s.length - 2), h, w], this.img.dtype);
  }

  /** An image of the same kind from float values (rounded and clamped to 0..255 for uint8). */
  makeFromFloat(values: Float32Array, h: number, w: number): Img {
    if (this.data instanceof Float32Array) return this.make(values, h, w);
    if (this.data instanceof Uint8Array) return this.make(toBytes(values), h, w);
    return this.make(Int32Array.from(values, Math.round), h, w);
  }

  /** Offset of (channel, y, x). */
  at(ch: number, y: number, x: number): number {
    return ch * this.sc + y * this.sy + x * this.sx;
  }
}

/** Float values to bytes, rounded and clamped to 0..255. */
export function toBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
  }
  return out;
}

/** Map an out-of-range coordinate into [0, n) by a border mode; -1 means "use the fill value". */
export function border(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      if (n === 1) return 0;
      const p = 2 * (n - 1);
      const m = ((i % p) + p) % p;
      return m < n ? m : p - m;
    }
    case 'symmetric': {
      const p = 2 * n;
      const m = ((i % p) + p) % p;
      return m < n ? m : p - 1 - m;
    }
  }
}

/** Fill value per channel. */
export function fillFor(fill: number | readonly number[], c: number): number[] {
  return typeof fill === 'number' ? new Array<number>(c).fill(fill) : Array.from({ length: c }, (_, i) => fill[i % fill.length]!);
}

/** The region [top, top+h) x [left, left+w); parts outside the image follow `mode` (or `fill`). */
export function crop(img: Img, top: number, left: number, h: number, w: number, fill: number | readonly number[] = 0, mode: BorderMode = 'constant'): Img {
  const p = Pixels.of(img);
  if (top === 0 && left === 0 && h === p.h && w === p.w) return img;
  const out = p.alloc(h, w);
  const o = Pixels.of(p.make(out, h, w));
  const f = fillFor(fill, p.c);
  const inside = top >= 0 && left >= 0 && top + h <= p.h && left + w <= p.w;
  if (inside) {
    // Rows are contiguous in both layouts: copy them whole.
    const rowLen = p.hwc ? w * p.c : w;
    const planes = p.hwc ? 1 : p.c;
    for (let ch = 0; ch < planes; ch++) {
      for (let y = 0; y < h; y++) {
        const src = p.at(ch, top + y, left);
        out.set(p.data.subarray(src, src + rowLen), o.at(ch, y, 0));
      }
    }
    return o.img;
  }
  for (let y = 0; y < h; y++) {
    const sy = border(top + y, p.h, mode);
    for (let x = 0; x < w; x++) {
      const sx = border(left + x, p.w, mode);
      for (let ch = 0; ch < p.c; ch++) {
        out[o.at(ch, y, x)] = sy < 0 || sx < 0 ? f[ch]! : p.data[p.at(ch, sy, sx)]!;
      }
    }
  }
  return o.img;
}

/** Mirror left-right (`horizontal`) or top-bottom. */
export function flip(img: Img, horizontal: boolean): Img {
  const p = Pixels.of(img);
  const out = p.alloc(p.h, p.w);
  if (!p.hwc && horizontal) {
    for (let row = 0; row < p.c * p.h; row++) {
      const base = row * p.w;
      for (let x = 0; x < p.w; x++) out[base + x] = p.data[base + p.w - 1 - x]!;
    }
  } else if (!horizontal) {
    const rows = p.hwc ? p.h : p.c * p.h;
    const len = p.hwc ? p.sy : p.w;
    for (let r = 0; r < rows; r++) {
      const y = r % p.h;
      const src = (r - y + (p.h - 1 - y)) * len;
      out.set(p.data.subarray(src, src + len), r * len);
    }
  } else {
    for (let y = 0; y < p.h; y++) {
      for (let x = 0; x < p.w; x++) {
        const d = p.at(0, y, x);
        const s = p.at(0, y, p.w - 1 - x);
        for (let ch = 0; ch < p.c; ch++) out[d + ch] = p.data[s + ch]!;
      }
    }
  }
  return p.make(out, p.h, p.w);
}

/** Filter taps for resampling `inSize` values to `outSize`: triangle filter, widened when shrinking (antialiased like PIL and torchvision). */
function taps(inSize: number, outSize: number, interpolation: Interpolation): { start: Int32Array; n: Int32Array; stride: number; weights: Float32Array } {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const n = new Int32Array(outSize);
  if (interpolation === 'nearest') {
    for (let i = 0; i < outSize; i++) start[i] = Math.min(inSize - 1, Math.floor(i * scale));
    return { start, n: n.fill(1), stride: 1, weights: new Float32Array(outSize).fill(1) };
  }
  const support = Math.max(1, scale);
  const stride = Math.ceil(support) * 2 + 1;
  const weights = new Float32Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize, Math.ceil(center + support), lo + stride);
    start[i] = lo;
    n[i] = hi - lo;
    let total = 0;
    for (let j = lo; j < hi; j++) total += weights[i * stride + (j - lo)] = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
    for (let k = 0; k < hi - lo; k++) weights[i * stride + k]! /= total || 1;
  }
  return { start, n, stride, weights };
}

/**
 * Resize the region [top, top+rh) x [left, left+rw) (default: the whole
 * image) to h x w: separable bilinear, antialiased when shrinking, or nearest.
 */
export function resize(img: Img, h: number, w: number, interpolation: Interpolation = 'bilinear', region?: [number, number, number, number]): Img {
  const p = Pixels.of(img);
  const [top, left, rh, rw] = region ?? [0, 0, p.h, p.w];
  if (h === rh && w === rw) return region ? crop(img, top, left, rh, rw) : img;
  const tx = taps(rw, w, interpolation);
  const ty = taps(rh, h, interpolation);
  const { data, sc, sy, sx } = p;
  // Horizontal pass over the region's rows into [c][rh][w] floats.
  const tmp = new Float32Array(p.c * rh * w);
  for (let ch = 0; ch < p.c; ch++) {
    for (let y = 0; y < rh; y++) {
      const row = ch * sc + (top + y) * sy + left * sx;
      const outRow = (ch * rh + y) * w;
      for (let x = 0; x < w; x++) {
        let idx = row + tx.start[x]! * sx;
        const wb = x * tx.stride;
        let acc = 0;
        for (let k = 0, n = tx.n[x]!; k < n; k++, idx += sx) acc += tx.weights[wb + k]! * data[idx]!;
        tmp[outRow + x] = acc;
      }
    }
  }
  // Vertical pass into the output layout.
  const o = Pixels.of(p.make(p.alloc(h, w), h, w));
  const outF = new Float32Array(p.c * h * w);
  for (let ch = 0; ch < p.c; ch++) {
    for (let y = 0; y < h; y++) {
      const wb = y * ty.stride;
      const n = ty.n[y]!;
      const base = (ch * rh + ty.start[y]!) * w;
      let oi = o.at(ch, y, 0);
      for (let x = 0; x < w; x++, oi += o.sx) {
        let acc = 0;
        for (let k = 0, ti = base + x; k < n; k++, ti += w) acc += ty.weights[wb + k]! * tmp[ti]!;
        outF[oi] = acc;
      }
    }
  }
  return p.makeFromFloat(outF, h, w);
}

/**
 * Rotate by `angle` degrees counter-clockwise about the center (torchvision's
 * convention), keeping the size; uncovered pixels get `fill`.
 */
export function rotate(img: Img, angle: number, interpolation: Interpolation = 'nearest', fill: number | readonly number[] = 0): Img {
  const p = Pixels.of(img);
  const a = (angle * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = (p.w - 1) / 2;
  const cy = (p.h - 1) / 2;
  const f = fillFor(fill, p.c);
  const out = new Float32Array(p.c * p.h * p.w);
  for (let y = 0; y < p.h; y++) {
    for (let x = 0; x < p.w; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const sx = cos * dx - sin * dy + cx;
      const sy = sin * dx + cos * dy + cy;
      for (let ch = 0; ch < p.c; ch++) out[p.at(ch, y, x)] = sample(p, ch, sy, sx, interpolation, f[ch]!);
    }
  }
  return p.makeFromFloat(out, p.h, p.w);
}

function sample(p: Pixels, ch: number, y: number, x: number, interpolation: Interpolation, fill: number): number {
  if (interpolation === 'nearest') {
    const yi = Math.round(y);
    const xi = Math.round(x);
    return yi < 0 || xi < 0 || yi >= p.h || xi >= p.w ? fill : p.data[p.at(ch, yi, xi)]!;
  }
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const v = (yy: number, xx: number): number => (yy < 0 || xx < 0 || yy >= p.h || xx >= p.w ? fill : p.data[p.at(ch, yy, xx)]!);
  return (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x0 + 1)) + fy * ((1 - fx) * v(y0 + 1, x0) + fx * v(y0 + 1, x0 + 1));
}
