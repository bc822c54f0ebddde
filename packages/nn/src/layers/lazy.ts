/**
 * PyTorch's lazy layers: `LazyLinear`, `LazyConv1d`, `LazyConv2d`,
 * `LazyConvTranspose2d`, `LazyBatchNorm1d`, `LazyBatchNorm2d`. Each takes
 * its regular class's arguments without the input size, holds
 * `UninitializedParameter`s, infers `in_features` / `in_channels` /
 * `num_features` at its first call and becomes its regular class
 * (`instanceof nn.Linear` holds before and after, `nn.LazyLinear` only
 * before). Create optimizers after that first call (docs/nn.md, "Lazy
 * layers").
 */
import { ArgumentError, ShapeError, type Tensor } from '@duet/core';
import { UninitializedBuffer, UninitializedParameter, isLazy, type Parameter } from '../parameter.js';
import { hasUninitializedParams, makeLazy } from '../lazy.js';
import { Linear, type LinearOptions } from './linear.js';
import { Conv1d, Conv2d, ConvTranspose2d, ConvBase, type ConvArgs, type ConvTransposeArgs } from './conv.js';
import { BatchNorm1d, BatchNorm2d, BatchNormBase, type BatchNormOptions } from './batchnorm.js';
import type { PositionalArgs } from './positional.js';
import * as init from '../init.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Replace a freshly made placeholder-sized parameter with an UninitializedParameter. */
function uninitialized(p: Parameter | null): Parameter | null {
  if (p === null) return null;
  const u = new UninitializedParameter(p.requiresGrad);
  p.dispose();
  return u;
}

/**
 * `nn.Linear` with `inFeatures` inferred from the last dimension of the first input.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const fc = new nn.LazyLinear(10);
 * fc(randn([3, 7])).shape; // [3, 10]
 * fc instanceof nn.Linear; // true; fc.inFeatures === 7, fc.weight.shape = [10, 7]
 * ```
 */
export class LazyLinear extends Linear {
  /** `(outFeatures, options)` or PyTorch's `(outFeatures, bias)`. */
  constructor(outFeatures: number, ...args: PositionalArgs<[bias: boolean], LinearOptions>) {
    super(0, outFeatures, ...args);
    this.weight = uninitialized(this.weight)!;
    this.bias = uninitialized(this.bias);
    makeLazy(this, Linear);
  }
  override resetParameters(): void {
    if (!isLazy(this.weight) && this.inFeatures !== 0) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    const inFeatures = input.shape[input.ndim - 1];
    if (inFeatures === undefined) throw new ShapeError(`LazyLinear: expected an input with at least 1 dimension, received a scalar.`);
    if (hasUninitializedParams(this)) {
      (this as Writable<Linear>).inFeatures = inFeatures;
      this.weight = (this.weight as UninitializedParameter).materialize([this.outFeatures, inFeatures]);
      if (this.bias !== null) this.bias = (this.bias as UninitializedParameter).materialize([this.outFeatures]);
      this.resetParameters();
    }
    if (this.inFeatures === 0) {
      const have = this.weight.shape[this.weight.ndim - 1]!;
      if (have !== inFeatures) throw new ShapeError(`The in_features inferred from input: ${inFeatures} is not equal to in_features from self.weight: ${have}`);
      (this as Writable<Linear>).inFeatures = inFeatures;
    }
  }
}

/** The channel count of a convolution's first input ([N, C, ...] or unbatched [C, ...]; channels last with `dataFormat: 'channelsLast'`). */
function convInChannels(m: ConvBase, input: Tensor): number {
  const nd = m.kernelSize.length;
  if (input.ndim !== nd + 1 && input.ndim !== nd + 2) {
    throw new ShapeError(`Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${m.constructor.name}, but got input of size: [${input.shape.join(', ')}]`);
  }
  if (m.dataFormat === 'channelsLast') return input.shape[input.ndim - 1]!;
  return input.ndim === nd + 2 ? input.shape[1]! : input.shape[0]!;
}

/** What a lazy convolution adds to its regular class (PyTorch's `_LazyConvXdMixin`). */
export interface LazyConvPart {
  resetParameters(): void;
  /** Infer `inChannels` from the first input, create the weight and bias, initialise them. */
  initializeParameters(input: Tensor): void;
}

/**
 * PyTorch's `_LazyConvXdMixin`, once for the three lazy convolutions: the
 * class built on `Conv` swaps the placeholder weight and bias (made for 0
 * input channels) for uninitialised ones and becomes `Conv` at its first
 * call. The return type is written out: declaration emit cannot describe a
 * class expression with ConvBase's protected members (TS4094).
 */
function lazyConv<C extends new (...args: any[]) => ConvBase>(Conv: C): C & (new (...args: any[]) => LazyConvPart) {
  return class extends Conv {
    constructor(...args: any[]) {
      super(...args);
      this.weight = uninitialized(this.weight)!;
      this.bias = uninitialized(this.bias);
      makeLazy(this, Conv);
    }
    /** Skipped while there is nothing to initialise (ConvBase's constructor calls it with 0 input channels). */
    override resetParameters(): void {
      if (!isLazy(this.weight) && this.inChannels !== 0) super.resetParameters();
    }
    initializeParameters(input: Tensor): void {
      if (!hasUninitializedParams(this)) return;
      const inChannels = convInChannels(this, input);
      if (inChannels % this.groups !== 0) throw new ArgumentError(`in_channels must be divisible by groups (in_channels inferred from the input: ${inChannels}, groups: ${this.groups}).`);
      (this as Writable<ConvBase>).inChannels = inChannels;
      this.weight = (this.weight as UninitializedParameter).materialize(this.weightShape());
      if (this.bias !== null) this.bias = (this.bias as UninitializedParameter).materialize([this.outChannels]);
      this.resetParameters();
    }
  };
}

/**
 * `nn.Conv1d` with `inChannels` inferred from the first input.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const conv = new nn.LazyConv1d(8, 3, { padding: 1 });
 * conv(randn([2, 5, 11])).shape; // [2, 8, 11]; conv.weight.shape = [8, 5, 3]
 * ```
 */
export class LazyConv1d extends lazyConv(Conv1d) {
  /** `(outChannels, kernelSize, options)` or PyTorch's positional order after `kernel_size`. */
  constructor(outChannels: number, kernelSize: number | number[], ...args: ConvArgs) {
    super(0, outChannels, kernelSize, ...args);
  }
}

/**
 * `nn.Conv2d` with `inChannels` inferred from the first input.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const conv = new nn.LazyConv2d(6, 3, { stride: 2 });
 * conv(randn([2, 3, 9, 9])).shape; // [2, 6, 4, 4]
 * conv instanceof nn.Conv2d; // true
 * ```
 */
export class LazyConv2d extends lazyConv(Conv2d) {
  /** `(outChannels, kernelSize, options)` or PyTorch's positional order after `kernel_size`. */
  constructor(outChannels: number, kernelSize: number | number[], ...args: ConvArgs) {
    super(0, outChannels, kernelSize, ...args);
  }
}

/**
 * `nn.ConvTranspose2d` with `inChannels` inferred from the first input.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.LazyConvTranspose2d(5, 2, { stride: 2 })(randn([2, 3, 4, 4])).shape; // [2, 5, 8, 8]
 * ```
 */
export class LazyConvTranspose2d extends lazyConv(ConvTranspose2d) {
  /** `(outChannels, kernelSize, options)` or PyTorch's positional order after `kernel_size`. */
  constructor(outChannels: number, kernelSize: number | number[], ...args: ConvTransposeArgs) {
    super(0, outChannels, kernelSize, ...args);
  }
}

type BatchNormArgs = PositionalArgs<[eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean], BatchNormOptions>;

/** Swap a lazy BatchNorm's parameters and running statistics for uninitialised ones (PyTorch's `_LazyNormBase.__init__`). */
function lazyNorm(m: BatchNormBase): void {
  m.weight = uninitialized(m.weight);
  m.bias = uninitialized(m.bias);
  const r = m as unknown as Record<string, Tensor | null>;
  for (const name of ['running_mean', 'running_var']) {
    const old = r[name];
    if (old === null || old === undefined) continue;
    r[name] = new UninitializedBuffer();
    old.dispose();
  }
}

/** PyTorch's `_LazyNormBase.initialize_parameters`: `numFeatures` = the input's channel count, then the regular init. */
function initializeNorm(m: BatchNormBase, ranks: number[], input: Tensor): void {
  if (!hasUninitializedParams(m)) return;
  if (!ranks.includes(input.ndim)) {
    throw new ShapeError(`${m.constructor.name}: expected ${ranks.map((r) => `${r}D`).join(' or ')} input (got ${input.ndim}D input of shape [${input.shape.join(', ')}]).`);
  }
  const axis = m.channelAxis < 0 ? input.ndim + m.channelAxis : m.channelAxis;
  const c = input.shape[axis]!;
  (m as Writable<BatchNormBase>).numFeatures = c;
  if (m.weight !== null) m.weight = init.ones_((m.weight as UninitializedParameter).materialize([c])) as Parameter;
  if (m.bias !== null) m.bias = (m.bias as UninitializedParameter).materialize([c]);
  const r = m as unknown as Record<string, Tensor | null>;
  const rm = r['running_mean'];
  const rv = r['running_var'];
  if (rm instanceof UninitializedBuffer) r['running_mean'] = rm.materialize([c], 0);
  if (rv instanceof UninitializedBuffer) r['running_var'] = rv.materialize([c], 1);
  m.resetRunningStats();
}

/**
 * PyTorch's `_LazyNormBase`, once for both lazy BatchNorms: the class built
 * on `Norm` swaps its parameters and running statistics (made for 0
 * features) for uninitialised ones and becomes `Norm` at its first call.
 * The return type is written out for declaration emit (TS4094), as for
 * `lazyConv`.
 */
function lazyBatchNorm<C extends new (...args: any[]) => BatchNormBase>(Norm: C): C & (new (...args: any[]) => { initializeParameters(input: Tensor): void }) {
  return class extends Norm {
    /** `Norm`'s (BatchNormBase declares it abstract; the concrete class given has it). */
    declare protected readonly ranks: number[];
    constructor(...args: any[]) {
      super(...args);
      lazyNorm(this);
      makeLazy(this, Norm);
    }
    initializeParameters(input: Tensor): void {
      initializeNorm(this, this.ranks, input);
    }
  };
}

/**
 * `nn.BatchNorm1d` with `numFeatures` inferred from the first input's dim 1 (or `channelAxis`).
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const bn = new nn.LazyBatchNorm1d();
 * bn(randn([4, 6])).shape; // [4, 6]; bn.numFeatures === 6
 * ```
 */
export class LazyBatchNorm1d extends lazyBatchNorm(BatchNorm1d) {
  /** `(options)` or PyTorch's `(eps, momentum, affine, trackRunningStats)`. */
  constructor(...args: BatchNormArgs) {
    super(0, ...args);
  }
}

/**
 * `nn.BatchNorm2d` with `numFeatures` inferred from the first input's dim 1 (or `channelAxis`).
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.LazyBatchNorm2d()(randn([2, 5, 3, 3])).shape; // [2, 5, 3, 3]
 * ```
 */
export class LazyBatchNorm2d extends lazyBatchNorm(BatchNorm2d) {
  /** `(options)` or PyTorch's `(eps, momentum, affine, trackRunningStats)`. */
  constructor(...args: BatchNormArgs) {
    super(0, ...args);
  }
}
