/** `nn.Dropout` and `nn.Dropout2d`: active in training mode only. */
import { ArgumentError, functional as CF, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { pyBool, pyFloat } from './repr.js';

function checkP(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout probability has to be between 0 and 1, but got ${p}`);
  return p;
}

/**
 * Zeroes each element with probability `p` in training (the rest scaled by
 * 1 / (1 - p)); identity in eval mode.
 *
 * @example
 * ```ts
 * import { ones } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const drop = new nn.Dropout(0.5);
 * drop.forward(ones([4]));        // about half the values 0, the others 2
 * drop.eval().forward(ones([4])); // [1, 1, 1, 1]
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super();
    this.p = checkP(p);
    this.inplace = options.inplace ?? false;
  }
  /** Accepted for PyTorch compatibility; Duet always returns a new tensor. */
  readonly inplace: boolean;
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    return CF.dropout(x, this.p, true);
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/**
 * Zeroes whole channels of [N, C, H, W] (or [C, H, W]) with probability `p`
 * in training.
 *
 * @example
 * ```ts
 * import { ones } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Dropout2d(0.2).forward(ones([8, 16, 4, 4])).shape; // [8, 16, 4, 4]
 * ```
 */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    if (x.ndim === 3) return CF.dropout2d(x.unsqueeze(0), this.p, true).squeeze(0);
    return CF.dropout2d(x, this.p, true);
  }
}
