/**
 * Cosine annealing: `torch.optim.lr_scheduler.CosineAnnealingLR` (SGDR,
 * Loshchilov & Hutter, 2017, https://arxiv.org/abs/1608.03983, without the
 * restarts).
 */
import { ArgumentError } from '@duet/core';
import { LRScheduler, shown, type AnyOptimizer } from './base.js';
import type { LastEpochOption } from './decay.js';

/**
 * The rate follows half a cosine from `initialLr` down to `etaMin` over
 * `tMax` epochs (and back up over the next `tMax`, as PyTorch's does):
 * `etaMin + (initialLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`,
 * computed step by step the way PyTorch computes it.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, 100, { etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: AnyOptimizer, tMax: number, options: { etaMin?: number } & LastEpochOption = {}) {
    super(optimizer, options.lastEpoch);
    if (!(tMax > 0)) throw new ArgumentError(`CosineAnnealingLR: tMax must be positive, received ${shown(tMax, 'tMax')}.`);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (this._isInitial) return this.groupLrs();
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      return this.groupLrs().map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groupLrs().map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** Python's `%` (the result has the divisor's sign). */
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
