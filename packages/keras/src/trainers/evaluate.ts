/** `model.evaluate()`: the loss and metrics over all of `x` (Keras 3's `Trainer.evaluate`). */
import type { Tensor } from '@duet/core';
import { CallbackList } from '../callbacks/callback_list.js';
import type { Callback } from '../callbacks/callback.js';
import type { Model } from '../models/model.js';
import type { ArrayData, XData, YData } from './data_adapters/data_adapter.js';
import { runTestLoop } from './epoch_loop.js';
import { makeAdapter } from './make_adapter.js';
import { builtInSteps, requireCompiled } from './train_step.js';

export interface EvaluateOptions {
  /** Default 32 (arrays only). */
  batchSize?: number | null;
  /** 0 silent, 1 progress bar, 2 one line; 'auto' = 1. */
  verbose?: 0 | 1 | 2 | 'auto';
  sampleWeight?: ArrayData | null;
  /** Batches to evaluate (default: all). */
  steps?: number | null;
  callbacks?: Callback[];
  /** Return `{ loss, accuracy, ... }` instead of `[loss, accuracy, ...]`. */
  returnDict?: boolean;
}

/** Values in Keras's order: loss, then the metrics as compiled; a single number when there are no metrics. */
export async function evaluate(model: Model, x: XData | undefined, y: YData | undefined, options: EvaluateOptions = {}): Promise<number | number[] | Record<string, number>> {
  const state = requireCompiled(model, 'evaluate');
  const verbose = options.verbose === 'auto' || options.verbose === undefined ? 1 : options.verbose;
  const owned: Tensor[] = [];
  const adapter = makeAdapter(x, y, { batchSize: options.batchSize, shuffle: false, steps: options.steps, sampleWeight: options.sampleWeight, owned });
  const callbacks = new CallbackList(options.callbacks ?? [], { model, addHistory: false, addProgbar: verbose !== 0, verbose, epochs: 1, steps: adapter.numBatches });
  try {
    const logs = await runTestLoop(model, state, adapter, callbacks, { variables: null, classWeights: null });
    if (options.returnDict) return logs;
    // An overridden `testStep` returns its own logs: their values, in its order (Keras's `_get_metrics_result_or_logs`).
    const values = builtInSteps.has(model.testStep) ? state.resultsInOrder() : Object.values(logs);
    return values.length === 1 ? values[0]! : values;
  } finally {
    callbacks.progbar?.close();
    adapter.dispose();
  }
}
