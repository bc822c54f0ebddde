/** ColorJitter and RandomErasing (torchvision's parameter ranges and order). */
import { Generator } from '@duet/core';
import { DataOptionError } from '../errors.js';
import { HostTensor } from '../host.js';
import * as rng from '../rng.js';
import { ImageTransform, probability, range, requireTensorImage, type Img } from './transform.js';
import { Pixels } from './pixels.js';

type Jitter = number | [number, number];

export interface ColorJitterOptions {
  /** Factor range, or v for [max(0, 1 - v), 1 + v]. */
  brightness?: Jitter;
  contrast?: Jitter;
  saturation?: Jitter;
  /** Shift range in turns, or v for [-v, v]; within [-0.5, 0.5]. */
  hue?: Jitter;
}

function jitterRange(v: Jitter | undefined, name: string, center: number, bound: [number, number]): [number, number] | null {
  if (v === undefined) return null;
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new DataOptionError(name, `ColorJitter: if ${name} is a single number it must be non-negative; received ${v}.`);
    r = [Math.max(center - v, bound[0]), center + v];
  } else r = range(v, name, 'ColorJitter');
  if (r[0] < bound[0] || r[1] > bound[1]) throw new DataOptionError(name, `ColorJitter: ${name} values must be within [${bound.join(', ')}]; received ${JSON.stringify(v)}.`);
  return r[0] === center && r[1] === center ? null : r;
}

/**
 * Random brightness, contrast, saturation and hue changes, applied in a
 * random order. Saturation and hue change RGB images only (3+ channels).
 *
 * @example
 * ```ts
 * new transforms.ColorJitter({ brightness: 0.4, contrast: 0.4 });
 * ```
 */
export class ColorJitter extends ImageTransform {
  readonly brightness: [number, number] | null;
  readonly contrast: [number, number] | null;
  readonly saturation: [number, number] | null;
  readonly hue: [number, number] | null;
  constructor(options: ColorJitterOptions = {}) {
    super([options]);
    this.brightness = jitterRange(options.brightness, 'brightness', 1, [0, Infinity]);
    this.contrast = jitterRange(options.contrast, 'contrast', 1, [0, Infinity]);
    this.saturation = jitterRange(options.saturation, 'saturation', 1, [0, Infinity]);
    this.hue = jitterRange(options.hue, 'hue', 0, [-0.5, 0.5]);
  }
  protected apply(img: Img): Img {
    const order = new Generator().randperm(4);
    const p = Pixels.of(img);
    const v = new Float32Array(p.data); // the constructor copies natively; .from() iterates
    for (const k of order) {
      const r = [this.brightness, this.contrast, this.saturation, this.hue][k];
      if (!r) continue;
      const f = rng.uniform(r[0], r[1]);
      if (k === 0) blend(v, 0, null, f, p.max);
      else if (k === 1) blend(v, meanGrey(v, p), null, f, p.max);
      else if (k === 2 && p.c >= 3) blend(v, 0, greyImage(v, p), f, p.max);
      else if (k === 3 && p.c >= 3) shiftHue(v, p, f);
      if (p.max === 255) for (let i = 0; i < v.length; i++) v[i] = Math.round(v[i]!); // uint8 images round between steps
    }
    return p.makeFromFloat(v, p.h, p.w);
  }
}

/** In place: `a = f * a + (1 - f) * b`, clamped to [0, max]; b is the number `c` or the image `img`. */
function blend(a: Float32Array, c: number, img: Float32Array | null, f: number, max: number): void {
  const g = 1 - f;
  for (let i = 0; i < a.length; i++) {
    const v = f * a[i]! + g * (img === null ? c : img[i]!);
    a[i] = v < 0 ? 0 : v > max ? max : v;
  }
}

/** The grey level (0.299 R + 0.587 G + 0.114 B, or the only channel) of every pixel, row-major. */
function greyPlane(v: Float32Array, p: Pixels): Float32Array {
  const n = p.h * p.w;
  const g = new Float32Array(n);
  if (p.c < 3) {
    for (let i = 0; i < n; i++) g[i] = v[p.hwc ? i * p.c : i]!;
    return g;
  }
  const step = p.hwc ? p.c : 1;
  const [r0, g0, b0] = p.hwc ? [0, 1, 2] : [0, n, 2 * n];
  for (let i = 0, j = 0; i < n; i++, j += step) g[i] = 0.299 * v[r0 + j]! + 0.587 * v[g0 + j]! + 0.114 * v[b0 + j]!;
  return g;
}

function meanGrey(v: Float32Array, p: Pixels): number {
  const g = greyPlane(v, p);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]!;
  return s / g.length;
}

function greyImage(v: Float32Array, p: Pixels): Float32Array {
  const g = greyPlane(v, p);
  const out = new Float32Array(v.length);
  const n = g.length;
  for (let ch = 0; ch < p.c; ch++) for (let i = 0; i < n; i++) out[p.hwc ? i * p.c + ch : ch * n + i] = g[i]!;
  return out;
}

function shiftHue(v: Float32Array, p: Pixels, shift: number): void {
  const m = p.max === Infinity ? 1 : p.max;
  for (let y = 0; y < p.h; y++) {
    for (let x = 0; x < p.w; x++) {
      const ir = p.at(0, y, x);
      const ig = p.at(1, y, x);
      const ib = p.at(2, y, x);
      const r = v[ir]! / m;
      const g = v[ig]! / m;
      const b = v[ib]! / m;
      const max = Math.max(r, g, b);
      const d = max - Math.min(r, g, b);
      let h = d === 0 ? 0 : max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
      h = (((h / 6 + shift) % 1) + 1) % 1;
      const s = max === 0 ? 0 : d / max;
      const k = (n: number): number => {
        const t = (n + h * 6) % 6;
        return max - max * s * Math.max(0, Math.min(t, 4 - t, 1));
      };
      v[ir] = k(5) * m;
      v[ig] = k(3) * m;
      v[ib] = k(1) * m;
    }
  }
}

export interface RandomErasingOptions {
  /** Probability of erasing. Default 0.5. */
  p?: number;
  /** Range of the erased area as a fraction of the image. Default [0.02, 0.33]. */
  scale?: number[];
  /** Range of the erased region's aspect ratio. Default [0.3, 3.3]. */
  ratio?: number[];
  /** Erasing value: a number, one per channel, or 'random' (standard normal values). Default 0. */
  value?: number | number[] | 'random';
  inplace?: boolean;
}

/** Erase a random rectangle of a tensor image (torchvision's RandomErasing; after ToTensor). */
export class RandomErasing extends ImageTransform {
  readonly p: number;
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly value: number | number[] | 'random';
  readonly inplace: boolean;
  constructor(options: RandomErasingOptions = {}) {
    super([options]);
    this.p = probability(options.p ?? 0.5, 'RandomErasing');
    this.scale = range(options.scale ?? [0.02, 0.33], 'scale', 'RandomErasing');
    this.ratio = range(options.ratio ?? [0.3, 3.3], 'ratio', 'RandomErasing');
    if (this.scale[0] < 0 || this.scale[1] > 1) throw new DataOptionError('scale', `RandomErasing: scale must be within [0, 1]; received ${JSON.stringify(options.scale)}.`);
    this.value = options.value ?? 0;
    this.inplace = options.inplace ?? false;
  }
  protected apply(img: Img): Img {
    const t = requireTensorImage(img, 'RandomErasing');
    if (rng.random() >= this.p) return t;
    const p = Pixels.of(t);
    const area = p.h * p.w;
    for (let attempt = 0; attempt < 10; attempt++) {
      const eraseArea = area * rng.uniform(this.scale[0], this.scale[1]);
      const aspect = Math.exp(rng.uniform(Math.log(this.ratio[0]), Math.log(this.ratio[1])));
      const h = Math.round(Math.sqrt(eraseArea * aspect));
      const w = Math.round(Math.sqrt(eraseArea / aspect));
      if (!(h < p.h && w < p.w)) continue;
      const i = rng.randint(0, p.h - h);
      const j = rng.randint(0, p.w - w);
      const out = this.inplace ? t.data : t.data.slice();
      for (let ch = 0; ch < p.c; ch++) {
        const fill = this.value === 'random' ? null : typeof this.value === 'number' ? this.value : this.value[ch % this.value.length]!;
        for (let y = i; y < i + h; y++) for (let x = j; x < j + w; x++) out[p.at(ch, y, x)] = fill ?? rng.normal();
      }
      return this.inplace ? t : new HostTensor(out, t.shape, t.dtype);
    }
    return t;
  }
}
