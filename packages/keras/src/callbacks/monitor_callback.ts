/**
 * `MonitorCallback` (Keras 3's `callbacks/monitor_callback.py`): the shared
 * part of callbacks that watch one metric (ModelCheckpoint,
 * ReduceLROnPlateau): which direction is better ('min', 'max', or 'auto'
 * from the metric's name), the best value so far, and `minDelta`.
 */
import { KerasValueError } from '../errors.js';
import { Callback } from './callback.js';

export type MonitorMode = 'auto' | 'min' | 'max';

const UP = /(accuracy|acc|auc|precision|recall|f1_score|fbeta_score)$/;

export class MonitorCallback extends Callback {
  readonly monitor: string;
  readonly mode: MonitorMode;
  /** Smallest change that counts as an improvement (non-negative). */
  readonly minDelta: number;
  /** The best value seen (`Infinity` / `-Infinity` before the first). */
  best = Infinity;
  private up: boolean | null = null;

  constructor(monitor: string, mode: MonitorMode, minDelta: number, who: string) {
    super();
    if (!['auto', 'min', 'max'].includes(mode)) throw new KerasValueError(`${who} mode must be 'auto', 'min' or 'max'. Received: mode=${String(mode)}`);
    if (typeof minDelta !== 'number' || Number.isNaN(minDelta)) throw new KerasValueError(`${who}: \`minDelta\` must be a number. Received: minDelta=${String(minDelta)}`);
    this.monitor = monitor;
    this.mode = mode;
    this.minDelta = Math.abs(minDelta);
  }

  /** True when larger values of the monitored metric are better. */
  get maximizes(): boolean {
    if (this.up === null) {
      const name = this.monitor.replace(/^val_/, '');
      this.up = this.mode === 'max' || (this.mode === 'auto' && UP.test(name));
    }
    return this.up;
  }

  /** Forget the best value (at the start of training). */
  resetBest(initial: number | null = null): void {
    this.best = initial ?? (this.maximizes ? -Infinity : Infinity);
  }

  /** Whether `value` beats `reference` by more than `minDelta`. */
  isImprovement(value: number, reference: number): boolean {
    return this.maximizes ? value - this.minDelta > reference : value + this.minDelta < reference;
  }
}
