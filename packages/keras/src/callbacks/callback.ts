/**
 * `keras.callbacks.Callback`: hooks called by `fit`, `evaluate` and
 * `predict` (Keras 3's `callbacks/callback.py`). Every hook is a no-op here;
 * override the ones you need. A hook may be async: the trainer awaits it
 * (and only then: callbacks that return nothing cost no await per batch).
 *
 * `logs` are Keras's: metric name -> number (`loss`, `accuracy`, `val_loss`);
 * an empty object where Keras passes no values (`onTrainBegin`, the
 * `*BatchBegin` hooks), and `{ outputs }` for `onPredictBatchEnd`.
 * Batch-level logs read the running metric values from the device when a
 * key is first read, so a callback that does not look at them costs no sync.
 *
 * A callback talks back to training only through its model
 * (`this.model.stopTraining = true`, the optimizer's learning rate, ...).
 */
import type { Tensor } from '@duet/core';
import type { Model } from '../models/model.js';

export type Logs = Record<string, number>;
/** What `onPredictBatchEnd` receives: the batch's outputs (Keras's `{"outputs": ...}`). */
export interface PredictBatchLogs {
  outputs: Tensor | Tensor[];
}
export type HookResult = void | Promise<void>;

/** What `fit` / `evaluate` / `predict` tell their callbacks (Keras's `params`). */
export interface CallbackParams {
  /** 0, 1 or 2. */
  verbose: number;
  /** Epochs of this `fit` (1 for evaluate/predict). */
  epochs: number;
  /** Batches per epoch, or null when unknown (an iterable of unknown length). */
  steps: number | null;
}

export class Callback {
  /** The model being trained (set by `setModel` before training starts). */
  model: Model | null = null;
  params: CallbackParams = { verbose: 0, epochs: 1, steps: null };

  setModel(model: Model): void {
    this.model = model;
  }
  setParams(params: CallbackParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): HookResult {}
  onTrainEnd(_logs?: Logs): HookResult {}
  onEpochBegin(_epoch: number, _logs?: Logs): HookResult {}
  /** `logs` has the epoch's metrics, then the validation metrics (`val_*`) when validating. */
  onEpochEnd(_epoch: number, _logs?: Logs): HookResult {}
  /** By default calls `onBatchBegin` (Keras's alias, kept for older code). */
  onTrainBatchBegin(batch: number, logs?: Logs): HookResult {
    return this.onBatchBegin(batch, logs);
  }
  /** By default calls `onBatchEnd` (Keras's alias, kept for older code). */
  onTrainBatchEnd(batch: number, logs?: Logs): HookResult {
    return this.onBatchEnd(batch, logs);
  }
  /** Keras's backwards-compatible alias of `onTrainBatchBegin` (what the default `onTrainBatchBegin` calls). */
  onBatchBegin(_batch: number, _logs?: Logs): HookResult {}
  /** Keras's backwards-compatible alias of `onTrainBatchEnd` (what the default `onTrainBatchEnd` calls). */
  onBatchEnd(_batch: number, _logs?: Logs): HookResult {}
  onTestBegin(_logs?: Logs): HookResult {}
  onTestEnd(_logs?: Logs): HookResult {}
  onTestBatchBegin(_batch: number, _logs?: Logs): HookResult {}
  onTestBatchEnd(_batch: number, _logs?: Logs): HookResult {}
  onPredictBegin(_logs?: Logs): HookResult {}
  onPredictEnd(_logs?: Logs): HookResult {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): HookResult {}
  onPredictBatchEnd(_batch: number, _logs?: PredictBatchLogs | Logs): HookResult {}
}
