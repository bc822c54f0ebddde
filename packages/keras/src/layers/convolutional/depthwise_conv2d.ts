/** `keras.layers.DepthwiseConv2D`: each input channel convolved with its own `depthMultiplier` filters. */
import type { Tensor } from '@duet/core';
import { serializeActivation } from '../../activations/activations.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { weightConfig, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import type { LayerConfig } from '../layer.js';
import type { Variable } from '../variable.js';
import { ConvLayer, convOutputShape, runConv, type ConvLayerOptions } from './base_conv.js';
import { checkPositiveInt, type ConvPadding, type DataFormat } from './conv_utils.js';

/** The depthwise kernel's initializer defaults to 'glorot_uniform'. */
export interface DepthwiseConv2DOptions extends ConvLayerOptions, WeightOptions<'depthwise'> {
  /** Filters per input channel. Default 1. */
  depthMultiplier?: number;
}

/**
 * Kernel [kh, kw, in, depthMultiplier] (named `kernel`, as in Keras), output
 * channels in * depthMultiplier (channel c * m + j is input c's filter j).
 * Runs TF's DepthwiseConv2dNative through core's grouped conv (the kernel
 * reshaped to [kh, kw, 1, in * m], a free Reshape).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const dw = new keras.layers.DepthwiseConv2D(3, { depthMultiplier: 2, padding: 'same' });
 * dw.apply(randn([2, 8, 8, 4])).shape; // [2, 8, 8, 8]
 * ```
 */
export class DepthwiseConv2D extends ConvLayer {
  readonly depthMultiplier: number;
  readonly depthwiseSettings: WeightSettings;
  private _kernel: Variable | null = null;

  constructor(kernelSize: number | number[], options: DepthwiseConv2DOptions = {}) {
    super(2, kernelSize, options);
    this.depthMultiplier = checkPositiveInt(options.depthMultiplier ?? 1, 'depth_multiplier');
    this.depthwiseSettings = weightSettings(options, 'depthwise', 'glorot_uniform');
  }

  override build(inputShape: Shape): void {
    this.computeOutputShape(inputShape);
    const c = this.buildChannels(inputShape);
    this._kernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, c, this.depthMultiplier], ...this.depthwiseSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [c * this.depthMultiplier], ...this.biasSettings });
  }

  /** [kh, kw, in, depthMultiplier] (after build). */
  get kernel(): Variable {
    return this.afterBuild(this._kernel, '`kernel`');
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    return this.activation(depthwise(x, this.kernel, this._bias, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat));
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const c = inputShape[this.dataFormat === 'channels_last' ? 3 : 1];
    return convOutputShape(inputShape, (c ?? 0) * this.depthMultiplier, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat, dilationRate: this.dilationRate,
      depthMultiplier: this.depthMultiplier, activation: serializeActivation(this.activation), useBias: this.useBias,
      ...weightConfig('depthwise', this.depthwiseSettings), ...weightConfig('bias', this.biasSettings),
    };
  }

  static override fromConfig(config: LayerConfig): DepthwiseConv2D {
    return new DepthwiseConv2D(config.kernelSize, config);
  }
}
registerSerializable('layer', DepthwiseConv2D);

/** A depthwise conv with a Keras [kh, kw, C, m] kernel: core's grouped conv with groups = C over the [kh, kw, 1, C * m] view. */
export function depthwise(x: Tensor, kernel: Tensor, bias: Tensor | null, k: number[], s: number[], d: number[], padding: ConvPadding, fmt: DataFormat): Tensor {
  const [kh, kw, c, m] = kernel.shape as [number, number, number, number];
  return runConv(x, kernel.reshape([kh, kw, 1, c * m]), bias, 2, k, s, d, padding, fmt, c);
}
