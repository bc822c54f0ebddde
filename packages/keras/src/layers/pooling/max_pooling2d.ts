/** `keras.layers.MaxPooling2D`: the maximum of each window of [batch, height, width, channels] (or channels first). */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BasePooling, poolArgs, type PoolingOptions } from './base_pooling.js';

/**
 * Keras's defaults: `poolSize` 2, `strides` = `poolSize`, 'valid' padding.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const pool = new keras.layers.MaxPooling2D(2);
 * pool.apply(randn([8, 28, 28, 32])).shape; // [8, 14, 14, 32]
 * ```
 */
export class MaxPooling2D extends BasePooling {
  constructor(poolSize?: number | number[] | PoolingOptions, options: PoolingOptions = {}) {
    super(2, 'max', poolArgs(poolSize, options));
  }
  static override fromConfig(config: LayerConfig): MaxPooling2D {
    return new MaxPooling2D(config);
  }
}
registerSerializable('layer', MaxPooling2D);
