/** Compose, Lambda, ToTensor, Normalize, Grayscale: the transforms every pipeline starts with. */
import { Tensor } from '@duet/core';
import { DataOptionError } from '../errors.js';
import { HostTensor, RawImage, allocFloat32, describe } from '../host.js';
import { ImageTransform, Transform, applyTransform, requireTensorImage, type Img, type TransformLike } from './transform.js';
import { Pixels, toBytes } from './pixels.js';

/**
 * Apply transforms one after the other.
 *
 * @example
 * ```ts
 * const t = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.1307], [0.3081])]);
 * ```
 */
export class Compose extends Transform {
  readonly transforms: readonly TransformLike[];
  constructor(transforms: TransformLike[]) {
    super([transforms]);
    if (!Array.isArray(transforms)) throw new DataOptionError('transforms', `Compose: expected an array of transforms; received ${describe(transforms)}.`);
    transforms.forEach((t, i) => {
      if (!(t instanceof Transform) && typeof t !== 'function') {
        throw new DataOptionError('transforms', `Compose: item ${i} is not a transform (a Transform or a function); received ${describe(t)}.`);
      }
    });
    this.transforms = transforms;
  }
  forward(x: unknown): any {
    let y = x;
    for (const t of this.transforms) y = applyTransform(t, y);
    return y;
  }
  override toString(): string {
    return `Compose([${this.transforms.map(String).join(', ')}])`;
  }
}

/**
 * A function as a transform. It cannot be sent to a worker thread: with
 * `numWorkers > 0`, build the dataset in a module (`workerDataset`).
 */
export class Lambda<I = any, O = any> extends Transform<I, O> {
  constructor(readonly fn: (x: I) => O) {
    super([fn]);
    if (typeof fn !== 'function') throw new DataOptionError('fn', `Lambda: expected a function; received ${describe(fn)}.`);
  }
  forward(x: I): O {
    return this.fn(x);
  }
}

/**
 * A RawImage (HWC uint8, e.g. MNIST's 28x28) to a `[C, H, W]` float32
 * HostTensor in [0, 1] (torchvision's ToTensor). No native call: the
 * DataLoader makes one Tensor per batch. A Tensor input (`[H, W]` or
 * `[H, W, C]`; int32 values are divided by 255) gives a Tensor.
 */
export class ToTensor extends Transform<RawImage | Tensor, HostTensor | Tensor> {
  constructor() {
    super([]);
  }
  forward(x: RawImage | Tensor): any {
    if (x instanceof RawImage) return imageToHost(x);
    if (x instanceof Tensor) {
      if (x.ndim !== 2 && x.ndim !== 3) throw new DataOptionError('input', `ToTensor: expected a Tensor image [H, W] or [H, W, C]; received shape [${x.shape.join(', ')}].`);
      const hwc = x.ndim === 2 ? x.unsqueeze(2) : x;
      const chw = hwc.permute([2, 0, 1]).float();
      return x.dtype === 'float32' ? chw : chw.div(255);
    }
    throw new DataOptionError('input', `ToTensor: expected a RawImage (e.g. from datasets.MNIST or ImageFolder) or a Tensor; received ${describe(x)}.`);
  }
}

function imageToHost(img: RawImage): HostTensor {
  const { data, height: h, width: w, channels: c } = img;
  const out = allocFloat32(data.length);
  const k = 1 / 255;
  if (c === 1) {
    for (let i = 0; i < data.length; i++) out[i] = data[i]! * k;
  } else {
    const plane = h * w;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < c; ch++) out[ch * plane + p] = data[p * c + ch]! * k;
    }
  }
  return new HostTensor(out, [c, h, w]);
}

/**
 * `(x - mean[c]) / std[c]` per channel of a float tensor image `[..., C, H, W]`
 * (torchvision's Normalize; put ToTensor before it).
 */
export class Normalize extends ImageTransform {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly inplace: boolean;
  constructor(mean: number[] | number, std: number[] | number, options: { inplace?: boolean } = {}) {
    super([mean, std, options]);
    this.mean = typeof mean === 'number' ? [mean] : mean;
    this.std = typeof std === 'number' ? [std] : std;
    if (this.mean.length === 0 || this.std.length === 0) throw new DataOptionError('mean', 'Normalize: mean and std need at least one value.');
    if (this.std.some((s) => s === 0)) throw new DataOptionError('std', `Normalize: std evaluated to zero in ${JSON.stringify(std)}, leading to division by zero.`);
    this.inplace = options.inplace ?? false;
  }
  protected apply(img: Img): Img {
    const t = requireTensorImage(img, 'Normalize');
    if (t.dtype !== 'float32') throw new DataOptionError('input', `Normalize: expected a float32 tensor image; received ${t.dtype}. Use ToTensor first.`);
    const c = t.ndim >= 3 ? t.shape[t.ndim - 3]! : 1;
    for (const [name, v] of [['mean', this.mean], ['std', this.std]] as const) {
      if (v.length !== 1 && v.length !== c) throw new DataOptionError(name, `Normalize: ${name} has ${v.length} values; the image has ${c} channels.`);
    }
    const plane = t.shape[t.ndim - 1]! * t.shape[t.ndim - 2]!;
    const src = t.data as Float32Array;
    const out = this.inplace ? src : allocFloat32(src.length);
    for (let p = 0, ch = 0; p < src.length; p += plane, ch = (ch + 1) % c) {
      const m = this.mean.length === 1 ? this.mean[0]! : this.mean[ch]!;
      const s = 1 / (this.std.length === 1 ? this.std[0]! : this.std[ch]!);
      for (let i = p; i < p + plane; i++) out[i] = (src[i]! - m) * s;
    }
    return this.inplace ? t : new HostTensor(out, t.shape);
  }
}

/** Convert to grey (ITU-R 601-2 luma: 0.299 R + 0.587 G + 0.114 B), with 1 or 3 output channels. */
export class Grayscale extends ImageTransform {
  readonly numOutputChannels: 1 | 3;
  constructor(numOutputChannels: 1 | 3 = 1) {
    super([numOutputChannels]);
    if (numOutputChannels !== 1 && numOutputChannels !== 3) throw new DataOptionError('numOutputChannels', `Grayscale: numOutputChannels must be 1 or 3; received ${numOutputChannels}.`);
    this.numOutputChannels = numOutputChannels;
  }
  protected apply(img: Img): Img {
    return toGray(img, this.numOutputChannels);
  }
}

/** Grey version of an image with `outChannels` identical channels (RGB weights; 1-channel images are copied). */
export function toGray(img: Img, outChannels: number): Img {
  const p = Pixels.of(img);
  const plane = p.h * p.w;
  const grey = new Float32Array(plane);
  for (let y = 0; y < p.h; y++) {
    for (let x = 0; x < p.w; x++) {
      grey[y * p.w + x] = p.c >= 3 ? 0.299 * p.data[p.at(0, y, x)]! + 0.587 * p.data[p.at(1, y, x)]! + 0.114 * p.data[p.at(2, y, x)]! : p.data[p.at(0, y, x)]!;
    }
  }
  const out = new Float32Array(plane * outChannels);
  for (let ch = 0; ch < outChannels; ch++) {
    for (let i = 0; i < plane; i++) out[p.hwc ? i * outChannels + ch : ch * plane + i] = grey[i]!;
  }
  if (img instanceof RawImage) return new RawImage(toBytes(out), p.h, p.w, outChannels);
  const lead = img.ndim >= 3 ? img.shape.slice(0, img.ndim - 3) : [];
  const data = img.dtype === 'float32' ? out : Int32Array.from(out, Math.round);
  return new HostTensor(data, img.ndim === 2 && outChannels === 1 ? [p.h, p.w] : [...lead, outChannels, p.h, p.w], img.dtype);
}
