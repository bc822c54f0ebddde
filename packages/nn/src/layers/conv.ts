/** `nn.Conv1d`, `nn.Conv2d`, `nn.ConvTranspose2d`: PyTorch's layouts, defaults and init on core's native kernels. */
import { ArgumentError, functional as CF, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { pad as fpad } from '../functional/pad.js';
import { resetLinearLike, type InitOptions } from './linear.js';
import type { WeightLayout } from '../init.js';
import { pyBool, pyTuple } from './repr.js';
import { positional, type PositionalArgs } from './positional.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvOptions extends InitOptions {
  stride?: number | number[];
  /** Zeros (or `paddingMode` values) added on both sides; 'same' keeps the size (stride 1); 'valid' = 0. */
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  /**
   * 'channelsFirst' (default, PyTorch): input [N, C, ...], weight [out, in / groups, ...k]
   * ([in, out / groups, ...k] transposed). 'channelsLast' (Keras): input [N, ..., C],
   * weight [...k, in / groups, out] ([...k, out, in] transposed). Same init either way.
   */
  dataFormat?: 'channelsFirst' | 'channelsLast';
}

type Size = number | number[];
/** PyTorch's positional order after kernel_size: `Conv2d(in, out, k, stride, padding, dilation, groups, bias, padding_mode)`. */
export type ConvArgs = PositionalArgs<[stride: Size, padding: Size | 'same' | 'valid', dilation: Size, groups: number, bias: boolean, paddingMode: PaddingMode], ConvOptions>;
const CONV_NAMES = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'];
export type ConvTransposeOptions = Omit<ConvOptions, 'padding'> & { padding?: number | number[]; outputPadding?: number | number[] };
/** `ConvTranspose2d(in, out, k, stride, padding, output_padding, groups, bias, dilation)`. */
export type ConvTransposeArgs = PositionalArgs<[stride: Size, padding: Size, outputPadding: Size, groups: number, bias: boolean, dilation: Size], ConvTransposeOptions>;
const CONV_T_NAMES = ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation'];

const tuple = (v: number | number[], n: number, name: string): number[] => {
  const t = typeof v === 'number' ? Array<number>(n).fill(v) : [...v];
  if (t.length !== n || !t.every((x) => Number.isInteger(x) && x >= 0)) throw new ArgumentError(`${name} must be a non-negative integer or ${n} of them, received ${JSON.stringify(v)}.`);
  return t;
};

/** Shared state of the convolutions (PyTorch's `_ConvNd`). */
export abstract class ConvBase extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly dataFormat: 'channelsFirst' | 'channelsLast';
  weight: Parameter;
  bias: Parameter | null;
  /** A transposed convolution (weight [in, out / groups, ...k]). */
  protected readonly transposed: boolean;
  /** The `weightInit` / `biasInit` given (none: PyTorch's default init). */
  readonly inits: InitOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | number[], nd: number, transposed: boolean, options: ConvOptions & { outputPadding?: number | number[] }) {
    super();
    this.kernelSize = tuple(kernelSize, nd, 'kernel_size');
    this.stride = tuple(options.stride ?? 1, nd, 'stride');
    const p = options.padding ?? 0;
    this.padding = p === 'same' || p === 'valid' ? p : tuple(p, nd, 'padding');
    this.dilation = tuple(options.dilation ?? 1, nd, 'dilation');
    this.outputPadding = tuple(options.outputPadding ?? 0, nd, 'output_padding');
    this.groups = options.groups ?? 1;
    this.paddingMode = options.paddingMode ?? 'zeros';
    if (!Number.isInteger(this.groups) || this.groups < 1) throw new ArgumentError(`groups must be a positive integer, received ${options.groups}.`);
    if (inChannels % this.groups !== 0) throw new ArgumentError('in_channels must be divisible by groups');
    if (outChannels % this.groups !== 0) throw new ArgumentError('out_channels must be divisible by groups');
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) throw new ArgumentError("padding='same' is not supported for strided convolutions");
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode)) throw new ArgumentError(`padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', received '${this.paddingMode}'.`);
    this.dataFormat = options.dataFormat ?? 'channelsFirst';
    const last = this.dataFormat === 'channelsLast';
    if (last && this.paddingMode !== 'zeros') throw new ArgumentError(`paddingMode '${this.paddingMode}' needs dataFormat 'channelsFirst'.`);
    this.transposed = transposed;
    this.inits = { ...(options.weightInit !== undefined ? { weightInit: options.weightInit } : {}), ...(options.biasInit !== undefined ? { biasInit: options.biasInit } : {}) };
    this.weight = ownParameter(zeros(this.weightShape()));
    this.bias = options.bias ?? true ? ownParameter(zeros([outChannels])) : null;
    this.resetParameters();
  }

  /** The weight's shape for the current channels, in `dataFormat`'s layout. */
  protected weightShape(): number[] {
    const [a, b] = this.transposed ? [this.inChannels, this.outChannels / this.groups] : [this.outChannels, this.inChannels / this.groups];
    return this.dataFormat === 'channelsLast' ? [...this.kernelSize, b, a] : [a, b, ...this.kernelSize];
  }

  /**
   * How the weight's dims map to fans: PyTorch's rule (`'out_in'`: dim 0,
   * dim 1, kernel) for channels-first, Keras's (`'in_out'`: kernel, then the
   * last two) for channels-last. Either way fan-in = weight dim "in" x kernel
   * size, PyTorch's `weight.size(1) * receptive field` (a transposed
   * convolution's `out / groups`, as PyTorch computes it).
   */
  get weightLayout(): WeightLayout {
    return this.dataFormat === 'channelsLast' ? 'in_out' : 'out_in';
  }

  /** Initialise again: PyTorch's default, or `weightInit` / `biasInit` with fans from `weightLayout`. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias, this.weightLayout, this.inits);
  }

  /** The input padded by `paddingMode` (non-zero modes), and the padding left for the kernel. */
  protected padInput(x: Tensor): [Tensor, number[] | 'same' | 'valid'] {
    if (this.paddingMode === 'zeros') return [x, this.padding];
    const nd = this.kernelSize.length;
    const pads: number[] = [];
    for (let i = nd - 1; i >= 0; i--) {
      if (this.padding === 'valid') pads.push(0, 0);
      else if (this.padding === 'same') {
        const total = this.dilation[i]! * (this.kernelSize[i]! - 1);
        pads.push(Math.floor(total / 2), total - Math.floor(total / 2));
      } else pads.push(this.padding[i]!, this.padding[i]!);
    }
    return [fpad(x, pads, { mode: this.paddingMode }), Array<number>(nd).fill(0)];
  }

  override extraRepr(): string {
    const zero = (v: number[]) => v.every((x) => x === 0);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (!zero(this.padding)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (!zero(this.outputPadding)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += `, bias=${pyBool(false)}`;
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    if (this.dataFormat !== 'channelsFirst') s += `, data_format=${this.dataFormat}`;
    return s;
  }
}

/**
 * 1-d convolution over [N, C, L] (or [C, L]); weight [out, in / groups, k].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Conv1d(4, 8, 3, { padding: 1 }).forward(randn([2, 4, 10])).shape; // [2, 8, 10]
 * ```
 */
export class Conv1d extends ConvBase {
  /** `(in, out, kernelSize, options)`, or PyTorch's positional order: `(in, out, kernelSize, stride, padding, ..., options?)`. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...args: ConvArgs) {
    super(inChannels, outChannels, kernelSize, 1, false, positional<ConvOptions>('Conv1d', CONV_NAMES, args));
  }
  forward(x: Tensor): Tensor {
    const [xp, p] = this.padInput(x);
    return CF.conv1d(xp, this.weight, this.bias, { stride: this.stride[0], padding: typeof p === 'string' ? p : p[0], dilation: this.dilation[0], groups: this.groups, dataFormat: this.dataFormat === 'channelsLast' ? 'NLC' : 'NCL' });
  }
}

/**
 * 2-d convolution over [N, C, H, W] (or [C, H, W]); weight [out, in / groups, kH, kW].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Conv2d(1, 8, 3, { padding: 1 }).forward(randn([2, 1, 28, 28])).shape; // [2, 8, 28, 28]
 * ```
 */
export class Conv2d extends ConvBase {
  /** `(in, out, kernelSize, options)`, or PyTorch's positional order: `(in, out, kernelSize, stride, padding, ..., options?)`. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...args: ConvArgs) {
    super(inChannels, outChannels, kernelSize, 2, false, positional<ConvOptions>('Conv2d', CONV_NAMES, args));
  }
  forward(x: Tensor): Tensor {
    const [xp, p] = this.padInput(x);
    return CF.conv2d(xp, this.weight, this.bias, {
      stride: this.stride as [number, number], padding: typeof p === 'string' ? p : (p as [number, number]), dilation: this.dilation as [number, number], groups: this.groups,
      dataFormat: this.dataFormat === 'channelsLast' ? 'NHWC' : 'NCHW',
    });
  }
}

/**
 * 2-d transposed convolution (the gradient of Conv2d w.r.t. its input);
 * weight [in, out / groups, kH, kW]. Only `groups: 1` and zero padding mode.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.ConvTranspose2d(8, 4, 2, { stride: 2 }).forward(randn([1, 8, 7, 7])).shape; // [1, 4, 14, 14]
 * ```
 */
export class ConvTranspose2d extends ConvBase {
  /** `(in, out, kernelSize, options)`, or PyTorch's positional order: `(in, out, kernelSize, stride, padding, outputPadding, ..., options?)`. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], ...args: ConvTransposeArgs) {
    const options = positional<ConvTransposeOptions>('ConvTranspose2d', CONV_T_NAMES, args);
    if (options.paddingMode !== undefined && options.paddingMode !== 'zeros') throw new ArgumentError(`Only "zeros" padding mode is supported for ConvTranspose2d, received '${options.paddingMode}'.`);
    super(inChannels, outChannels, kernelSize, 2, true, options);
  }
  /** `outputSize` picks the output padding that gives that size (PyTorch's `output_size` argument). */
  forward(x: Tensor, outputSize?: number[]): Tensor {
    let outPad = this.outputPadding;
    if (outputSize !== undefined) {
      const last = this.dataFormat === 'channelsLast';
      const hw = outputSize.length > 2 ? (last ? outputSize.slice(-3, -1) : outputSize.slice(-2)) : outputSize;
      const inHw = last ? x.shape.slice(-3, -1) : x.shape.slice(-2);
      outPad = [0, 1].map((i) => {
        const min = (inHw[i]! - 1) * this.stride[i]! - 2 * (this.padding as number[])[i]! + this.dilation[i]! * (this.kernelSize[i]! - 1) + 1;
        const extra = hw[i]! - min;
        if (extra < 0 || extra >= Math.max(this.stride[i]!, this.dilation[i]!)) throw new ArgumentError(`requested an output size of [${hw.join(', ')}], but valid sizes range from ${min} to ${min + Math.max(this.stride[i]!, this.dilation[i]!) - 1} (for an input of [${inHw.join(', ')}]).`);
        return extra;
      });
    }
    return CF.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride as [number, number], padding: this.padding as [number, number], outputPadding: outPad as [number, number], dilation: this.dilation as [number, number], groups: this.groups,
      dataFormat: this.dataFormat === 'channelsLast' ? 'NHWC' : 'NCHW',
    });
  }
}
