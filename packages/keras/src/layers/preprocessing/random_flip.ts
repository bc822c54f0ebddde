/** `keras.layers.RandomFlip`: flip each image left-right and/or up-down with probability 1/2, in training. */
import { tensor, where, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseImageAugmentation, type AugmentationOptions } from './base_image_augmentation.js';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

/**
 * As in Keras, 'horizontal_and_vertical' (the default) flips an image both
 * ways or not at all (one draw per image). Identity unless called with
 * `training: true` (which `fit` passes).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const flip = new keras.layers.RandomFlip('horizontal', { seed: 1 });
 * flip.apply(randn([8, 28, 28, 1]), { training: true }).shape; // [8, 28, 28, 1]
 * ```
 */
export class RandomFlip extends BaseImageAugmentation {
  readonly mode: FlipMode;

  constructor(mode: FlipMode | AugmentationOptions = 'horizontal_and_vertical', options: AugmentationOptions = {}) {
    const o = typeof mode === 'object' ? mode : options;
    super(o);
    const m = typeof mode === 'object' ? ((mode as { mode?: FlipMode }).mode ?? 'horizontal_and_vertical') : mode;
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(m)) {
      throw new KerasValueError(`RandomFlip layer ${this.name} received an unknown mode argument ${String(m)}`);
    }
    this.mode = m;
  }

  protected override augment(images: Tensor): Tensor {
    const n = images.shape[0]!;
    const u = new Float32Array(n).map(() => this.generator.random());
    // Keras: flip where uniform <= 0.5.
    const mask = tensor(u).le(0.5).reshape([n, 1, 1, 1]);
    let y = images;
    if (this.mode !== 'vertical') y = where(mask, y.flip([2]), y);
    if (this.mode !== 'horizontal') y = where(mask, y.flip([1]), y);
    return y;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), mode: this.mode };
  }

  static override fromConfig(config: LayerConfig): RandomFlip {
    return new RandomFlip(config.mode, config);
  }
}
registerSerializable('layer', RandomFlip);
