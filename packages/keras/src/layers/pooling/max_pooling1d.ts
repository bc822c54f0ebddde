/** `keras.layers.MaxPooling1D`: the maximum of each window of [batch, steps, channels] (or channels first). */
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
 * const pool = new keras.layers.MaxPooling1D(2);
 * pool.apply(randn([8, 50, 16])).shape; // [8, 25, 16]
 * ```
 */
export class MaxPooling1D extends BasePooling {
  constructor(poolSize?: number | number[] | PoolingOptions, options: PoolingOptions = {}) {
    super(1, 'max', poolArgs(poolSize, options));
  }
  static override fromConfig(config: LayerConfig): MaxPooling1D {
    return new MaxPooling1D(config);
  }
}
registerSerializable('layer', MaxPooling1D);
