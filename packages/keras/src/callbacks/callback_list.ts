/**
 * `CallbackList`: one object the trainer calls, fanning each hook out to
 * every callback in order (Keras 3's `callbacks/callback_list.py`). It adds
 * a `History` (always) and a `ProgbarLogger` (when verbose) unless the user
 * passed one. A hook returns a Promise only if some callback's hook did, so
 * the training loop awaits only then.
 */
import { KerasValueError } from '../errors.js';
import type { Model } from '../models/model.js';
import { Callback, type CallbackParams, type HookResult, type Logs, type PredictBatchLogs } from './callback.js';
import { History } from './history.js';
import { ProgbarLogger } from './progbar_logger.js';

export interface CallbackListOptions extends Partial<CallbackParams> {
  model: Model;
  addHistory?: boolean;
  addProgbar?: boolean;
}

type Hook = Exclude<keyof Callback, 'model' | 'params' | 'setModel' | 'setParams'>;

export class CallbackList {
  readonly callbacks: Callback[];
  readonly history: History | null = null;
  readonly progbar: ProgbarLogger | null = null;

  constructor(callbacks: readonly Callback[] = [], options: CallbackListOptions) {
    if (!Array.isArray(callbacks)) throw new KerasValueError(`\`callbacks\` must be an array of keras.callbacks.Callback. Received: ${String(callbacks)}`);
    for (const cb of callbacks) {
      if (!(cb instanceof Callback)) throw new KerasValueError(`Each callback must be an instance of keras.callbacks.Callback. Received: ${String(cb)} (of type ${typeof cb})`);
    }
    this.callbacks = [...callbacks];
    for (const cb of this.callbacks) {
      if (cb instanceof History) this.history = cb;
      else if (cb instanceof ProgbarLogger) this.progbar = cb;
    }
    if (this.history === null && options.addHistory) this.callbacks.push((this.history = new History()));
    if (this.progbar === null && options.addProgbar) this.callbacks.push((this.progbar = new ProgbarLogger()));
    const params: CallbackParams = { verbose: options.verbose ?? 0, epochs: options.epochs ?? 1, steps: options.steps ?? null };
    for (const cb of this.callbacks) {
      cb.setModel(options.model);
      cb.setParams(params);
    }
  }

  /** Tell every callback the (new) params, e.g. the number of steps once the first epoch has counted them. */
  setParams(params: CallbackParams): void {
    for (const cb of this.callbacks) cb.setParams(params);
  }

  private fan(hook: Hook, args: unknown[]): HookResult {
    let pending: Promise<void> | null = null;
    for (const cb of this.callbacks) {
      if (pending !== null) {
        pending = pending.then(() => (cb[hook] as (...a: unknown[]) => HookResult).apply(cb, args));
        continue;
      }
      const r = (cb[hook] as (...a: unknown[]) => HookResult).apply(cb, args);
      if (r instanceof Promise) pending = r;
    }
    return pending ?? undefined;
  }

  onTrainBegin(logs: Logs = {}): HookResult { return this.fan('onTrainBegin', [logs]); }
  onTrainEnd(logs: Logs = {}): HookResult { return this.fan('onTrainEnd', [logs]); }
  onEpochBegin(epoch: number, logs: Logs = {}): HookResult { return this.fan('onEpochBegin', [epoch, logs]); }
  onEpochEnd(epoch: number, logs: Logs = {}): HookResult { return this.fan('onEpochEnd', [epoch, logs]); }
  onTrainBatchBegin(batch: number, logs: Logs = {}): HookResult { return this.fan('onTrainBatchBegin', [batch, logs]); }
  onTrainBatchEnd(batch: number, logs: Logs = {}): HookResult { return this.fan('onTrainBatchEnd', [batch, logs]); }
  onTestBegin(logs: Logs = {}): HookResult { return this.fan('onTestBegin', [logs]); }
  onTestEnd(logs: Logs = {}): HookResult { return this.fan('onTestEnd', [logs]); }
  onTestBatchBegin(batch: number, logs: Logs = {}): HookResult { return this.fan('onTestBatchBegin', [batch, logs]); }
  onTestBatchEnd(batch: number, logs: Logs = {}): HookResult { return this.fan('onTestBatchEnd', [batch, logs]); }
  onPredictBegin(logs: Logs = {}): HookResult { return this.fan('onPredictBegin', [logs]); }
  onPredictEnd(logs: Logs = {}): HookResult { return this.fan('onPredictEnd', [logs]); }
  onPredictBatchBegin(batch: number, logs: Logs = {}): HookResult { return this.fan('onPredictBatchBegin', [batch, logs]); }
  onPredictBatchEnd(batch: number, logs: PredictBatchLogs | Logs = {}): HookResult { return this.fan('onPredictBatchEnd', [batch, logs]); }
}
