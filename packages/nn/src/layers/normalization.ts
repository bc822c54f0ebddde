/** `nn.LayerNorm` and `nn.GroupNorm`. */
import { ArgumentError, ones, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { groupNorm, layerNorm } from '../functional/normalization.js';
import { pyBool, pyFloat, pyTuple } from './repr.js';

/**
 * Normalizes over the last dims given by `normalizedShape`, with a learnable
 * elementwise scale and shift.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.LayerNorm(10).forward(randn([4, 10])).shape; // [4, 10]
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(normalizedShape: number | number[], options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? ownParameter(ones(this.normalizedShape)) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? ownParameter(zeros(this.normalizedShape)) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * Splits the channels of [N, C, ...] into `numGroups` groups and normalizes
 * each over its channels and positions.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.GroupNorm(2, 8).forward(randn([4, 8, 5, 5])).shape; // [4, 8, 5, 5]
 * ```
 */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(readonly numGroups: number, readonly numChannels: number, options: { eps?: number; affine?: boolean; bias?: boolean } = {}) {
    super();
    if (numChannels % numGroups !== 0) throw new ArgumentError(`num_channels (${numChannels}) must be divisible by num_groups (${numGroups}).`);
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.weight = this.affine ? ownParameter(ones([numChannels])) : null;
    this.bias = this.affine && (options.bias ?? true) ? ownParameter(zeros([numChannels])) : null;
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}`;
  }
}
