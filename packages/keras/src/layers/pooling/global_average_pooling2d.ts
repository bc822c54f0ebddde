/** `keras.layers.GlobalAveragePooling2D`: The mean over height and width, per channel. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseGlobalPooling, type GlobalPoolingOptions } from './base_global_pooling.js';

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * new keras.layers.GlobalAveragePooling2D().apply(randn([8, 7, 7, 64])).shape; // [8, 64]
 * ```
 */
export class GlobalAveragePooling2D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, 'average', options);
  }
  static override fromConfig(config: LayerConfig): GlobalAveragePooling2D {
    return new GlobalAveragePooling2D(config);
  }
}
registerSerializable('layer', GlobalAveragePooling2D);
