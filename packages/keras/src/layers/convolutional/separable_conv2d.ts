/** `keras.layers.SeparableConv2D`: a depthwise conv, then a 1x1 conv mixing the channels. */
import type { Tensor } from '@duet/core';
import { serializeActivation } from '../../activations/activations.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { weightConfig, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import type { LayerConfig } from '../layer.js';
import type { Variable } from '../variable.js';
import { ConvLayer, convOutputShape, runConv, type ConvLayerOptions } from './base_conv.js';
import { checkPositiveInt } from './conv_utils.js';
import { depthwise } from './depthwise_conv2d.js';

/** Both kernels' initializers default to 'glorot_uniform'. */
export interface SeparableConv2DOptions extends ConvLayerOptions, WeightOptions<'depthwise'>, WeightOptions<'pointwise'> {
  /** Depthwise filters per input channel. Default 1. */
  depthMultiplier?: number;
}

/**
 * Weights `depthwise_kernel` [kh, kw, in, m], `pointwise_kernel`
 * [1, 1, in * m, filters], `bias` [filters], in Keras's order. Strides and
 * dilation apply to the depthwise step.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const sep = new keras.layers.SeparableConv2D(16, 3, { padding: 'same' });
 * sep.apply(randn([2, 8, 8, 4])).shape; // [2, 8, 8, 16]
 * ```
 */
export class SeparableConv2D extends ConvLayer {
  readonly filters: number;
  readonly depthMultiplier: number;
  readonly depthwiseSettings: WeightSettings;
  readonly pointwiseSettings: WeightSettings;
  private _depthwise: Variable | null = null;
  private _pointwise: Variable | null = null;

  constructor(filters: number, kernelSize: number | number[], options: SeparableConv2DOptions = {}) {
    super(2, kernelSize, options);
    this.depthMultiplier = checkPositiveInt(options.depthMultiplier ?? 1, 'depth_multiplier');
    this.filters = checkPositiveInt(filters, 'filters');
    this.depthwiseSettings = weightSettings(options, 'depthwise', 'glorot_uniform');
    this.pointwiseSettings = weightSettings(options, 'pointwise', 'glorot_uniform');
  }

  override build(inputShape: Shape): void {
    this.computeOutputShape(inputShape);
    const c = this.buildChannels(inputShape);
    const m = this.depthMultiplier;
    this._depthwise = this.addWeight({ name: 'depthwise_kernel', shape: [...this.kernelSize, c, m], ...this.depthwiseSettings });
    this._pointwise = this.addWeight({ name: 'pointwise_kernel', shape: [1, 1, c * m, this.filters], ...this.pointwiseSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [this.filters], ...this.biasSettings });
  }

  private _built(): [Variable, Variable] {
    return [this.afterBuild(this._depthwise, 'its kernels'), this.afterBuild(this._pointwise, 'its kernels')];
  }
  /** [kh, kw, in, depthMultiplier]. */
  get depthwiseKernel(): Variable {
    return this._built()[0];
  }
  /** [1, 1, in * depthMultiplier, filters]. */
  get pointwiseKernel(): Variable {
    return this._built()[1];
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    const [dk, pk] = this._built();
    const h = depthwise(x, dk, null, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat);
    return this.activation(runConv(h, pk, this._bias, 2, [1, 1], [1, 1], [1, 1], 'valid', this.dataFormat));
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return convOutputShape(inputShape, this.filters, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat,
      dilationRate: this.dilationRate, depthMultiplier: this.depthMultiplier, activation: serializeActivation(this.activation), useBias: this.useBias,
      ...weightConfig('depthwise', this.depthwiseSettings), ...weightConfig('pointwise', this.pointwiseSettings),
      ...weightConfig('bias', this.biasSettings),
    };
  }

  static override fromConfig(config: LayerConfig): SeparableConv2D {
    return new SeparableConv2D(config.filters, config.kernelSize, config);
  }
}
registerSerializable('layer', SeparableConv2D);
