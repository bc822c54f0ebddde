/** `nn.Flatten` and `nn.Unflatten`. */
import type { Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { pyTuple } from './repr.js';

/**
 * Flattens dims `startDim`..`endDim` (default 1..-1) into one.
 *
 * @example
 * ```ts
 * import { zeros } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Flatten().forward(zeros([32, 1, 28, 28])).shape; // [32, 784]
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  /** `(options)` or PyTorch's `(startDim, endDim)`: `new nn.Flatten(0)`. */
  constructor(...args: PositionalArgs<[startDim: number, endDim: number], { startDim?: number; endDim?: number }>) {
    super();
    const options = positional<{ startDim?: number; endDim?: number }>('Flatten', ['startDim', 'endDim'], args);
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Expands dim `dim` into `unflattenedSize`.
 *
 * @example
 * ```ts
 * import { zeros } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.Unflatten(1, [2, 5]).forward(zeros([4, 10])).shape; // [4, 2, 5]
 * ```
 */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
