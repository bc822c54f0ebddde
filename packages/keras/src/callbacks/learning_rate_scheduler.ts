/**
 * `keras.callbacks.LearningRateScheduler`: at the start of every epoch, set
 * the optimizer's learning rate to `schedule(epoch, currentLr)` (epoch
 * 0-based). Adds `learning_rate` to the epoch's logs.
 *
 * @example
 * ```ts
 * const sched = new keras.callbacks.LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)));
 * ```
 */
import { KerasValueError } from '../errors.js';
import { Callback, type Logs } from './callback.js';

export type Schedule = (epoch: number, lr: number) => number;

export class LearningRateScheduler extends Callback {
  constructor(
    readonly schedule: Schedule,
    readonly options: { verbose?: number } = {},
  ) {
    super();
    if (typeof schedule !== 'function') throw new KerasValueError(`LearningRateScheduler needs a function (epoch, lr) => lr. Received: ${String(schedule)}`);
  }

  private optimizer() {
    const opt = this.model?.optimizer;
    if (opt === null || opt === undefined) throw new KerasValueError('LearningRateScheduler needs a compiled model: the optimizer must have a "learning_rate" attribute.');
    return opt;
  }

  override onEpochBegin(epoch: number): void {
    const opt = this.optimizer();
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || Number.isNaN(lr)) throw new KerasValueError(`The output of the "schedule" function should be a float. Got: ${String(lr)}`);
    opt.learningRate = lr;
    if ((this.options.verbose ?? 0) > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = this.optimizer().learningRate;
  }
}
