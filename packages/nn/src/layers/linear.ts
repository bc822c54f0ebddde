/** `nn.Linear`, `nn.Bilinear`, `nn.Identity`. */
import { linear, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { bilinear } from '../functional/linear.js';
import * as init from '../init.js';
import { pyBool } from './repr.js';

/** A layer's initialiser choice: `weightInit` / `biasInit` by name, function or Keras-style object (default: PyTorch's init). */
export interface InitOptions {
  /** e.g. `'kaiming_uniform'`, `'glorot_uniform'`, `'he_normal'`, `nn.init.get('kaiming_normal', { mode: 'fan_out' })`, `(w, { fanIn }) => ...`. */
  weightInit?: init.InitSpec;
  /** The bias's initialiser; fan-based ones use the weight's fans. Default: PyTorch's U(-1/sqrt(fanIn), +). */
  biasInit?: init.InitSpec;
}

/**
 * PyTorch's default init of a weight and its bias, kaiming_uniform_(a =
 * sqrt(5)) and U(+-1/sqrt(fanIn)), or the layer's `weightInit`/`biasInit`;
 * fans come from the weight's `layout`.
 */
export function resetLinearLike(weight: Tensor, bias: Tensor | null, layout: init.WeightLayout = 'out_in', inits: InitOptions = {}): void {
  if (inits.weightInit === undefined) init.kaimingUniform_(weight, { a: Math.sqrt(5), layout });
  else init.applyInit(weight, inits.weightInit, layout, undefined, 'weightInit');
  if (bias === null) return;
  const fans = init.computeFans(weight.shape, layout);
  if (inits.biasInit !== undefined) {
    init.applyInit(bias, inits.biasInit, layout, fans, 'biasInit');
    return;
  }
  const bound = fans[0] > 0 ? 1 / Math.sqrt(fans[0]) : 0;
  init.uniform_(bias, -bound, bound);
}

export type LinearOptions = { bias?: boolean } & InitOptions;

/**
 * y = x W^T + b, one fused native kernel. Weight [outFeatures, inFeatures].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const fc = new nn.Linear(784, 128);
 * fc.forward(randn([32, 784])).shape; // [32, 128]
 * ```
 */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  /** The `weightInit` / `biasInit` given (none: PyTorch's default init). */
  readonly inits: InitOptions;
  /** `(in, out, options)` or PyTorch's `(in, out, bias)`; options: `bias`, `weightInit`, `biasInit`. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, ...args: PositionalArgs<[bias: boolean], LinearOptions>) {
    super();
    const options = positional<LinearOptions>('Linear', ['bias'], args);
    this.inits = { ...(options.weightInit !== undefined ? { weightInit: options.weightInit } : {}), ...(options.biasInit !== undefined ? { biasInit: options.biasInit } : {}) };
    this.weight = ownParameter(zeros([outFeatures, inFeatures]));
    this.bias = options.bias ?? true ? ownParameter(zeros([outFeatures])) : null;
    this.resetParameters();
  }
  /** Initialise again: PyTorch's default, or `weightInit` / `biasInit` (fans from the `[out, in]` layout, `'out_in'`). */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias, 'out_in', this.inits);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * y = x1^T A x2 + b with A [outFeatures, in1Features, in2Features].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const m = new nn.Bilinear(20, 30, 40);
 * m.forward(randn([128, 20]), randn([128, 30])).shape; // [128, 40]
 * ```
 */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(readonly in1Features: number, readonly in2Features: number, readonly outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.weight = ownParameter(zeros([outFeatures, in1Features, in2Features]));
    this.bias = options.bias ?? true ? ownParameter(zeros([outFeatures])) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.in1Features);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias !== null) init.uniform_(this.bias, -bound, bound);
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return bilinear(x1, x2, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * Returns its input unchanged (a placeholder in architectures).
 *
 * @example
 * ```ts
 * import { ones } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Identity().forward(ones([2])).toArray(); // [1, 1]
 * ```
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
