/** `keras.layers.DepthwiseConv2D`: each input channel convolved with its own `depthMultiplier` filters. */
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

export interface DepthwiseConv2DOptions extends LayerOptions {
  /** Filters per input channel. Default 1. */
  depthMultiplier?: number;
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
  dilationRate?: number | number[];
  activation?: ActivationIdentifier;
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  depthwiseInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  depthwiseConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
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
export class DepthwiseConv2D extends Layer {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: ConvPadding;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly depthMultiplier: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly depthwiseSettings: WeightSettings;
  readonly biasSettings: WeightSettings;
  private _kernel: Variable | null = null;
  private _bias: Variable | null = null;

  constructor(kernelSize: number | number[], options: DepthwiseConv2DOptions = {}) {
    super(options);
    this.depthMultiplier = checkPositiveInt(options.depthMultiplier ?? 1, 'depth_multiplier');
    const w = convWindow(2, kernelSize, options);
    this.kernelSize = w.kernel;
    this.strides = w.strides;
    this.dilationRate = w.dilation;
    this.padding = standardizePadding(options.padding ?? 'valid') as ConvPadding;
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.depthwiseSettings = weightSettings(options, 'depthwise', 'glorot_uniform');
    this.biasSettings = weightSettings(options, 'bias', 'zeros');
    this.inputSpec = new InputSpec({ ndim: 4 });
  }

  override build(inputShape: Shape): void {
    const c = inputChannels(inputShape, this.dataFormat, 'DepthwiseConv2D');
    this.computeOutputShape(inputShape);
    this.inputSpec = new InputSpec({ ndim: 4, axes: { [this.dataFormat === 'channels_last' ? -1 : 1]: c } });
    this._kernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, c, this.depthMultiplier], ...this.depthwiseSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [c * this.depthMultiplier], ...this.biasSettings });
  }

  /** [kh, kw, in, depthMultiplier] (after build). */
  get kernel(): Variable {
    if (this._kernel === null) throw new KerasValueError(`You must build the layer before accessing \`kernel\`. Layer "${this.name}" is built on its first call.`);
    return this._kernel;
  }
  get bias(): Variable | null {
    return this._bias;
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
