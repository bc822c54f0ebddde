/** `keras.layers.Conv1D`: 1-d convolution over [batch, steps, channels], kernel [k, in / groups, filters]. */
import { registerSerializable } from '../../registry.js';
import type { LayerConfig } from '../layer.js';
import { BaseConv, type ConvOptions } from './base_conv.js';

/**
 * Runs core's 2-d kernel over a unit height. `padding: 'causal'` pads
 * `dilationRate * (kernelSize - 1)` zeros before each sequence only, so
 * output t sees inputs up to t.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const conv = new keras.layers.Conv1D(16, 3, { padding: 'causal', dilationRate: 2 });
 * conv.apply(randn([4, 50, 8])).shape; // [4, 50, 16]
 * ```
 */
export class Conv1D extends BaseConv {
  constructor(filters: number, kernelSize: number | number[], options: ConvOptions = {}) {
    super(1, filters, kernelSize, options);
  }
  static override fromConfig(config: LayerConfig): Conv1D {
    return new Conv1D(config.filters, config.kernelSize, config);
  }
}
registerSerializable('layer', Conv1D);
