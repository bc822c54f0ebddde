/** `keras.layers.GlobalAveragePooling1D`: The mean over the steps, per channel. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseGlobalPooling, type GlobalPoolingOptions } from './base_global_pooling.js';

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.GlobalAveragePooling1D().apply(randn([8, 50, 16])).shape; // [8, 16]
 * ```
 */
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, 'average', options);
  }
  static override fromConfig(config: LayerConfig): GlobalAveragePooling1D {
    return new GlobalAveragePooling1D(config);
  }
}
registerSerializable('layer', GlobalAveragePooling1D);
