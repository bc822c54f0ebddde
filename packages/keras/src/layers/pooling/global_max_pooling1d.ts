/** `keras.layers.GlobalMaxPooling1D`: The maximum over the steps, per channel. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseGlobalPooling, type GlobalPoolingOptions } from './base_global_pooling.js';

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.GlobalMaxPooling1D().apply(randn([8, 50, 16])).shape; // [8, 16]
 * ```
 */
export class GlobalMaxPooling1D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, 'max', options);
  }
  static override fromConfig(config: LayerConfig): GlobalMaxPooling1D {
    return new GlobalMaxPooling1D(config);
  }
}
registerSerializable('layer', GlobalMaxPooling1D);
