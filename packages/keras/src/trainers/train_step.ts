/**
 * One step of training, evaluation or prediction (Keras 3's `train_step`,
 * `test_step`, `predict_step`). The train step is the nn seed loop's:
 * forward (fused kernels), loss (one SparseSoftmaxCrossEntropyWithLogits
 * for sparse crossentropy), `backward()` (which is the step boundary that
 * releases the previous step's tensors), one optimizer kernel per weight.
 * Metrics are updated on the device, without a sync.
 */
import { Tensor, noGrad, tensor } from '@duet/core';
import { KerasValueError, NotReadyError } from '../errors.js';
import type { Variable } from '../layers/variable.js';
import type { Model } from '../models/model.js';
import type { CompileState } from './compile.js';
import type { Batch } from './data_adapters/data_adapter.js';
import { alignTargets, flattenOutputs, outputNamesOf } from './structure.js';

/** What a fit keeps between steps. */
export interface StepContext {
  /** The weights the optimizer updates (known after the first forward). */
  variables: Variable[] | null;
  /** `classWeight` as a [numClasses] tensor, or null. */
  classWeights: Tensor | null;
}

export function requireCompiled(model: Model, what: string): CompileState {
  if (model.compiled === null) throw new NotReadyError(`You must call \`compile()\` before using the model (in \`${what}\`).`);
  return model.compiled;
}

/** Freeze what is not trainable (requiresGrad false) and return the trainable weights. */
export function trainableVariables(model: Model): Variable[] {
  const trainable = model.trainableWeights;
  const set = new Set(trainable);
  for (const w of model.weights) if (w.requiresGrad !== set.has(w)) w.requiresGrad_(set.has(w));
  return trainable;
}

/** Class weights `{ 0: 1, 1: 5 }` as a `[maxClass + 1]` tensor (kept; missing classes weigh 1). */
export function classWeightTensor(classWeight: Record<number, number> | null | undefined): Tensor | null {
  if (classWeight === null || classWeight === undefined) return null;
  const keys = Object.keys(classWeight).map(Number);
  if (keys.length === 0 || keys.some((k) => !Number.isInteger(k) || k < 0)) {
    throw new KerasValueError(`\`class_weight\` must be an object mapping class indices (integers >= 0) to weights. Received: class_weight=${JSON.stringify(classWeight)}`);
  }
  const w = new Float32Array(Math.max(...keys) + 1).fill(1);
  for (const k of keys) w[k] = classWeight[k]!;
  return tensor(w).keep();
}

function batchSizeOf(x: Batch['x']): number {
  const t = x instanceof Tensor ? x : Array.isArray(x) ? x[0] : Object.values(x)[0];
  return t?.shape[0] ?? 1;
}

/** Sample weights for the batch from `classWeight` (by each target's class), times the given ones. */
function sampleWeights(ys: (Tensor | null)[], given: Tensor | null, ctx: StepContext): Tensor | null {
  if (ctx.classWeights === null) return given;
  const y = ys[0];
  if (y === null || y === undefined) return given;
  const cls = y.ndim >= 2 && y.shape[y.ndim - 1]! > 1 ? y.argmax(-1) : y.reshape([-1]).int();
  const w = ctx.classWeights.indexSelect(0, cls.reshape([-1]));
  return given === null ? w : w.mul(given.float());
}

/** Forward + loss (with the layers' regularization losses). */
function forwardLoss(model: Model, state: CompileState, batch: Batch, ctx: StepContext, training: boolean) {
  if (state.loss === null) throw new KerasValueError('No loss to compute. Provide a `loss` argument in `compile()`.');
  const preds = flattenOutputs(model.apply(batch.x as Tensor, { training }));
  const names = outputNamesOf(model, preds.length);
  if (batch.y === null) throw new KerasValueError('Training and evaluation need targets: pass `y` (or batches of [x, y]).');
  const ys = alignTargets(batch.y, names);
  state.loss.build(names);
  const sw = sampleWeights(ys, batch.sampleWeight, ctx);
  const { total, perOutput } = state.loss.call(ys, preds, sw);
  let loss = total;
  for (const extra of model.losses) loss = loss.add(extra);
  return { preds, ys, names, sw, loss, perOutput };
}

function updateTrackers(state: CompileState, r: ReturnType<typeof forwardLoss>, batch: Batch): void {
  noGrad(() => {
    const bs = batchSizeOf(batch.x);
    state.lossTracker.update(r.loss, null, bs);
    state.loss!.trackers.forEach(([name, m]) => {
      const i = r.names.findIndex((n) => `${n}_loss` === name);
      const v = r.perOutput[i];
      if (v !== null && v !== undefined) m.update(v, null, bs);
    });
    state.buildMetrics(r.ys, r.preds, r.names);
    // `metrics` are unweighted in Keras (sample and class weights apply to the loss); `weightedMetrics` are weighted.
    state.updateMetrics(r.ys, r.preds, r.sw);
  });
}

/** One training step; returns the loss tensor (not synced). */
export function trainStep(model: Model, state: CompileState, batch: Batch, ctx: StepContext): Tensor {
  const r = forwardLoss(model, state, batch, ctx, true);
  const first = ctx.variables === null;
  const vars = (ctx.variables ??= trainableVariables(model));
  r.loss.backward();
  // Weights built during this first forward still required grad: drop the grads of frozen ones.
  if (first) for (const w of model.weights) if (!w.requiresGrad && w.grad !== null) w.grad = null;
  const grads: Tensor[] = [];
  const withGrad: Variable[] = [];
  for (const v of vars) {
    if (v.grad === null) continue;
    grads.push(v.grad);
    withGrad.push(v);
  }
  state.optimizer.apply(grads, withGrad);
  for (const v of withGrad) v.grad = null;
  updateTrackers(state, r, batch);
  return r.loss;
}

/** One evaluation step (no gradients). */
export function testStep(model: Model, state: CompileState, batch: Batch, ctx: StepContext): Tensor {
  return noGrad(() => {
    const r = forwardLoss(model, state, batch, ctx, false);
    updateTrackers(state, r, batch);
    return r.loss;
  });
}

/** One prediction step: the outputs, flat. */
export function predictStep(model: Model, x: Batch['x']): Tensor[] {
  return noGrad(() => flattenOutputs(model.apply(x as Tensor, { training: false })));
}
