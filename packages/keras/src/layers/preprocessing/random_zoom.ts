/** `keras.layers.RandomZoom`: zoom each image in or out by a random factor, in training. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseResampling, factorRange, type ResamplingOptions } from './base_image_augmentation.js';

const f = Math.fround;
const MESSAGE = 'The `height_factor` and `width_factor` arguments should be a number (or a list of two numbers) in the range (-1.0, 1.0]. ';

export interface RandomZoomOptions extends ResamplingOptions {
  /** Like `heightFactor`; default null: the height's draw is used for the width too (aspect kept). */
  widthFactor?: number | [number, number] | null;
}

/**
 * Factors as in Keras: a negative one zooms in (0.2 -> each axis scaled by
 * a draw in [1 - 0.2, 1 + 0.2] of its source extent, so -0.3 enlarges the
 * content by up to 30 %); the zoom is about the image centre.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { rand } from '@duet/core';
 * const zoom = new keras.layers.RandomZoom(0.2, { seed: 3 });
 * zoom.apply(rand([4, 28, 28, 1]), { training: true }).shape; // [4, 28, 28, 1]
 * ```
 */
export class RandomZoom extends BaseResampling {
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number] | null;
  private readonly hRange: [number, number];
  private readonly wRange: [number, number] | null;

  constructor(heightFactor: number | [number, number], options: RandomZoomOptions = {}) {
    super(options);
    const check = (v: number) => v > -1 && v <= 1;
    this.heightFactor = heightFactor;
    this.hRange = factorRange(heightFactor, 'height_factor', MESSAGE, check);
    this.widthFactor = options.widthFactor ?? null;
    this.wRange = this.widthFactor === null ? null : factorRange(this.widthFactor, 'width_factor', MESSAGE, check);
  }

  protected override transform(height: number, width: number): number[] {
    const zy = f(this.uniform(1 + this.hRange[0], 1 + this.hRange[1]));
    const zx = this.wRange === null ? zy : f(this.uniform(1 + this.wRange[0], 1 + this.wRange[1]));
    const xOff = f(f((width - 1) / 2) * f(1 - zx));
    const yOff = f(f((height - 1) / 2) * f(1 - zy));
    return [zx, 0, xOff, 0, zy, yOff, 0, 0];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }

  static override fromConfig(config: LayerConfig): RandomZoom {
    return new RandomZoom(config.heightFactor, config);
  }
}
registerSerializable('layer', RandomZoom);
