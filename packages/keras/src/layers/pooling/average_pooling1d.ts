/** `keras.layers.AveragePooling1D`: the mean of each window of [batch, steps, channels] (or channels first). */
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
 * const pool = new keras.layers.AveragePooling1D(2);
 * pool.apply(randn([8, 50, 16])).shape; // [8, 25, 16]
 * ```
 */
export class AveragePooling1D extends BasePooling {
  constructor(poolSize: number | number[], options: Omit<PoolingOptions, 'poolSize'> = {}) {
    super(1, 'average', { ...options, poolSize });
  }
  static override fromConfig(config: LayerConfig): AveragePooling1D {
    return new AveragePooling1D(config.poolSize, config);
  }
}
registerSerializable('layer', AveragePooling1D);
