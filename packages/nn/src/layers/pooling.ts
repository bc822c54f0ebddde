/** Pooling modules: `nn.MaxPool1d/2d`, `nn.AvgPool1d/2d`, `nn.AdaptiveAvgPool2d` (core's native kernels). */
import { ArgumentError, functional as CF, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { pyBool, pyIntOrTuple } from './repr.js';
import { positional, type PositionalArgs } from './positional.js';

type Size2 = number | [number, number];
const pair = (v: Size2): [number, number] => (typeof v === 'number' ? [v, v] : v);
type DataFormat = 'channelsFirst' | 'channelsLast';
const fmt2d = (f: DataFormat | undefined) => (f === 'channelsLast' ? 'NHWC' : 'NCHW');

export interface MaxPoolOptions<S> {
  /** Default: the kernel size. */
  stride?: S | null;
  padding?: S;
  /** Only 1 (TF's MaxPool has no dilation). */
  dilation?: S;
  ceilMode?: boolean;
  /** 'channelsFirst' (default, [N, C, H, W]) or 'channelsLast' (Keras). 2-d only. */
  dataFormat?: DataFormat;
}

/** `MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)`: PyTorch's positional order (return_indices is not supported, so ceilMode goes in the options). */
type MaxPoolArgs<S> = PositionalArgs<[stride: S | null, padding: S, dilation: S], MaxPoolOptions<S>>;
const MAXPOOL_NAMES = ['stride', 'padding', 'dilation'];
/** `AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
type AvgPoolArgs<S> = PositionalArgs<[stride: S | null, padding: S, ceilMode: boolean, countIncludePad: boolean], AvgPoolOptions<S>>;
const AVGPOOL_NAMES = ['stride', 'padding', 'ceilMode', 'countIncludePad'];

export interface AvgPoolOptions<S> {
  stride?: S | null;
  padding?: S;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** 2-d only: divide every window by this. */
  divisorOverride?: number;
  dataFormat?: DataFormat;
}

/**
 * Max over sliding windows of [N, C, L].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.MaxPool1d(2).forward(randn([1, 4, 10])).shape; // [1, 4, 5]
 * ```
 */
export class MaxPool1d extends Module {
  readonly options: MaxPoolOptions<number>;
  /** `(kernelSize, options)` or PyTorch's `(kernelSize, stride, padding, dilation, options?)`. */
  constructor(readonly kernelSize: number, ...args: MaxPoolArgs<number>) {
    super();
    this.options = positional('MaxPool1d', MAXPOOL_NAMES, args);
  }
  forward(x: Tensor): Tensor {
    const o = this.options;
    return CF.maxPool1d(x, this.kernelSize, { stride: o.stride ?? null, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode });
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${pyBool(o.ceilMode ?? false)}`;
  }
}

/**
 * Max over sliding windows of [N, C, H, W].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.MaxPool2d(2).forward(randn([1, 8, 28, 28])).shape; // [1, 8, 14, 14]
 * ```
 */
export class MaxPool2d extends Module {
  readonly options: MaxPoolOptions<Size2>;
  /** `(kernelSize, options)` or PyTorch's `(kernelSize, stride, padding, dilation, options?)`: `new nn.MaxPool2d(2, 2)`. */
  constructor(readonly kernelSize: Size2, ...args: MaxPoolArgs<Size2>) {
    super();
    this.options = positional('MaxPool2d', MAXPOOL_NAMES, args);
  }
  forward(x: Tensor): Tensor {
    const o = this.options;
    return CF.maxPool2d(x, pair(this.kernelSize), {
      stride: o.stride == null ? null : pair(o.stride), padding: pair(o.padding ?? 0), dilation: pair(o.dilation ?? 1), ceilMode: o.ceilMode, dataFormat: fmt2d(o.dataFormat),
    });
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(o.stride ?? this.kernelSize)}, padding=${pyIntOrTuple(o.padding ?? 0)}, dilation=${pyIntOrTuple(o.dilation ?? 1)}, ceil_mode=${pyBool(o.ceilMode ?? false)}`;
  }
}

/**
 * Average over sliding windows of [N, C, L].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.AvgPool1d(3, { stride: 2 }).forward(randn([1, 4, 9])).shape; // [1, 4, 4]
 * ```
 */
export class AvgPool1d extends Module {
  readonly options: AvgPoolOptions<number>;
  /** `(kernelSize, options)` or PyTorch's `(kernelSize, stride, padding, ceilMode, countIncludePad, options?)`. */
  constructor(readonly kernelSize: number, ...args: AvgPoolArgs<number>) {
    super();
    this.options = positional('AvgPool1d', AVGPOOL_NAMES, args);
    if (this.options.divisorOverride !== undefined) throw new ArgumentError('AvgPool1d has no divisorOverride (PyTorch neither).');
  }
  forward(x: Tensor): Tensor {
    const o = this.options;
    return CF.avgPool1d(x, this.kernelSize, { stride: o.stride ?? null, padding: o.padding, ceilMode: o.ceilMode, countIncludePad: o.countIncludePad });
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=(${this.kernelSize},), stride=(${o.stride ?? this.kernelSize},), padding=(${o.padding ?? 0},)`;
  }
}

/**
 * Average over sliding windows of [N, C, H, W].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.AvgPool2d(2).forward(randn([1, 8, 28, 28])).shape; // [1, 8, 14, 14]
 * ```
 */
export class AvgPool2d extends Module {
  readonly options: AvgPoolOptions<Size2>;
  /** `(kernelSize, options)` or PyTorch's `(kernelSize, stride, padding, ceilMode, countIncludePad, options?)`. */
  constructor(readonly kernelSize: Size2, ...args: AvgPoolArgs<Size2>) {
    super();
    this.options = positional('AvgPool2d', AVGPOOL_NAMES, args);
  }
  forward(x: Tensor): Tensor {
    const o = this.options;
    return CF.avgPool2d(x, pair(this.kernelSize), {
      stride: o.stride == null ? null : pair(o.stride), padding: pair(o.padding ?? 0), ceilMode: o.ceilMode, countIncludePad: o.countIncludePad,
      divisorOverride: o.divisorOverride, dataFormat: fmt2d(o.dataFormat),
    });
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(o.stride ?? this.kernelSize)}, padding=${pyIntOrTuple(o.padding ?? 0)}`;
  }
}

/**
 * Average pooling to a fixed output size (PyTorch's adaptive bins).
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.AdaptiveAvgPool2d(1).forward(randn([2, 16, 7, 7])).shape; // [2, 16, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number | null, number | null]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return CF.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    const o = this.outputSize;
    return `output_size=${typeof o === 'number' ? o : `(${o.map((v) => v ?? 'None').join(', ')})`}`;
  }
}
