/**
 * `keras.callbacks.LambdaCallback`: a callback made of functions, for
 * one-off needs. Each option is the hook of the same name.
 *
 * @example
 * ```ts
 * const printer = new keras.callbacks.LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) });
 * ```
 */
import { KerasValueError } from '../errors.js';
import { Callback, type HookResult, type Logs } from './callback.js';

type EpochHook = (epoch: number, logs?: Logs) => HookResult;
type BatchHook = (batch: number, logs?: Logs) => HookResult;
type LogsHook = (logs?: Logs) => HookResult;

export interface LambdaCallbackOptions {
  onEpochBegin?: EpochHook;
  onEpochEnd?: EpochHook;
  onTrainBegin?: LogsHook;
  onTrainEnd?: LogsHook;
  onTrainBatchBegin?: BatchHook;
  onTrainBatchEnd?: BatchHook;
  /** Keras's alias: called for each training batch unless `onTrainBatchBegin` is given. */
  onBatchBegin?: BatchHook;
  /** Keras's alias: called for each training batch unless `onTrainBatchEnd` is given. */
  onBatchEnd?: BatchHook;
  onTestBegin?: LogsHook;
  onTestEnd?: LogsHook;
  onTestBatchBegin?: BatchHook;
  onTestBatchEnd?: BatchHook;
  onPredictBegin?: LogsHook;
  onPredictEnd?: LogsHook;
  onPredictBatchBegin?: BatchHook;
  onPredictBatchEnd?: BatchHook;
}

const HOOKS = ['onEpochBegin', 'onEpochEnd', 'onTrainBegin', 'onTrainEnd', 'onTrainBatchBegin', 'onTrainBatchEnd', 'onBatchBegin', 'onBatchEnd', 'onTestBegin', 'onTestEnd', 'onTestBatchBegin', 'onTestBatchEnd', 'onPredictBegin', 'onPredictEnd', 'onPredictBatchBegin', 'onPredictBatchEnd'] as const;

export class LambdaCallback extends Callback {
  constructor(hooks: LambdaCallbackOptions = {}) {
    super();
    const unknown = Object.keys(hooks).filter((k) => !(HOOKS as readonly string[]).includes(k));
    if (unknown.length > 0) throw new KerasValueError(`Unrecognized LambdaCallback hook(s): ${unknown.join(', ')}. Known hooks: ${HOOKS.join(', ')}.`);
    for (const h of HOOKS) {
      const fn = hooks[h];
      if (fn === undefined) continue;
      if (typeof fn !== 'function') throw new KerasValueError(`LambdaCallback: \`${h}\` must be a function. Received: ${String(fn)}`);
      (this as unknown as Record<string, unknown>)[h] = fn;
    }
  }
}
