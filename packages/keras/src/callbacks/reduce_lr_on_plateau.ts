/**
 * `keras.callbacks.ReduceLROnPlateau` (Keras 3's `reduce_lr_on_plateau.py`):
 * multiply the optimizer's learning rate by `factor` when the monitored
 * metric has not improved for `patience` epochs, then wait `cooldown`
 * epochs, never going below `minLr`. Adds `learning_rate` to the logs.
 *
 * @example
 * ```ts
 * const plateau = new keras.callbacks.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.2, patience: 5, minLr: 0.001 });
 * ```
 */
import { KerasValueError } from '../errors.js';
import type { Logs } from './callback.js';
import { MonitorCallback, type MonitorMode } from './monitor_callback.js';

export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** New rate = rate * factor; must be < 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** 1 prints a line per reduction. Default 0. */
  verbose?: number;
  /** 'min', 'max' or 'auto' ('max' when the metric's name has 'acc'). Default 'auto'. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** Lower bound on the rate. Default 0. */
  minLr?: number;
}

export class ReduceLROnPlateau extends MonitorCallback {
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const monitor = options.monitor ?? 'val_loss';
    const mode = options.mode ?? 'auto';
    // Keras's ReduceLROnPlateau reads 'auto' from 'acc' anywhere in the name.
    super(monitor, mode === 'auto' ? (monitor.includes('acc') ? 'max' : 'min') : mode, options.minDelta ?? 1e-4, 'ReduceLROnPlateau');
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1)) throw new KerasValueError(`ReduceLROnPlateau does not support a factor >= 1.0. Received factor=${String(this.factor)}`);
    this.patience = options.patience ?? 10;
    this.verbose = options.verbose ?? 0;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
  }

  override onTrainBegin(): void {
    this.resetBest();
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const opt = this.model?.optimizer;
    if (opt === null || opt === undefined) throw new KerasValueError('ReduceLROnPlateau needs a compiled model (an optimizer with a learning rate).');
    logs.learning_rate = opt.learningRate;
    const current = logs[this.monitor];
    if (current === undefined) {
      process.emitWarning(`Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`);
      return;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = opt.learningRate;
        // Keras compares in float32, the dtype of the rate variable.
        if (old > Math.fround(this.minLr)) {
          const lr = Math.max(old * this.factor, this.minLr);
          opt.learningRate = lr;
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
