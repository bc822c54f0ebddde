/** `keras.layers.Conv2D`: 2-d convolution, kernel [kh, kw, in / groups, filters]. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseConv, type ConvOptions } from './base_conv.js';

export type Conv2DOptions = Omit<ConvOptions, 'padding'> & { padding?: 'valid' | 'same' };

/**
 * Inputs [batch, height, width, channels] (or channels first). One Conv2D
 * kernel + BiasAdd forward, BackpropInput + BackpropFilter + BiasAddGrad
 * backward, all on TF's NHWC kernels.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const conv = new keras.layers.Conv2D(32, 3, { activation: 'relu', padding: 'same' });
 * conv.apply(randn([8, 28, 28, 1])).shape; // [8, 28, 28, 32]
 * conv.kernel.shape;                       // [3, 3, 1, 32]
 * ```
 */
export class Conv2D extends BaseConv {
  constructor(filters: number, kernelSize: number | number[], options: Conv2DOptions = {}) {
    super(2, filters, kernelSize, options);
  }
  static override fromConfig(config: LayerConfig): Conv2D {
    return new Conv2D(config.filters, config.kernelSize, config);
  }
}
registerSerializable('layer', Conv2D);
