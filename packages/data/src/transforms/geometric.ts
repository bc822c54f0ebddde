/** Flips, crops, resizing and rotation, for RawImage and tensor images alike (torchvision's names and defaults). */
import { DataOptionError } from '../errors.js';
import * as rng from '../rng.js';
import { ImageTransform, pair, probability, range, type Img } from './transform.js';
import { Pixels, crop, flip, resize, rotate, type BorderMode, type Interpolation } from './pixels.js';

/** Python's round(): halves to even. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function size2(img: Img): [number, number] {
  const p = Pixels.of(img);
  return [p.h, p.w];
}

/** Mirror left-right with probability `p`. */
export class RandomHorizontalFlip extends ImageTransform {
  readonly p: number;
  constructor(p = 0.5) {
    super([p]);
    this.p = probability(p, 'RandomHorizontalFlip');
  }
  protected apply(img: Img): Img {
    return rng.random() < this.p ? flip(img, true) : img;
  }
}

/** Mirror top-bottom with probability `p`. */
export class RandomVerticalFlip extends ImageTransform {
  readonly p: number;
  constructor(p = 0.5) {
    super([p]);
    this.p = probability(p, 'RandomVerticalFlip');
  }
  protected apply(img: Img): Img {
    return rng.random() < this.p ? flip(img, false) : img;
  }
}

export interface ResizeOptions {
  /** 'bilinear' (default; antialiased when shrinking, like PIL) or 'nearest'. */
  interpolation?: Interpolation;
  /** With an int size: cap on the longer edge. */
  maxSize?: number;
}

/** Output size of Resize for an int size (smaller edge) or a pair [h, w]. */
function resizedSize(h: number, w: number, size: number | readonly number[], maxSize: number | undefined): [number, number] {
  if (typeof size !== 'number' && size.length === 2) return [size[0]!, size[1]!];
  const s = typeof size === 'number' ? size : size[0]!;
  const [short, long] = h <= w ? [h, w] : [w, h];
  let newShort = s;
  let newLong = Math.floor((s * long) / short);
  if (maxSize !== undefined && newLong > maxSize) {
    newShort = Math.floor((maxSize * newShort) / newLong);
    newLong = maxSize;
  }
  return h <= w ? [newShort, newLong] : [newLong, newShort];
}

/** Resize to `[h, w]`, or, for a number, so that the smaller edge has that size (aspect ratio kept). */
export class Resize extends ImageTransform {
  readonly size: number | readonly number[];
  readonly interpolation: Interpolation;
  readonly maxSize: number | undefined;
  constructor(size: number | number[], options: ResizeOptions = {}) {
    super([size, options]);
    pair(size, 'size', 'Resize');
    this.size = size;
    this.interpolation = checkInterpolation(options.interpolation ?? 'bilinear', 'Resize');
    this.maxSize = options.maxSize;
  }
  protected apply(img: Img): Img {
    const [h, w] = size2(img);
    const [oh, ow] = resizedSize(h, w, this.size, this.maxSize);
    return resize(img, oh, ow, this.interpolation);
  }
}

function checkInterpolation(v: string, who: string): Interpolation {
  if (v !== 'bilinear' && v !== 'nearest') throw new DataOptionError('interpolation', `${who}: interpolation must be 'bilinear' or 'nearest'; received '${v}'.`);
  return v;
}

/** The central `[h, w]` region; images smaller than that are padded with 0. */
export class CenterCrop extends ImageTransform {
  readonly size: [number, number];
  constructor(size: number | number[]) {
    super([size]);
    this.size = pair(size, 'size', 'CenterCrop');
  }
  protected apply(img: Img): Img {
    const [h, w] = size2(img);
    const [ch, cw] = this.size;
    const top = ch > h ? -Math.floor((ch - h) / 2) : pyRound((h - ch) / 2);
    const left = cw > w ? -Math.floor((cw - w) / 2) : pyRound((w - cw) / 2);
    return crop(img, top, left, ch, cw);
  }
}

export interface PadOptions {
  /** Value of the new pixels with paddingMode 'constant' (a number or one per channel). Default 0. */
  fill?: number | number[];
  /** 'constant' (default), 'edge', 'reflect' or 'symmetric'. */
  paddingMode?: BorderMode;
}

/** [left, top, right, bottom] from torchvision's padding forms: n, [lr, tb], [l, t, r, b]. */
function padding4(p: number | readonly number[], who: string): [number, number, number, number] {
  const v = typeof p === 'number' ? [p, p, p, p] : p.length === 1 ? [p[0]!, p[0]!, p[0]!, p[0]!] : p.length === 2 ? [p[0]!, p[1]!, p[0]!, p[1]!] : p;
  if (v.length !== 4 || !v.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new DataOptionError('padding', `${who}: padding must be a non-negative integer or an array of 1, 2 or 4 of them; received ${JSON.stringify(p)}.`);
  }
  return [v[0]!, v[1]!, v[2]!, v[3]!];
}

function checkMode(m: string, who: string): BorderMode {
  if (!['constant', 'edge', 'reflect', 'symmetric'].includes(m)) {
    throw new DataOptionError('paddingMode', `${who}: paddingMode must be 'constant', 'edge', 'reflect' or 'symmetric'; received '${m}'.`);
  }
  return m as BorderMode;
}

/** Pad the borders: `padding` is n, [left/right, top/bottom] or [left, top, right, bottom]. */
export class Pad extends ImageTransform {
  readonly padding: [number, number, number, number];
  readonly fill: number | number[];
  readonly paddingMode: BorderMode;
  constructor(padding: number | number[], options: PadOptions = {}) {
    super([padding, options]);
    this.padding = padding4(padding, 'Pad');
    this.fill = options.fill ?? 0;
    this.paddingMode = checkMode(options.paddingMode ?? 'constant', 'Pad');
  }
  protected apply(img: Img): Img {
    const [h, w] = size2(img);
    const [l, t, r, b] = this.padding;
    return crop(img, -t, -l, h + t + b, w + l + r, this.fill, this.paddingMode);
  }
}

/** A random `[h, w]` region, after optional padding (torchvision's RandomCrop). */
export class RandomCrop extends ImageTransform {
  readonly size: [number, number];
  readonly padding: [number, number, number, number];
  readonly padIfNeeded: boolean;
  readonly fill: number | number[];
  readonly paddingMode: BorderMode;
  constructor(size: number | number[], options: PadOptions & { padding?: number | number[]; padIfNeeded?: boolean } = {}) {
    super([size, options]);
    this.size = pair(size, 'size', 'RandomCrop');
    this.padding = padding4(options.padding ?? 0, 'RandomCrop');
    this.padIfNeeded = options.padIfNeeded ?? false;
    this.fill = options.fill ?? 0;
    this.paddingMode = checkMode(options.paddingMode ?? 'constant', 'RandomCrop');
  }
  protected apply(img: Img): Img {
    const [h0, w0] = size2(img);
    const [th, tw] = this.size;
    let [l, t, r, b] = this.padding;
    if (this.padIfNeeded && h0 + t + b < th) b += th - (h0 + t + b);
    if (this.padIfNeeded && w0 + l + r < tw) r += tw - (w0 + l + r);
    const h = h0 + t + b;
    const w = w0 + l + r;
    if (h < th || w < tw) {
      throw new DataOptionError('size', `RandomCrop: required crop size [${th}, ${tw}] is larger than the (padded) image [${h}, ${w}]; use padIfNeeded: true or a smaller size.`);
    }
    const i = rng.randint(0, h - th);
    const j = rng.randint(0, w - tw);
    return crop(img, i - t, j - l, th, tw, this.fill, this.paddingMode);
  }
}

/**
 * A random region of random area (`scale` of the image) and aspect ratio
 * (`ratio`), resized to `size` (torchvision's RandomResizedCrop, same
 * parameter search).
 */
export class RandomResizedCrop extends ImageTransform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: Interpolation;
  constructor(size: number | number[], options: { scale?: number[]; ratio?: number[]; interpolation?: Interpolation } = {}) {
    super([size, options]);
    this.size = pair(size, 'size', 'RandomResizedCrop');
    this.scale = range(options.scale ?? [0.08, 1], 'scale', 'RandomResizedCrop');
    this.ratio = range(options.ratio ?? [3 / 4, 4 / 3], 'ratio', 'RandomResizedCrop');
    this.interpolation = checkInterpolation(options.interpolation ?? 'bilinear', 'RandomResizedCrop');
  }
  /** torchvision's get_params: [top, left, height, width]. */
  getParams(height: number, width: number): [number, number, number, number] {
    const area = height * width;
    const logRatio = [Math.log(this.ratio[0]), Math.log(this.ratio[1])] as const;
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * rng.uniform(this.scale[0], this.scale[1]);
      const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
      const w = pyRound(Math.sqrt(targetArea * aspect));
      const h = pyRound(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) return [rng.randint(0, height - h), rng.randint(0, width - w), h, w];
    }
    const inRatio = width / height;
    let w = width;
    let h = height;
    if (inRatio < this.ratio[0]) h = pyRound(w / this.ratio[0]);
    else if (inRatio > this.ratio[1]) w = pyRound(h * this.ratio[1]);
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }
  protected apply(img: Img): Img {
    const [h, w] = size2(img);
    const [top, left, ch, cw] = this.getParams(h, w);
    return resize(img, this.size[0], this.size[1], this.interpolation, [top, left, ch, cw]);
  }
}

/** Rotate by an angle drawn from `degrees` (a number d means [-d, d]), counter-clockwise, keeping the size. */
export class RandomRotation extends ImageTransform {
  readonly degrees: [number, number];
  readonly interpolation: Interpolation;
  readonly fill: number | number[];
  constructor(degrees: number | number[], options: { interpolation?: Interpolation; fill?: number | number[] } = {}) {
    super([degrees, options]);
    if (typeof degrees === 'number' && !(degrees >= 0)) throw new DataOptionError('degrees', `RandomRotation: a single degrees value must be non-negative; received ${degrees}.`);
    this.degrees = typeof degrees === 'number' ? [-degrees, degrees] : range(degrees, 'degrees', 'RandomRotation');
    this.interpolation = checkInterpolation(options.interpolation ?? 'nearest', 'RandomRotation');
    this.fill = options.fill ?? 0;
  }
  protected apply(img: Img): Img {
    return rotate(img, rng.uniform(this.degrees[0], this.degrees[1]), this.interpolation, this.fill);
  }
}
