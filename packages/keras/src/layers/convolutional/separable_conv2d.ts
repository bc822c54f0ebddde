/** `keras.layers.SeparableConv2D`: a depthwise conv, then a 1x1 conv mixing the channels. */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getActivation, serializeActivation, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import type { ConstraintIdentifier } from '../../constraints/constraint.js';
import type { InitializerIdentifier } from '../../initializers/initializer.js';
import type { RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { weightConfig, weightSettings, type WeightSettings } from '../weight_settings.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';
import { convOutputShape, convWindow, inputChannels, runConv } from './base_conv.js';
import { checkPositiveInt, standardizeDataFormat, standardizePadding, type ConvPadding, type DataFormat } from './conv_utils.js';
import { depthwise } from './depthwise_conv2d.js';

export interface SeparableConv2DOptions extends LayerOptions {
  /** Depthwise filters per input channel. Default 1. */
  depthMultiplier?: number;
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
  dilationRate?: number | number[];
  activation?: ActivationIdentifier;
  useBias?: boolean;
  depthwiseInitializer?: InitializerIdentifier;
  pointwiseInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
  pointwiseRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  depthwiseConstraint?: ConstraintIdentifier;
  pointwiseConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
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
export class SeparableConv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: ConvPadding;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly depthMultiplier: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly depthwiseSettings: WeightSettings;
  readonly pointwiseSettings: WeightSettings;
  readonly biasSettings: WeightSettings;
  private _depthwise: Variable | null = null;
  private _pointwise: Variable | null = null;
  private _bias: Variable | null = null;

  constructor(filters: number, kernelSize: number | number[], options: SeparableConv2DOptions = {}) {
    super(options);
    this.depthMultiplier = checkPositiveInt(options.depthMultiplier ?? 1, 'depth_multiplier');
    this.filters = checkPositiveInt(filters, 'filters');
    const w = convWindow(2, kernelSize, options);
    this.kernelSize = w.kernel;
    this.strides = w.strides;
    this.dilationRate = w.dilation;
    this.padding = standardizePadding(options.padding ?? 'valid') as ConvPadding;
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.depthwiseSettings = weightSettings(options, 'depthwise', 'glorot_uniform');
    this.pointwiseSettings = weightSettings(options, 'pointwise', 'glorot_uniform');
    this.biasSettings = weightSettings(options, 'bias', 'zeros');
    this.inputSpec = new InputSpec({ ndim: 4 });
  }

  override build(inputShape: Shape): void {
    const c = inputChannels(inputShape, this.dataFormat, 'SeparableConv2D');
    this.computeOutputShape(inputShape);
    this.inputSpec = new InputSpec({ ndim: 4, axes: { [this.dataFormat === 'channels_last' ? -1 : 1]: c } });
    const m = this.depthMultiplier;
    this._depthwise = this.addWeight({ name: 'depthwise_kernel', shape: [...this.kernelSize, c, m], ...this.depthwiseSettings });
    this._pointwise = this.addWeight({ name: 'pointwise_kernel', shape: [1, 1, c * m, this.filters], ...this.pointwiseSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [this.filters], ...this.biasSettings });
  }

  private _built(): [Variable, Variable] {
    if (this._depthwise === null || this._pointwise === null) throw new KerasValueError(`You must build the layer before accessing its kernels. Layer "${this.name}" is built on its first call.`);
    return [this._depthwise, this._pointwise];
  }
  /** [kh, kw, in, depthMultiplier]. */
  get depthwiseKernel(): Variable {
    return this._built()[0];
  }
  /** [1, 1, in * depthMultiplier, filters]. */
  get pointwiseKernel(): Variable {
    return this._built()[1];
  }
  get bias(): Variable | null {
    return this._bias;
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
