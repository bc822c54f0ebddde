/**
 * The base of the random image layers (Keras 3's
 * `BaseImagePreprocessingLayer`): random in training only, the identity
 * otherwise; images [N, H, W, C] or one image [H, W, C] (or channels first);
 * a seeded random stream per layer (`seed`, else drawn from core's
 * `manualSeed` stream when the layer is made).
 */
import { Generator, functional as CF, isGradEnabled, randomUniform, tensor, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';
import { standardizeDataFormat, type DataFormat } from '../convolutional/conv_utils.js';
import { projectiveTransform, type FillMode, type Interpolation } from './image_transform.js';

export interface AugmentationOptions extends LayerOptions {
  /** Seed of the layer's random stream (same seed, same draws). Default: drawn from core's global stream. */
  seed?: number | null;
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
}

export interface ResamplingOptions extends AugmentationOptions {
  /** How points outside the image are filled: 'reflect' (default), 'wrap', 'nearest', 'constant'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** The value of 'constant' fill. Default 0. */
  fillValue?: number;
}

export abstract class BaseImageAugmentation extends Layer {
  readonly seed: number | null;
  readonly dataFormat: DataFormat;
  protected readonly generator: Generator;

  constructor(options: AugmentationOptions = {}) {
    super(options);
    this.seed = options.seed ?? null;
    if (this.seed !== null && !Number.isInteger(this.seed)) throw new KerasValueError(`Argument \`seed\` must be an integer. Received: seed=${String(this.seed)}`);
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.generator = new Generator(this.seed ?? Math.floor(randomUniform() * 4294967296));
  }

  /** Uniform in [lo, hi) from the layer's stream. */
  protected uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.generator.random();
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training) return inputs;
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    if (x.ndim !== 3 && x.ndim !== 4) throw new KerasValueError(`Layer ${this.name} expects images of rank 3 or 4 ([batch,] height, width, channels). Received input shape ${JSON.stringify(x.shape)}`);
    const batched = x.ndim === 4 ? x : x.unsqueeze(0);
    // Channels-last [N, H, W, C] inside.
    const last = this.dataFormat === 'channels_last';
    const nhwc = last ? batched : batched.permute([0, 2, 3, 1]);
    let y = this.augment(nhwc);
    if (!last) y = y.permute([0, 3, 1, 2]);
    return x.ndim === 4 ? y : y.squeeze(0);
  }

  /** The random transform of a batch [N, H, W, C]. */
  protected abstract augment(images: Tensor): Tensor;

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), seed: this.seed, dataFormat: this.dataFormat };
  }
}

/** The base of the layers that resample through a projective transform. */
export abstract class BaseResampling extends BaseImageAugmentation {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  constructor(options: ResamplingOptions = {}) {
    super(options);
    const modes = ['reflect', 'wrap', 'constant', 'nearest'];
    const interps = ['nearest', 'bilinear'];
    const fm = options.fillMode ?? 'reflect';
    const ip = options.interpolation ?? 'bilinear';
    if (!modes.includes(fm)) throw new KerasValueError(`Unknown \`fill_mode\` ${String(fm)}. Expected of one ('reflect', 'wrap', 'constant', 'nearest').`);
    if (!interps.includes(ip)) throw new KerasValueError(`Unknown \`interpolation\` ${String(ip)}. Expected of one ('nearest', 'bilinear').`);
    this.fillMode = fm;
    this.interpolation = ip;
    this.fillValue = options.fillValue ?? 0;
  }

  protected override augment(images: Tensor): Tensor {
    const [n, h, w] = images.shape as [number, number, number, number];
    const transforms = new Float64Array(8 * n);
    for (let b = 0; b < n; b++) transforms.set(this.transform(h, w), 8 * b);
    // Images that need no gradient (the usual case: augmentation on the model's inputs) go through
    // TensorFlow's ImageProjectiveTransformV3, one kernel for the batch, as Keras's TF backend does; the
    // gather form (the same sampling, computed here) keeps exact gradients for the others.
    if (isGradEnabled() && images.requiresGrad) return projectiveTransform(images, transforms, this.interpolation, this.fillMode, this.fillValue);
    const t = tensor(Float32Array.from(transforms), { shape: [n, 8] });
    return CF.imageProjectiveTransform(images, t, { interpolation: this.interpolation, fillMode: this.fillMode, fillValue: this.fillValue });
  }

  /** One image's transform (TF's 8 numbers), from fresh random draws. */
  protected abstract transform(height: number, width: number): number[];

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue };
  }
}

/** A factor as Keras reads it: a number f gives [-|f|, |f|]; a pair is sorted. Bounds (lo, hi] or [lo, hi]. */
export function factorRange(factor: unknown, name: string, message: string, check: (v: number) => boolean): [number, number] {
  const err = () => new KerasValueError(`${message}Received: ${name}=${JSON.stringify(factor)}`);
  if (Array.isArray(factor)) {
    if (factor.length !== 2 || !factor.every((v) => typeof v === 'number' && check(v))) throw err();
    const [a, b] = factor as [number, number];
    return a <= b ? [a, b] : [b, a];
  }
  if (typeof factor === 'number' && check(factor)) return [-Math.abs(factor), Math.abs(factor)];
  throw err();
}
