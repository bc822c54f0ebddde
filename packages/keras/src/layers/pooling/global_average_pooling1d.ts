/** `keras.layers.GlobalAveragePooling1D`: The mean over the steps, per channel. */
import { registerSerializable } from '../../registry.js';
import type { Tensor } from '@duet/core';
import type { CallOptions, LayerConfig } from '../layer.js';
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
  /** With a mask (Embedding `maskZero`, a masked RNN's sequences), the mean over the unmasked steps only, as Keras. */
  override call(inputs: Tensor, options: CallOptions = {}): Tensor {
    const mask = options.mask;
    if (mask === undefined || mask === null || Array.isArray(mask)) return super.call(inputs);
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const m = mask.float().unsqueeze(this.dataFormat === 'channels_last' ? 2 : 1);
    const axis = this.dataFormat === 'channels_last' ? 1 : 2;
    return x.mul(m).sum(axis, { keepdim: this.keepdims }).div(m.sum(axis, { keepdim: this.keepdims }));
  }

  static override fromConfig(config: LayerConfig): GlobalAveragePooling1D {
    return new GlobalAveragePooling1D(config);
  }
}
registerSerializable('layer', GlobalAveragePooling1D);
