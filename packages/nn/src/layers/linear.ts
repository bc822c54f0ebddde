/** `nn.Linear`, `nn.Bilinear`, `nn.Identity`. */
import { linear, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { bilinear } from '../functional/linear.js';
import * as init from '../init.js';
import { pyBool } from './repr.js';

/** PyTorch's default init of a weight and its bias: kaiming_uniform_(a = sqrt(5)) and U(+-1/sqrt(fanIn)). */
export function resetLinearLike(weight: Tensor, bias: Tensor | null, fanIn?: number): void {
  init.kaimingUniform_(weight, { a: Math.sqrt(5), ...(fanIn !== undefined ? { fanIn } : {}) });
  if (bias !== null) {
    const fan = fanIn ?? init.calculateFanInAndFanOut(weight)[0];
    const bound = fan > 0 ? 1 / Math.sqrt(fan) : 0;
    init.uniform_(bias, -bound, bound);
  }
}

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
  /** `(in, out, options)` or PyTorch's `(in, out, bias)`. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, ...args: PositionalArgs<[bias: boolean], { bias?: boolean }>) {
    super();
    const options = positional<{ bias?: boolean }>('Linear', ['bias'], args);
    this.weight = ownParameter(zeros([outFeatures, inFeatures]));
    this.bias = options.bias ?? true ? ownParameter(zeros([outFeatures])) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
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
