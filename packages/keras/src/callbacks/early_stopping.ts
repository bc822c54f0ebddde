/**
 * `keras.callbacks.EarlyStopping`: stop training when a monitored metric has
 * stopped improving (Keras 3's rule). It talks back to training only
 * through `model.stopTraining` (and, with `restoreBestWeights`,
 * `model.setWeights`).
 */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';

export interface EarlyStoppingOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** 1 prints "Epoch n: early stopping". Default 0. */
  verbose?: number;
  /** 'min', 'max' or 'auto' (from the metric's name). Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Stop unless the metric beats this value. */
  baseline?: number | null;
  /** Put back the weights of the best epoch when training ends. Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring. Default 0. */
  startFromEpoch?: number;
}

const UP = /(accuracy|acc|auc|precision|recall)$/;
const DOWN = /(loss|error|crossentropy|hinge|divergence|poisson|logcosh|mse|mae|mape|msle|rmse)$/;

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: 'auto' | 'min' | 'max';
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  private minDelta: number;
  private better: ((a: number, b: number) => boolean) | null = null;
  private bestWeights: Tensor[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.verbose = options.verbose ?? 0;
    this.mode = options.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(this.mode)) throw new KerasValueError(`EarlyStopping mode must be 'auto', 'min' or 'max'. Received: mode=${String(this.mode)}`);
    this.baseline = options.baseline ?? null;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
  }

  private setMonitorOp(): void {
    const name = this.monitor.replace(/^val_/, '');
    let up: boolean;
    if (this.mode !== 'auto') up = this.mode === 'max';
    else if (name === 'loss' || DOWN.test(name)) up = false;
    else if (UP.test(name)) up = true;
    else {
      throw new KerasValueError(`EarlyStopping callback received monitor=${this.monitor}, but Keras isn't able to automatically determine whether that metric should be maximized or minimized. Pass \`mode: 'max'\` in order to monitor based on the highest metric value, or pass \`mode: 'min'\` in order to use the lowest value.`);
    }
    this.better = up ? (a, b) => a > b : (a, b) => a < b;
    if (!up) this.minDelta = -this.minDelta;
  }

  private isImprovement(value: number, reference: number | null): boolean {
    return reference === null || this.better!(value - this.minDelta, reference);
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    this.releaseBest();
  }

  private releaseBest(): void {
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }

  private snapshot(): void {
    this.releaseBest();
    this.bestWeights = this.model!.getWeights();
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.better === null) this.setMonitorOp();
    const current = logs[this.monitor];
    if (current === undefined) {
      process.emitWarning(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.snapshot();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.snapshot();
      if (this.baseline === null || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model!.setWeights(this.bestWeights);
    }
    this.releaseBest();
  }
}
