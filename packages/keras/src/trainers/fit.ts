/**
 * `model.fit()` (Keras 3's `Trainer.fit` + the TensorFlow trainer's epoch
 * loop): epochs of train steps over a data adapter, callbacks at every
 * hook, optional validation, and a `History` of the epochs' logs. Each
 * epoch's logged metrics are the running means over its batches, as
 * Keras reports them.
 */
import { markStep, type Tensor } from '@duet/core';
import { CallbackList } from '../callbacks/callback_list.js';
import type { Callback } from '../callbacks/callback.js';
import type { History } from '../callbacks/history.js';
import { KerasValueError, NonFiniteLossError } from '../errors.js';
import type { Model } from '../models/model.js';
import { splitArrays } from './data_adapters/array_data_adapter.js';
import { isIterableData, type ArrayData, type XData, type YData } from './data_adapters/data_adapter.js';
import { forEachBatch, runTestLoop } from './epoch_loop.js';
import { makeAdapter } from './make_adapter.js';
import { builtInSteps, classWeightTensor, logsToNumbers, requireCompiled, trainStep, type StepContext, type StepLogs } from './train_step.js';

export interface FitOptions {
  /** Default 32 (arrays only). */
  batchSize?: number | null;
  /** Default 1. */
  epochs?: number;
  /** 0 silent, 1 progress bar (a line per epoch without a terminal), 2 a line per epoch; 'auto' = 1. */
  verbose?: 0 | 1 | 2 | 'auto';
  callbacks?: Callback[];
  /** Fraction of the arrays (the last samples, before shuffling) held out for validation. */
  validationSplit?: number;
  /** `[xVal, yVal]`, `[xVal, yVal, sampleWeightVal]`, or an iterable of batches. */
  validationData?: [XData, YData] | [XData, YData, ArrayData] | XData | null;
  /** Shuffle the arrays every epoch (default true); 'batch' shuffles whole batches. */
  shuffle?: boolean | 'batch';
  /** Weight of each class in the loss, `{ class: weight }`. */
  classWeight?: Record<number, number> | null;
  /** Per-sample weights, one per row of `x`. */
  sampleWeight?: ArrayData | null;
  /** Epoch to start from (resuming). Default 0. */
  initialEpoch?: number;
  /** Batches per epoch (continues the data across epochs). */
  stepsPerEpoch?: number | null;
  validationSteps?: number | null;
  validationBatchSize?: number | null;
  /** Validate every `validationFreq` epochs, or at the listed epochs (1-based). Default 1. */
  validationFreq?: number | number[];
}

function checkEpochs(epochs: unknown, initial: unknown): void {
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 0) throw new KerasValueError(`\`epochs\` must be a non-negative integer. Received: epochs=${String(epochs)}`);
  if (typeof initial !== 'number' || !Number.isInteger(initial) || initial < 0) throw new KerasValueError(`\`initial_epoch\` must be a non-negative integer. Received: initial_epoch=${String(initial)}`);
}

function shouldValidate(epoch: number, freq: number | number[]): boolean {
  if (Array.isArray(freq)) return freq.includes(epoch + 1);
  if (!Number.isInteger(freq) || freq < 1) throw new KerasValueError(`\`validation_freq\` must be a positive integer or an array of epochs. Received: validation_freq=${String(freq)}`);
  return (epoch + 1) % freq === 0;
}

export async function fit(model: Model, x: XData | undefined, y: YData | undefined, options: FitOptions = {}): Promise<History> {
  const state = requireCompiled(model, 'fit');
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  checkEpochs(epochs, initialEpoch);
  const verbose = options.verbose === 'auto' || options.verbose === undefined ? 1 : options.verbose;
  const owned: Tensor[] = [];
  let trainX = x;
  let trainY: YData | undefined | null = y;
  let trainSw = options.sampleWeight ?? null;
  let val = options.validationData ?? null;
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (val !== null) throw new KerasValueError('Pass either `validation_split` or `validation_data`, not both.');
    if (isIterableData(x)) throw new KerasValueError('`validation_split` is only supported for Tensors or arrays, not for iterables (DataLoader, generators). Pass `validationData` instead.');
    const parts = splitArrays(x as ArrayData, y, trainSw, options.validationSplit, owned);
    trainX = parts.train.x;
    trainY = parts.train.y;
    trainSw = parts.train.sw;
    val = parts.val.sw === null ? [parts.val.x, parts.val.y as YData] : [parts.val.x, parts.val.y as YData, parts.val.sw];
  }
  const adapter = makeAdapter(trainX, trainY, { batchSize: options.batchSize, shuffle: options.shuffle ?? true, steps: options.stepsPerEpoch, sampleWeight: trainSw, owned });
  const valAdapter = val === null ? null : Array.isArray(val) && !isIterableData(val) && val.length >= 2 && val.length <= 3 && !(val.every((v) => typeof v === 'number'))
    ? makeAdapter(val[0] as XData, val[1] as YData, { batchSize: options.validationBatchSize ?? options.batchSize, shuffle: false, steps: options.validationSteps, sampleWeight: (val[2] as ArrayData | undefined) ?? null, owned })
    : makeAdapter(val as XData, null, { steps: options.validationSteps, owned });
  const ctx: StepContext = { variables: null, classWeights: classWeightTensor(options.classWeight) };
  const callbacks = new CallbackList(options.callbacks ?? [], { model, addHistory: true, addProgbar: verbose !== 0, verbose, epochs, steps: adapter.numBatches });
  const testCallbacks = callbacks;
  // A boundary before the first step, so that the first step's tensors are released like the others'.
  markStep();
  model.stopTraining = false;
  try {
    let r = callbacks.onTrainBegin();
    if (r) await r;
    let logs: Record<string, number> = {};
    // A callback (BackupAndRestore) may resume training at a later epoch.
    const startEpoch = model.resumeFromEpoch ?? initialEpoch;
    model.resumeFromEpoch = null;
    // An overridden `trainStep` returns its own logs: they are the epoch's (Keras's `_get_metrics_result_or_logs`).
    const custom = !builtInSteps.has(model.trainStep);
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      model.resetMetrics();
      let last: StepLogs = {};
      const stepsKnown = adapter.numBatches !== null;
      adapter.beginEpoch(epoch);
      r = callbacks.onEpochBegin(epoch);
      if (r) await r;
      const steps = await forEachBatch(adapter, (batch, step) => {
        const b = callbacks.onTrainBatchBegin(step);
        const after = () => {
          last = trainStep(model, state, batch, ctx);
          // The built-in step keeps nothing of the batch: free its rows now (a custom step may have stored them).
          if (!custom) adapter.releaseBatch();
          adapter.touch();
          valAdapter?.touch();
          return callbacks.onTrainBatchEnd(step, custom ? logsToNumbers(last) : (last as Record<string, number>));
        };
        return b instanceof Promise ? b.then(after) : after();
      }, false, () => model.stopTraining);
      // An iterable of unknown length: after the first pass the progress bar knows its target.
      if (!stepsKnown && adapter.numBatches !== null) callbacks.setParams({ verbose, epochs, steps: adapter.numBatches });
      logs = custom ? logsToNumbers(last) : state.results();
      // A non-finite loss is an error, unless a callback (TerminateOnNaN) already stopped training on it.
      if (steps > 0 && 'loss' in logs && !Number.isFinite(logs.loss!) && !model.stopTraining) {
        throw new NonFiniteLossError(`The loss became ${logs.loss} during epoch ${epoch + 1} (its mean over ${steps} batches is not finite). Lower the learning rate, check the data for NaN/Inf values, or use \`fromLogits\` / a numerically stable loss.`);
      }
      if (valAdapter !== null && shouldValidate(epoch, options.validationFreq ?? 1)) {
        const valLogs = await runTestLoop(model, state, valAdapter, testCallbacks, ctx);
        for (const [k, v] of Object.entries(valLogs)) logs[`val_${k}`] = v;
      }
      r = callbacks.onEpochEnd(epoch, logs);
      if (r) await r;
      if (model.stopTraining || adapter.exhausted) break;
      // Let timers and signals run between epochs (the epoch itself may run without an await).
      await new Promise((resolve) => setImmediate(resolve));
    }
    r = callbacks.onTrainEnd(logs);
    if (r) await r;
  } finally {
    callbacks.progbar?.close();
    adapter.dispose();
    valAdapter?.dispose();
    ctx.classWeights?.dispose();
  }
  model.history = callbacks.history!;
  return callbacks.history!;
}
