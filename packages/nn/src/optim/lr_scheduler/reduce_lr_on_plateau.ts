/** Lower the rate when a metric stops improving: `torch.optim.lr_scheduler.ReduceLROnPlateau`. */
import { ArgumentError, Tensor } from '@duet/core';
import { Optimizer } from '../optimizer.js';
import { LRScheduler, loadSchedulerState, schedulerState, type AnyOptimizer } from './base.js';

/** Base fields PyTorch's ReduceLROnPlateau does not have (it skips `LRScheduler.__init__`): left out of its state dict. */
const NOT_IN_STATE = ['baseLrs', '_stepCount', '_isInitial'];

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should decrease (a loss); 'max': increase (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** New rate = rate * factor. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before the rate drops. Default 10. */
  patience?: number;
  /** Minimum change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a drop before counting again. Default 0. */
  cooldown?: number;
  /** Lower bound on the rate (one for all groups, or one per group). Default 0. */
  minLr?: number | number[];
  /** Drops smaller than eps are skipped. Default 1e-8. */
  eps?: number;
}

/**
 * Call `step(metric)` once per epoch with the validation loss (or accuracy,
 * with `mode: 'max'`); after `patience` epochs without improvement the rate
 * is multiplied by `factor`.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const scheduler = new optim.lrScheduler.ReduceLROnPlateau(optimizer, { patience: 2 });
 * for (let epoch = 0; epoch < 20; epoch++) {
 *   train();
 *   scheduler.step(validationLoss());
 * }
 * ```
 */
export class ReduceLROnPlateau extends LRScheduler {
  factor: number;
  defaultMinLr: number | null;
  minLrs: number[];
  patience: number;
  cooldown: number;
  eps: number;
  mode: 'min' | 'max';
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  modeWorse: number;
  best: number;
  cooldownCounter = 0;
  numBadEpochs = 0;

  /** A subclass of the scheduler base, as PyTorch's; like PyTorch's it records no `initialLr` and starts at `lastEpoch` 0. */
  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`ReduceLROnPlateau: expected an Optimizer, received ${optimizer}.`);
    super(optimizer, 0, { recordInitialLr: false });
    this.factor = options.factor ?? 0.1;
    if (this.factor >= 1) throw new ArgumentError(`ReduceLROnPlateau: factor should be < 1.0, received ${this.factor}.`);
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new ArgumentError(`ReduceLROnPlateau: expected ${n} minLrs, got ${minLr.length}.`);
      this.defaultMinLr = null;
      this.minLrs = [...minLr];
    } else {
      this.defaultMinLr = minLr;
      this.minLrs = Array<number>(n).fill(minLr);
    }
    this.patience = options.patience ?? 10;
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    this.mode = options.mode ?? 'min';
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.mode !== 'min' && this.mode !== 'max') throw new ArgumentError(`ReduceLROnPlateau: mode '${this.mode}' is unknown (expected 'min' or 'max').`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new ArgumentError(`ReduceLROnPlateau: thresholdMode '${this.thresholdMode}' is unknown (expected 'rel' or 'abs').`);
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
  }

  /** Record this epoch's metric (a number or a one-element tensor) and lower the rate if it stalled. */
  override step(metric?: number | Tensor): void {
    if (metric === undefined) throw new ArgumentError('ReduceLROnPlateau.step(metric): the metric (e.g. the validation loss) is required.');
    const current = metric instanceof Tensor ? metric.item() : Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null) throw new ArgumentError(`ReduceLROnPlateau: the optimizer has ${groups.length} param groups but minLr was given for ${this.minLrs.length}; update minLrs.`);
      this.minLrs = Array<number>(groups.length).fill(this.defaultMinLr);
    }
    groups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1.0 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1.0) : a > best + this.threshold;
  }

  /** True while waiting after a drop. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The groups' current rates (the rate changes only in `step(metric)`). */
  getLr(): number[] {
    return this.groupLrs();
  }

  override stateDict(): Record<string, unknown> {
    return schedulerState(this, NOT_IN_STATE);
  }
  override loadStateDict(stateDict: Record<string, unknown>): void {
    loadSchedulerState(this, stateDict, NOT_IN_STATE);
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
  }
}
