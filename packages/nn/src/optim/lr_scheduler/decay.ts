/**
 * Schedules that scale the rate by a factor at given epochs: StepLR,
 * MultiStepLR, ExponentialLR, LinearLR and LambdaLR (PyTorch's formulas).
 */
import { ArgumentError } from '@duet/core';
import { LRScheduler, bisectRight, loadSchedulerState, schedulerState, shown, type AnyOptimizer } from './base.js';

export interface LastEpochOption {
  /** Index of the last epoch when resuming; -1 (default) starts fresh. */
  lastEpoch?: number;
}

/**
 * Multiply the rate by `gamma` every `stepSize` epochs.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const scheduler = new optim.lrScheduler.StepLR(optimizer, 30, { gamma: 0.1 });
 * // lr = 0.05 for epochs 0-29, 0.005 for 30-59, ...
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(); }
 * ```
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: AnyOptimizer, stepSize: number, options: { gamma?: number } & LastEpochOption = {}) {
    super(optimizer, options.lastEpoch);
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new ArgumentError(`StepLR: stepSize must be a positive integer, received ${shown(stepSize, 'stepSize')}.`);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Multiply the rate by `gamma` at each milestone epoch.
 *
 * @example
 * ```ts
 * const scheduler = new optim.lrScheduler.MultiStepLR(optimizer, [30, 80], { gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** Milestone -> how many times it was given (PyTorch's Counter). */
  milestones: Record<number, number>;
  gamma: number;
  constructor(optimizer: AnyOptimizer, milestones: number[], options: { gamma?: number } & LastEpochOption = {}) {
    super(optimizer, options.lastEpoch);
    this.milestones = {};
    for (const m of milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  getLr(): number[] {
    const n = this.milestones[this.lastEpoch];
    if (n === undefined) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** n);
  }
  protected override closedFormLr(): number[] {
    const sorted = Object.entries(this.milestones).flatMap(([m, n]) => Array<number>(n).fill(Number(m))).sort((a, b) => a - b);
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(sorted, this.lastEpoch));
  }
}

/**
 * Multiply the rate by `gamma` every epoch.
 *
 * @example
 * ```ts
 * const scheduler = new optim.lrScheduler.ExponentialLR(optimizer, 0.9);
 * ```
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: AnyOptimizer, gamma: number, options: LastEpochOption = {}) {
    super(optimizer, options.lastEpoch);
    this.gamma = gamma;
    this.initialStep();
  }
  getLr(): number[] {
    if (this._isInitial) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

export interface LinearLROptions extends LastEpochOption {
  /** Factor at epoch 0. Default 1/3. */
  startFactor?: number;
  /** Factor from `totalIters` on. Default 1. */
  endFactor?: number;
  /** Epochs to go from `startFactor` to `endFactor`. Default 5. */
  totalIters?: number;
}

/**
 * Scale the rate by a factor going linearly from `startFactor` to
 * `endFactor` over `totalIters` epochs (a warm-up).
 *
 * @example
 * ```ts
 * const warmup = new optim.lrScheduler.LinearLR(optimizer, { startFactor: 0.1, totalIters: 4 });
 * ```
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (this.startFactor > 1 || this.startFactor <= 0) throw new ArgumentError(`LinearLR: startFactor expected to be greater than 0 and less or equal to 1, received ${this.startFactor}.`);
    if (this.endFactor > 1 || this.endFactor < 0) throw new ArgumentError(`LinearLR: endFactor expected to be between 0 and 1, received ${this.endFactor}.`);
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs().map((lr) => lr * this.startFactor);
    if (this._isInitial || this.lastEpoch > this.totalIters) return this.groupLrs();
    const d = this.endFactor - this.startFactor;
    const f = 1.0 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d);
    return this.groupLrs().map((lr) => lr * f);
  }
  protected override closedFormLr(): number[] {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters;
    return this.baseLrs.map((b) => b * f);
  }
}

/**
 * Set the rate to `initialLr * lrLambda(epoch)` (one function, or one per group).
 * The functions are not part of the state dict.
 *
 * @example
 * ```ts
 * const scheduler = new optim.lrScheduler.LambdaLR(optimizer, (epoch) => 0.95 ** epoch);
 * ```
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: LastEpochOption = {}) {
    super(optimizer, options.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) throw new ArgumentError(`LambdaLR: expected ${n} lrLambdas, but got ${lrLambda.length}.`);
    this.lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array<(epoch: number) => number>(n).fill(lrLambda);
    this.initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
  override stateDict(): Record<string, unknown> {
    return { ...schedulerState(this, ['lrLambdas']), lr_lambdas: this.lrLambdas.map(() => null) };
  }
  override loadStateDict(stateDict: Record<string, unknown>): void {
    loadSchedulerState(this, stateDict, ['lrLambdas']);
  }
}
