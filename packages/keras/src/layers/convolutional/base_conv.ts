/**
 * What the conv layers share: `ConvLayer` reads the options every one of
 * them takes (window, data format, activation, bias), and `BaseConv`
 * (Keras 3's) is Conv1D's and Conv2D's base: it creates `kernel`
 * [...kernelSize, in / groups, filters] and `bias` [filters], and runs core's
 * conv2d kernel. Channels-last inputs go straight to TF's NHWC kernel with
 * Keras's kernel as is (no transposes); 'same' padding becomes TF's explicit
 * [before, after] paddings (no Pad kernel). A 1-d conv runs as a 2-d one
 * over a unit height (two free reshapes).
 */
import { functional as CF, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getActivation, relu, serializeActivation, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { shapeToString, type Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { weightConfig, weightSettings, type WeightOptions, type WeightSettings } from '../weight_settings.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';
import {
  checkPositiveInt, standardizeDataFormat, standardizePadding, standardizeTuple, tupleStr, windowOutput, windowPads,
  type ConvPadding, type DataFormat,
} from './conv_utils.js';

/** The options every conv layer takes (`Pad`: the paddings it accepts). */
export interface ConvLayerOptions<Pad extends string = ConvPadding> extends LayerOptions, WeightOptions<'bias'> {
  /** Step of the window: one integer or one per spatial dim. Default 1. */
  strides?: number | number[];
  /** 'valid' (default, no padding) or 'same' (output size ceil(input / strides)); Conv1D also 'causal'. */
  padding?: Pad;
  /** 'channels_last' (default: [batch, ...spatial, channels]) or 'channels_first'. */
  dataFormat?: DataFormat | 'channelsLast' | 'channelsFirst';
  /** Spacing of the kernel taps. Default 1; Conv1D, Conv2D and Conv2DTranspose refuse it > 1 together with strides > 1. */
  dilationRate?: number | number[];
  activation?: ActivationIdentifier;
  /** Default true; the bias's initializer defaults to 'zeros'. */
  useBias?: boolean;
}

/** Conv1D's and Conv2D's options; the kernel's initializer defaults to 'glorot_uniform'. */
export interface ConvOptions extends ConvLayerOptions<ConvPadding | 'causal'>, WeightOptions<'kernel'> {
  /** Split the channels into groups convolved separately. Default 1. */
  groups?: number;
}

/** A spatial option of a conv layer, checked as Keras does. */
export function convWindow(rank: number, kernelSize: unknown, o: { strides?: unknown; dilationRate?: unknown }) {
  const kernel = standardizeTuple(kernelSize, rank, 'kernel_size');
  const strides = standardizeTuple(o.strides ?? 1, rank, 'strides');
  const dilation = standardizeTuple(o.dilationRate ?? 1, rank, 'dilation_rate');
  return { kernel, strides, dilation };
}

export function noStridedDilation(strides: number[], dilation: number[]): void {
  if (Math.max(...strides) > 1 && Math.max(...dilation) > 1) {
    throw new KerasValueError(`\`strides > 1\` not supported in conjunction with \`dilation_rate > 1\`. Received: strides=${tupleStr(strides)} and dilation_rate=${tupleStr(dilation)}`);
  }
}

/** The channel count of an input shape (defined, or Keras's error). */
export function inputChannels(inputShape: Shape, dataFormat: DataFormat, layer: string): number {
  const c = dataFormat === 'channels_last' ? inputShape[inputShape.length - 1] : inputShape[1];
  if (c === null || c === undefined) {
    throw new KerasValueError(`The channel dimension of the inputs to ${layer} should be defined. Found None. Full input shape received: ${shapeToString(inputShape)}`);
  }
  return c;
}

/** Explicit [[top, bottom], [left, right]] paddings of a 2-d window over `hw`. */
export function explicitPads(hw: readonly number[], k: number[], s: number[], d: number[], padding: ConvPadding | 'causal'): [[number, number], [number, number]] {
  return [windowPads(hw[0]!, k[0]!, s[0]!, d[0]!, padding), windowPads(hw[1]!, k[1]!, s[1]!, d[1]!, padding)];
}

/** [batch, ...spatial out, channels] (or channels first) of a conv over `inputShape`. */
export function convOutputShape(inputShape: Shape, channels: number, k: number[], s: number[], d: number[], padding: ConvPadding | 'causal', fmt: DataFormat): Shape {
  const rank = k.length;
  const last = fmt === 'channels_last';
  const spatial = last ? inputShape.slice(1, 1 + rank) : inputShape.slice(2, 2 + rank);
  const out = spatial.map((n, i) => windowOutput(n, k[i]!, s[i]!, d[i]!, padding));
  if (out.some((o) => o !== null && o <= 0)) {
    throw new KerasValueError(`Computed output size would be negative. Received \`inputs shape=${shapeToString(inputShape)}\`, \`kernel shape=${tupleStr(k)}\`, \`dilation_rate=${tupleStr(d)}\`.`);
  }
  return last ? [inputShape[0]!, ...out, channels] : [inputShape[0]!, channels, ...out];
}

/**
 * A 2-d conv of x (rank 4) or a 1-d one (rank 3, over a unit height) with a
 * Keras-layout kernel ([...k, in / groups, out]).
 */
export function runConv(x: Tensor, kernel: Tensor, bias: Tensor | null, rank: 1 | 2, k: number[], s: number[], d: number[], padding: ConvPadding | 'causal', fmt: DataFormat, groups = 1, activation?: 'relu'): Tensor {
  const last = fmt === 'channels_last';
  if (rank === 1) {
    // [N, L, C] -> [N, 1, L, C] (or [N, C, L] -> [N, C, 1, L]); kernel [k, in, out] -> [1, k, in, out]
    const x2 = x.unsqueeze(last ? 1 : 2);
    const y = runConv(x2, kernel.unsqueeze(0), bias, 2, [1, k[0]!], [1, s[0]!], [1, d[0]!], padding, fmt, groups, activation);
    return y.squeeze(last ? 1 : 2);
  }
  const hw = last ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
  const pads = explicitPads(hw, k, s, d, padding);
  const opts = { stride: [s[0]!, s[1]!] as [number, number], dilation: [d[0]!, d[1]!] as [number, number], padding: pads, groups, activation };
  if (last) return CF.conv2d(x, kernel, bias, { ...opts, dataFormat: 'NHWC' });
  // channels_first: core's NCHW path (its result is stored channels-last, so chained layers transpose nothing).
  return CF.conv2d(x, kernel.permute([3, 2, 0, 1]), bias, opts);
}

/**
 * What every conv layer reads from its options the same way (Keras repeats
 * it in BaseConv, BaseDepthwiseConv, BaseSeparableConv and
 * BaseConvTranspose): the window, the data format, the activation and the
 * bias. Subclasses add their kernels.
 */
export abstract class ConvLayer<Pad extends ConvPadding | 'causal' = ConvPadding> extends Layer {
  readonly rank: 1 | 2;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: Pad;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly biasSettings: WeightSettings;
  protected _bias: Variable | null = null;

  /** 'causal' padding is for 1-d convolutions only. */
  constructor(rank: 1 | 2, kernelSize: number | number[], options: ConvLayerOptions<Pad>) {
    super(options);
    this.rank = rank;
    const w = convWindow(rank, kernelSize, options);
    this.kernelSize = w.kernel;
    this.strides = w.strides;
    this.dilationRate = w.dilation;
    this.padding = standardizePadding(options.padding ?? 'valid', rank === 1) as Pad;
    this.dataFormat = standardizeDataFormat(options.dataFormat);
    this.activation = getActivation(options.activation);
    this.useBias = options.useBias ?? true;
    this.biasSettings = weightSettings(options, 'bias', 'zeros');
    this.inputSpec = new InputSpec({ ndim: rank + 2 });
  }

  /** The bias, or null with `useBias: false` (or before build). */
  get bias(): Variable | null {
    return this._bias;
  }

  /** The input's channel count (defined, or Keras's error); the input spec fixes it from now on. */
  protected buildChannels(inputShape: Shape): number {
    const c = inputChannels(inputShape, this.dataFormat, this.constructor.name);
    this.inputSpec = new InputSpec({ ndim: this.rank + 2, axes: { [this.dataFormat === 'channels_last' ? -1 : 1]: c } });
    return c;
  }

  /** `v` once built, or Keras's error naming `what`. */
  protected afterBuild<T>(v: T | null, what: string): T {
    if (v === null) throw new KerasValueError(`You must build the layer before accessing ${what}. Layer "${this.name}" is built on its first call (or call build(inputShape)).`);
    return v;
  }
}

/** Conv1D and Conv2D (Keras 3's `BaseConv`). */
export abstract class BaseConv extends ConvLayer<ConvPadding | 'causal'> {
  readonly filters: number;
  readonly groups: number;
  readonly kernelSettings: WeightSettings;
  protected _kernel: Variable | null = null;

  constructor(rank: 1 | 2, filters: number, kernelSize: number | number[], options: ConvOptions = {}) {
    super(rank, kernelSize, options);
    this.filters = checkPositiveInt(filters, 'filters');
    const g = options.groups ?? 1;
    if (typeof g !== 'number' || !Number.isInteger(g) || g <= 0) throw new KerasValueError(`The number of groups must be a positive integer. Received: groups=${String(g)}.`);
    if (filters % g !== 0) throw new KerasValueError(`The number of filters must be evenly divisible by the number of groups. Received: groups=${g}, filters=${filters}.`);
    this.groups = g;
    noStridedDilation(this.strides, this.dilationRate);
    this.kernelSettings = weightSettings(options, 'kernel', 'glorot_uniform');
  }

  override build(inputShape: Shape): void {
    const c = inputChannels(inputShape, this.dataFormat, this.constructor.name);
    if (c % this.groups !== 0) {
      throw new KerasValueError(`The number of input channels must be evenly divisible by the number of groups. Received groups=${this.groups}, but the input has ${c} channels (full input shape is ${shapeToString(inputShape)}).`);
    }
    this.computeOutputShape(inputShape);
    this.buildChannels(inputShape);
    this._kernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, c / this.groups, this.filters], ...this.kernelSettings });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: [this.filters], ...this.biasSettings });
  }

  /** The kernel, Keras's layout [...kernelSize, in / groups, filters] (after build). */
  get kernel(): Variable {
    return this.afterBuild(this._kernel, '`kernel`');
  }

  override call(inputs: Tensor): Tensor {
    const x = inputs.dtype === 'float32' ? inputs : inputs.float();
    // A ReLU runs inside the conv op: one pass with its bias (core's conv2d `activation`).
    if (this.activation === relu) return runConv(x, this.kernel, this._bias, this.rank, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat, this.groups, 'relu');
    const y = runConv(x, this.kernel, this._bias, this.rank, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat, this.groups);
    return this.activation(y);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return convOutputShape(inputShape, this.filters, this.kernelSize, this.strides, this.dilationRate, this.padding, this.dataFormat);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...weightConfig('kernel', this.kernelSettings),
      ...weightConfig('bias', this.biasSettings),
    };
  }
}
