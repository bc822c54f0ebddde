/**
 * The base classes of transforms. A transform is a class with `forward(x)`,
 * as in torchvision v2. Image transforms work on `RawImage` (HWC uint8, like a
 * PIL image) and `HostTensor` (CHW float32, like a tensor image) in JavaScript
 * memory, without native calls, so that they run as fast on the main thread
 * as in DataLoader workers. Given a Tensor they take its values and return a
 * Tensor.
 */
import { Tensor } from '@duet/core';
import { DataOptionError } from '../errors.js';
import { HostTensor, RawImage, describe } from '../host.js';

/** A transform object or a plain function. */
export type TransformLike<I = any, O = any> = Transform<I, O> | ((x: I) => O);

/** Base of all transforms: implement `forward`. */
export abstract class Transform<I = any, O = any> {
  /** @internal The constructor's arguments: how a worker thread rebuilds this transform. */
  readonly _args: readonly unknown[];
  constructor(args: readonly unknown[] = []) {
    this._args = args;
  }
  abstract forward(x: I): O;
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** Apply a transform or function (or nothing). */
export function applyTransform(t: TransformLike | undefined | null, x: unknown): any {
  if (t === undefined || t === null) return x;
  return t instanceof Transform ? t.forward(x) : t(x);
}

export type Img = RawImage | HostTensor;

/**
 * Base of transforms on images: implement `apply` for a RawImage (HWC uint8)
 * or a HostTensor (`[..., H, W]`, float32 after ToTensor). A Tensor input is
 * read into a HostTensor and the result made a Tensor again.
 */
export abstract class ImageTransform extends Transform<any, any> {
  protected abstract apply(img: Img): Img;

  forward(x: any): any {
    if (x instanceof Tensor) {
      const out = this.apply(HostTensor.fromTensor(x));
      return out.toTensor();
    }
    if (x instanceof RawImage || x instanceof HostTensor) return this.apply(x);
    throw new DataOptionError('input', `${this.constructor.name}: expected a RawImage, a HostTensor or a Tensor; received ${describe(x)}.`);
  }
}

/** Throws unless `img` is a HostTensor (transforms that need ToTensor first, like torchvision's tensor-only ones). */
export function requireTensorImage(img: Img, who: string): HostTensor {
  if (!(img instanceof HostTensor)) {
    throw new DataOptionError('input', `${who}: expected a tensor image (put transforms.ToTensor() before it); received ${describe(img)}.`);
  }
  if (img.ndim < 2) throw new DataOptionError('input', `${who}: expected a tensor image of shape [..., H, W]; received shape [${img.shape.join(', ')}].`);
  return img;
}

/** A pair `[h, w]` from a number or a pair. */
export function pair(size: number | readonly number[], name: string, who: string): [number, number] {
  const p = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0]!, size[0]!] : size;
  if (p.length !== 2 || !p.every((v) => Number.isInteger(v) && v > 0)) {
    throw new DataOptionError(name, `${who}: ${name} must be a positive integer or a pair [h, w] of them; received ${JSON.stringify(size)}.`);
  }
  return [p[0]!, p[1]!];
}

/** A range `[lo, hi]` with lo <= hi. */
export function range(v: readonly number[], name: string, who: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !(v[0]! <= v[1]!)) {
    throw new DataOptionError(name, `${who}: ${name} must be a pair [min, max] with min <= max; received ${JSON.stringify(v)}.`);
  }
  return [v[0]!, v[1]!];
}

/** A probability in [0, 1]. */
export function probability(p: number, who: string): number {
  if (!(p >= 0 && p <= 1)) throw new DataOptionError('p', `${who}: p must be a probability in [0, 1]; received ${p}.`);
  return p;
}
