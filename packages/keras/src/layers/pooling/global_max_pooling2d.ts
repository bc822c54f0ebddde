/** `keras.layers.GlobalMaxPooling2D`: The maximum over height and width, per channel. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseGlobalPooling, type GlobalPoolingOptions } from './base_global_pooling.js';

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.GlobalMaxPooling2D().apply(randn([8, 7, 7, 64])).shape; // [8, 64]
 * ```
 */
export class GlobalMaxPooling2D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, 'max', options);
  }
  static override fromConfig(config: LayerConfig): GlobalMaxPooling2D {
    return new GlobalMaxPooling2D(config);
  }
}
registerSerializable('layer', GlobalMaxPooling2D);
