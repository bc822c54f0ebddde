/** `nn.BatchNorm1d` / `nn.BatchNorm2d`: batch statistics in training, running statistics in eval. */
import { ShapeError, ones, tensor, zeros, type Tensor } from '@duet/core';
import { Module } from '../module.js';
import { positional, type PositionalArgs } from './positional.js';
import { ownParameter, type Parameter } from '../parameter.js';
import { batchNorm } from '../functional/normalization.js';
import { pyBool, pyFloat } from './repr.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1); null = cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel scale and shift (default true). */
  affine?: boolean;
  /** With `affine`: learn the shift too (default true). */
  bias?: boolean;
  /** Keep running mean/variance for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Channel axis: 1 = PyTorch's [N, C, ...] (default); -1 = channels-last (Keras). */
  channelAxis?: number;
  /** Update the running variance with the unbiased batch variance (PyTorch, default) or the biased one (Keras). */
  unbiasedRunningVar?: boolean;
}

/** Shared implementation of BatchNorm1d/2d (PyTorch's `_BatchNorm`). */
export abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly channelAxis: number;
  readonly unbiasedRunningVar: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  protected abstract readonly ranks: number[];

  /** `(numFeatures, options)` or PyTorch's `(numFeatures, eps, momentum, affine, trackRunningStats, options?)`. */
  constructor(readonly numFeatures: number, ...args: PositionalArgs<[eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean], BatchNormOptions>) {
    super();
    const options = positional<BatchNormOptions>(new.target.name, ['eps', 'momentum', 'affine', 'trackRunningStats'], args);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.channelAxis = options.channelAxis ?? 1;
    this.unbiasedRunningVar = options.unbiasedRunningVar ?? true;
    this.weight = this.affine ? ownParameter(ones([numFeatures])) : null;
    this.bias = this.affine && (options.bias ?? true) ? ownParameter(zeros([numFeatures])) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int32' }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  get runningMean(): Tensor | null {
    return this._get('running_mean');
  }
  get runningVar(): Tensor | null {
    return this._get('running_var');
  }
  get numBatchesTracked(): Tensor | null {
    return this._get('num_batches_tracked');
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim)) {
      throw new ShapeError(`${this.constructor.name}: expected ${this.ranks.map((r) => `${r}D`).join(' or ')} input (got ${x.ndim}D input of shape [${x.shape.join(', ')}]).`);
    }
    const rm = this.runningMean;
    const rv = this.runningVar;
    let factor: number | Tensor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && rm !== null) {
      const nbt = this.numBatchesTracked!;
      nbt.add_(1);
      // Cumulative average: 1 / num_batches_tracked, as a tensor (no per-step scalar constant, no read-back).
      if (this.momentum === null) factor = nbt.reciprocal();
    }
    const useBatch = this.training || rm === null;
    const track = !this.training || this.trackRunningStats;
    return batchNorm(x, track ? rm : null, track ? rv : null, {
      weight: this.weight, bias: this.bias, training: useBatch, momentum: factor, eps: this.eps, channelAxis: this.channelAxis,
      unbiasedRunningVar: this.unbiasedRunningVar,
    });
  }

  /** Reset the running statistics (mean 0, variance 1, no batches seen). */
  resetRunningStats(): void {
    this.runningMean?.zero_();
    this.runningVar?.fill_(1);
    this.numBatchesTracked?.zero_();
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalization over [N, C] or [N, C, L].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * const bn = new nn.BatchNorm1d(16);
 * bn.forward(randn([32, 16])).shape; // [32, 16]
 * Object.keys(bn.stateDict()); // ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
}

/**
 * Batch normalization over [N, C, H, W].
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { nn } from '@duet/nn';
 * new nn.BatchNorm2d(8).forward(randn([4, 8, 5, 5])).shape; // [4, 8, 5, 5]
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
}
