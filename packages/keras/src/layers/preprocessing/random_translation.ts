/** `keras.layers.RandomTranslation`: shift each image by a random fraction of its height and width, in training. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseResampling, factorRange, type ResamplingOptions } from './base_image_augmentation.js';

const f = Math.fround;
const MESSAGE = 'The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. ';

/**
 * `heightFactor` 0.2 shifts by a draw in [-20 %, 20 %] of the height
 * (positive: down / right); the uncovered part is filled by `fillMode`.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { rand } from '@duet/core';
 * const shift = new keras.layers.RandomTranslation(0.1, 0.1, { seed: 5 });
 * shift.apply(rand([4, 28, 28, 1]), { training: true }).shape; // [4, 28, 28, 1]
 * ```
 */
export class RandomTranslation extends BaseResampling {
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number];
  private readonly hRange: [number, number];
  private readonly wRange: [number, number];

  constructor(heightFactor: number | [number, number], widthFactor: number | [number, number], options: ResamplingOptions = {}) {
    super(options);
    const check = (v: number) => v >= -1 && v <= 1;
    this.heightFactor = heightFactor;
    this.widthFactor = widthFactor;
    this.hRange = factorRange(heightFactor, 'height_factor', MESSAGE, check);
    this.wRange = factorRange(widthFactor, 'width_factor', MESSAGE, check);
  }

  protected override transform(height: number, width: number): number[] {
    const dy = f(f(this.uniform(this.hRange[0], this.hRange[1])) * height);
    const dx = f(f(this.uniform(this.wRange[0], this.wRange[1])) * width);
    return [1, 0, -dx, 0, 1, -dy, 0, 0];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }

  static override fromConfig(config: LayerConfig): RandomTranslation {
    return new RandomTranslation(config.heightFactor, config.widthFactor, config);
  }
}
registerSerializable('layer', RandomTranslation);
