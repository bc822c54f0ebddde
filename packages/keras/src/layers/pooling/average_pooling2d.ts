/** `keras.layers.AveragePooling2D`: the mean of each window of [batch, height, width, channels] (or channels first). */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BasePooling, type PoolingOptions } from './base_pooling.js';

/**
 * `poolSize` is required (as in Keras); `strides` default `poolSize`, 'valid' padding.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const pool = new keras.layers.AveragePooling2D(2);
 * pool.apply(randn([8, 28, 28, 32])).shape; // [8, 14, 14, 32]
 * ```
 */
export class AveragePooling2D extends BasePooling {
  constructor(poolSize: number | number[], options: Omit<PoolingOptions, 'poolSize'> = {}) {
    super(2, 'average', { ...options, poolSize });
  }
  static override fromConfig(config: LayerConfig): AveragePooling2D {
    return new AveragePooling2D(config.poolSize, config);
  }
}
registerSerializable('layer', AveragePooling2D);
