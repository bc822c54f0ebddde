/**
 * `functional.imageProjectiveTransform`: TensorFlow's `ImageProjectiveTransformV3`
 * (what Keras 3's `ops.image.affine_transform` runs on its TensorFlow backend)
 * over a whole batch in one kernel. Output pixel (x, y) of image b reads input
 * ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, from
 * the 8 numbers `transforms[b]`; the coordinate is mapped into the image by
 * the fill mode, then read by nearest or bilinear interpolation.
 *
 * Not differentiable: TensorFlow registers no exact gradient (Keras's TF
 * backend never needs one: augmentation layers sit on the inputs). Images that
 * require a gradient while recording are refused.
 */
import { runKernel, typeAttr, stringAttr } from '../../kernels/index.js';
import { intConst, scalarConst } from '../../kernels/index.js';
import { ArgumentError, AutogradError, DTypeError, ShapeError } from '../../errors.js';
import { isGradEnabled } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';

export interface ImageProjectiveTransformOptions {
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: 'bilinear' | 'nearest';
  /** Points outside the image: 'constant' (default, `fillValue`), 'reflect', 'wrap', 'nearest'. */
  fillMode?: 'constant' | 'reflect' | 'wrap' | 'nearest';
  /** The value of 'constant' fill. Default 0. */
  fillValue?: number;
}

const INTERPOLATIONS = ['bilinear', 'nearest'];
const FILL_MODES = ['constant', 'reflect', 'wrap', 'nearest'];

/**
 * Resample `images` [N, H, W, C] (float32, channels last) by `transforms`
 * [N, 8] (or [1, 8] for all images; float32). Returns [N, H, W, C].
 *
 * @example
 * ```ts
 * import { randn, tensor, functional as F } from '@duet/core';
 * const shifted = F.imageProjectiveTransform(randn([2, 8, 8, 3]), tensor([[1, 0, -2, 0, 1, 0, 0, 0]]), { fillMode: 'reflect' });
 * ```
 */
export function imageProjectiveTransform(images: Tensor, transforms: Tensor, options: ImageProjectiveTransformOptions = {}): Tensor {
  const op = 'imageProjectiveTransform';
  if (images.dtype !== 'float32') throw new DTypeError(`${op}: expected float32 images, received ${images.dtype}.`);
  if (images.ndim !== 4) throw new ShapeError(`${op}: expected images of shape [N, H, W, C], received ${shapeStr(images.shape)}.`);
  const [n, h, w] = images.shape as [number, number, number, number];
  if (transforms.dtype !== 'float32') throw new DTypeError(`${op}: expected float32 transforms, received ${transforms.dtype}.`);
  if (transforms.ndim !== 2 || transforms.shape[1] !== 8 || (transforms.shape[0] !== n && transforms.shape[0] !== 1)) {
    throw new ShapeError(`${op}: expected transforms of shape [${n}, 8] or [1, 8], received ${shapeStr(transforms.shape)}.`);
  }
  const interpolation = options.interpolation ?? 'bilinear';
  const fillMode = options.fillMode ?? 'constant';
  if (!INTERPOLATIONS.includes(interpolation)) throw new ArgumentError(`${op}: expected interpolation 'bilinear' or 'nearest', received ${String(interpolation)}.`);
  if (!FILL_MODES.includes(fillMode)) throw new ArgumentError(`${op}: expected fillMode 'constant', 'reflect', 'wrap' or 'nearest', received ${String(fillMode)}.`);
  const fillValue = options.fillValue ?? 0;
  if (typeof fillValue !== 'number' || Number.isNaN(fillValue)) throw new ArgumentError(`${op}: expected a numeric fillValue, received ${String(fillValue)}.`);
  if (isGradEnabled() && (images.requiresGrad || transforms.requiresGrad)) {
    throw new AutogradError(`${op}: no gradient (TensorFlow's ImageProjectiveTransformV3 has no exact one); run it on images that do not require grad, or under noGrad().`);
  }
  const attrs = [typeAttr('dtype', 'float32'), stringAttr('interpolation', interpolation.toUpperCase()), stringAttr('fill_mode', fillMode.toUpperCase())];
  return new Tensor(runKernel('ImageProjectiveTransformV3', attrs, [images._v(), transforms._v(), intConst([h, w]), scalarConst(fillValue, 'float32')]));
}
