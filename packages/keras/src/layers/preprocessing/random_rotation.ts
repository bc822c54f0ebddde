/** `keras.layers.RandomRotation`: rotate each image by a random angle about its centre, in training. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseResampling, factorRange, type ResamplingOptions } from './base_image_augmentation.js';

const f = Math.fround;

/**
 * `factor` is a fraction of a full turn: 0.1 draws angles in [-36, 36]
 * degrees, [-0.2, 0.3] in [-72, 108]. Keras's affine matrix about the centre
 * ((W - 1) / 2, (H - 1) / 2), then TF's resampling rules (image_transform.ts).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { rand } from '@duet/core';
 * const rot = new keras.layers.RandomRotation(0.1, { fillMode: 'constant', seed: 7 });
 * rot.apply(rand([4, 28, 28, 1]), { training: true }).shape; // [4, 28, 28, 1]
 * ```
 */
export class RandomRotation extends BaseResampling {
  readonly factor: number | [number, number];
  private readonly range: [number, number];

  constructor(factor: number | [number, number], options: ResamplingOptions = {}) {
    super(options);
    this.factor = factor;
    this.range = factorRange(factor, 'factor', 'The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. ', (v) => v >= -1 && v <= 1);
  }

  protected override transform(height: number, width: number): number[] {
    const deg = this.uniform(this.range[0] * 360, this.range[1] * 360);
    const a = f(f(deg) * f(Math.PI / 180));
    const cx = f(0.5 * (width - 1));
    const cy = f(0.5 * (height - 1));
    const cos = f(Math.cos(a));
    const sin = f(Math.sin(a));
    const [a0, a1, b0, b1] = [cos, -sin, sin, cos];
    return [a0, a1, f(f(cx - f(cx * a0)) - f(cy * a1)), b0, b1, f(f(cy - f(cx * b0)) - f(cy * b1)), 0, 0];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor };
  }

  static override fromConfig(config: LayerConfig): RandomRotation {
    return new RandomRotation(config.factor, config);
  }
}
registerSerializable('layer', RandomRotation);
