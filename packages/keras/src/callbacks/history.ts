/**
 * `keras.callbacks.History`: records every epoch's logs. `fit` resolves to
 * it: `history.history.loss`, `.accuracy`, `.val_loss` (Keras's keys).
 */
import { Callback, type Logs } from './callback.js';

export class History extends Callback {
  /** Metric name -> one value per epoch. */
  history: Record<string, number[]> = {};
  /** The epoch indices recorded (from `initialEpoch`). */
  epoch: number[] = [];

  override onTrainBegin(): void {
    this.epoch = [];
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
