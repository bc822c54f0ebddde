/**
 * `trainOnBatch`, `testOnBatch`, `predictOnBatch`: one step on one batch,
 * synchronously. As in Keras 3, the metrics accumulate across calls until
 * `model.resetMetrics()`; the returned values are their running results.
 */
import { Tensor, noGrad, scope } from '@duet/core';
import { NonFiniteLossError } from '../errors.js';
import type { Model } from '../models/model.js';
import { toStruct, flatOf } from './data_adapters/array_data_adapter.js';
import type { ArrayData, Batch, XData, YData } from './data_adapters/data_adapter.js';
import { builtInSteps, classWeightTensor, logsToNumbers, predictStep, requireCompiled, testStep, trainStep } from './train_step.js';

export interface OnBatchOptions {
  sampleWeight?: ArrayData | null;
  classWeight?: Record<number, number> | null;
  /** Return `{ loss, ... }` instead of `[loss, ...]`. */
  returnDict?: boolean;
}

function toBatch(x: XData, y: YData | undefined, sw: ArrayData | null | undefined, owned: Tensor[]): Batch {
  const pack = (d: ArrayData, what: string) => {
    const s = toStruct(d, what, owned);
    return s.kind === 'single' ? s.t : s.kind === 'list' ? s.ts : Object.fromEntries(s.keys.map((k, i) => [k, s.ts[i]!]));
  };
  const swT = sw === null || sw === undefined ? null : flatOf(toStruct(sw, 'sample_weight', owned))[0]!;
  return { x: pack(x as ArrayData, 'x'), y: y === undefined || y === null ? null : pack(y, 'y'), sampleWeight: swT };
}

/** The running results; for an overridden step, the logs it returned (`stepLogs`), as Keras's `train_on_batch` returns them. */
function results(model: Model, returnDict: boolean | undefined, stepLogs: Record<string, number> | null = null): number | number[] | Record<string, number> {
  const state = model.compiled!;
  if (returnDict) return stepLogs ?? state.results();
  const v = stepLogs !== null ? Object.values(stepLogs) : state.resultsInOrder();
  return v.length === 1 ? v[0]! : v;
}

export function trainOnBatch(model: Model, x: XData, y: YData | undefined, options: OnBatchOptions = {}): number | number[] | Record<string, number> {
  const state = requireCompiled(model, 'trainOnBatch');
  const owned: Tensor[] = [];
  const cw = classWeightTensor(options.classWeight);
  let logs: Record<string, number> | null = null;
  try {
    const stepLogs = trainStep(model, state, toBatch(x, y, options.sampleWeight, owned), { variables: null, classWeights: cw });
    if (!builtInSteps.has(model.trainStep)) logs = logsToNumbers(stepLogs);
  } finally {
    for (const t of owned) t.dispose();
    cw?.dispose();
  }
  const out = results(model, options.returnDict, logs);
  const loss = typeof out === 'number' ? out : Array.isArray(out) ? out[0]! : out.loss!;
  if (loss !== undefined && !Number.isFinite(loss)) throw new NonFiniteLossError(`The loss became ${loss} in trainOnBatch. Lower the learning rate or check the batch for NaN/Inf values.`);
  return out;
}

export function testOnBatch(model: Model, x: XData, y: YData | undefined, options: OnBatchOptions = {}): number | number[] | Record<string, number> {
  const state = requireCompiled(model, 'testOnBatch');
  const logs = scope(() => {
    const owned: Tensor[] = [];
    const stepLogs = testStep(model, state, toBatch(x, y, options.sampleWeight, owned), { variables: null, classWeights: null });
    return builtInSteps.has(model.testStep) ? null : logsToNumbers(stepLogs);
  });
  return results(model, options.returnDict, logs);
}

/** The outputs for one batch (ordinary tensors: valid while you hold them, no dispose needed). */
export function predictOnBatch(model: Model, x: XData): Tensor | Tensor[] {
  const outs = scope(() => noGrad(() => predictStep(model, toBatch(x, undefined, null, []).x)));
  return outs.length === 1 ? outs[0]! : outs;
}
