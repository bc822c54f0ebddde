/**
 * One step of training, evaluation or prediction (Keras 3's `train_step`,
 * `test_step`, `predict_step`). The train step is the nn seed loop's:
 * forward (fused kernels), loss (one SparseSoftmaxCrossEntropyWithLogits
 * for sparse crossentropy), `backward()` (which is the step boundary that
 * releases the previous step's tensors), one optimizer kernel per weight.
 * Metrics are updated on the device, without a sync.
 */
import { Tensor, libraryCall, markStep, noGrad, tensor } from '@duet/core';
import { KerasValueError, NotReadyError } from '../errors.js';
import type { Variable } from '../layers/variable.js';
import type { Model } from '../models/model.js';
import type { CompileState } from './compile.js';
import type { Batch } from './data_adapters/data_adapter.js';
import { alignTargets, flattenOutputs, outputNamesOf } from './structure.js';

/** The library's own `trainStep` / `testStep` (a model whose method is not in here overrides it). */
export const builtInSteps = new WeakSet<(...args: any[]) => unknown>();

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

/**
 * What `trainStep(data)` and `testStep(data)` receive: `[x]`, `[x, y]` or
 * `[x, y, sampleWeight]` (Keras's `data` tuple; `classWeight` already turned
 * into sample weights). `x` and `y` are as given to `fit`: a Tensor, or an
 * array / object of Tensors for several inputs or outputs (type them with
 * `StepData<Tensor[]>`).
 */
export type StepData<X = Tensor, Y = Tensor> = [x: X, y: Y, sampleWeight?: Tensor];

/** What a step returns: metric name -> value (numbers or 0-d Tensors). */
export type StepLogs = Record<string, number | Tensor>;

/** The batch as the `data` a step receives (Keras's `pack_x_y_sample_weight`), class weights applied. */
export function batchToData(batch: Batch, ctx: StepContext): StepData<any, any> {
  if (batch.y === null) return [batch.x] as unknown as StepData<any, any>;
  // Keras applies `class_weight` to single-output models: the first target gives each sample's class.
  const first = batch.y instanceof Tensor ? batch.y : Array.isArray(batch.y) ? batch.y[0] ?? null : Object.values(batch.y)[0] ?? null;
  const sw = ctx.classWeights === null ? batch.sampleWeight : sampleWeights([first], batch.sampleWeight, ctx);
  return sw === null ? [batch.x, batch.y] : [batch.x, batch.y, sw];
}

/** Keras's `unpack_x_y_sample_weight(data)`: `[x, y, sampleWeight]` with null for what is missing. */
export function unpackXYSampleWeight(data: unknown): [x: unknown, y: unknown, sampleWeight: Tensor | null] {
  if (!Array.isArray(data)) return [data, null, null];
  if (data.length < 1 || data.length > 3) throw new KerasValueError(`Data is expected to be in format \`x\`, \`[x]\`, \`[x, y]\`, or \`[x, y, sampleWeight]\`. Received an array of ${data.length} entries.`);
  return [data[0], data[1] ?? null, (data[2] as Tensor | undefined) ?? null];
}

/** Keras's `compute_loss(x, y, y_pred, sample_weight, training)` arguments (`x` and `training` are accepted, as Keras's default ignores them). */
export interface ComputeLossArgs {
  x?: unknown;
  /** The targets (as given to `fit`); needed when a loss was compiled. */
  y?: unknown;
  /** The model's outputs. */
  yPred: unknown;
  sampleWeight?: Tensor | null;
  training?: boolean;
}

/** The compiled loss of each output (null without a compiled loss) and their weighted total. */
function compiledLoss(model: Model, state: CompileState, y: unknown, preds: Tensor[], names: string[], sw: Tensor | null): { total: Tensor | null; perOutput: (Tensor | null)[] } {
  if (state.loss === null) return { total: null, perOutput: [] };
  if (y === null || y === undefined) throw new KerasValueError(`The model "${model.name}" was compiled with a loss, which needs targets: pass \`y\` (or batches of [x, y]).`);
  state.loss.build(names);
  return state.loss.call(alignTargets(y, names), preds, sw);
}

/** The compiled loss plus the losses the layers added (`addLoss`, regularizers); Keras's `compute_loss`. */
function totalLoss(model: Model, compiled: Tensor | null): Tensor {
  let loss = compiled;
  for (const extra of model.losses) loss = loss === null ? extra : loss.add(extra);
  if (loss === null) throw new KerasValueError('No loss to compute. Provide a `loss` argument in `compile()`, or add losses in `call()` with `this.addLoss()`.');
  return loss;
}

/** `model.computeLoss({ y, yPred, sampleWeight })`: Keras 3's `compute_loss`. */
export function computeLoss(model: Model, args: ComputeLossArgs): Tensor {
  const state = requireCompiled(model, 'computeLoss');
  const preds = flattenOutputs(args.yPred);
  const names = outputNamesOf(model, preds.length);
  return totalLoss(model, compiledLoss(model, state, args.y, preds, names, args.sampleWeight ?? null).total);
}

/** Forward + loss (with the layers' losses). */
function forwardLoss(model: Model, state: CompileState, data: StepData<any, any>, training: boolean) {
  const [x, y, sampleWeight] = unpackXYSampleWeight(data);
  const preds = flattenOutputs(model.apply(x as Tensor, { training }));
  const names = outputNamesOf(model, preds.length);
  const { total, perOutput } = compiledLoss(model, state, y, preds, names, sampleWeight);
  const ys = y === null ? names.map(() => null) : state.loss === null ? safeAlign(y, names) : alignTargets(y, names);
  return { preds, ys, names, sw: sampleWeight, loss: totalLoss(model, total), perOutput, batchSize: batchSizeOf(x as Batch['x']) };
}

/** Targets for the metrics when no loss checked them (a model trained by `addLoss` alone may get unrelated `y`). */
function safeAlign(y: unknown, names: string[]): (Tensor | null)[] {
  try {
    return alignTargets(y, names);
  } catch {
    return names.map(() => null);
  }
}

function updateTrackers(state: CompileState, r: ReturnType<typeof forwardLoss>): void {
  noGrad(() => {
    const bs = r.batchSize;
    state.lossTracker.update(r.loss, null, bs);
    state.loss?.trackers.forEach(([name, m]) => {
      const i = r.names.findIndex((n) => `${n}_loss` === name);
      const v = r.perOutput[i];
      if (v !== null && v !== undefined) m.update(v, null, bs);
    });
    state.buildMetrics(r.ys, r.preds, r.names);
    // `metrics` are unweighted in Keras (sample and class weights apply to the loss); `weightedMetrics` are weighted.
    state.updateMetrics(r.ys, r.preds, r.sw);
  });
}

/**
 * Keras's default `train_step(data)`; returns the running logs (read from
 * the device only when a key is read). It is one library call (core's
 * memory rules): what the step makes and does not keep (outputs, loss,
 * gradients, metric temporaries) is freed when it returns, as the nn seed
 * loop's are, instead of being copied to JavaScript memory two steps later.
 */
export function defaultTrainStep(model: Model, state: CompileState, data: StepData<any, any>): StepLogs {
  libraryCall(model, 'trainStep', () => trainStepInner(model, state, data));
  return state.lazyLogs();
}

function trainStepInner(model: Model, state: CompileState, data: StepData<any, any>): void {
  const ctx = state.stepContext;
  const r = forwardLoss(model, state, data, true);
  const first = ctx.variables === null;
  const vars = (ctx.variables ??= trainableVariables(model));
  // A model without trainable weights (a layer that only adds a loss) still trains, as in Keras: no update.
  if (r.loss.requiresGrad) r.loss.backward();
  else markStep();
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
  updateTrackers(state, r);
}

/** Keras's default `test_step(data)` (no gradients). */
export function defaultTestStep(model: Model, state: CompileState, data: StepData<any, any>): StepLogs {
  libraryCall(model, 'testStep', () => noGrad(() => updateTrackers(state, forwardLoss(model, state, data, false))));
  return state.lazyLogs();
}

/** One training step through `model.trainStep` (the default one, or the user's override). */
export function trainStep(model: Model, state: CompileState, batch: Batch, ctx: StepContext): StepLogs {
  state.stepContext = ctx;
  return model.trainStep(batchToData(batch, ctx));
}

/** One evaluation step through `model.testStep`. */
export function testStep(model: Model, state: CompileState, batch: Batch, ctx: StepContext): StepLogs {
  state.stepContext = ctx;
  return model.testStep(batchToData(batch, ctx));
}

/** Logs as numbers: a step's returned Tensors read once. */
export function logsToNumbers(logs: StepLogs): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) out[k] = v instanceof Tensor ? (v.item() as number) : v;
  return out;
}

/** One prediction step: the outputs, flat. */
export function predictStep(model: Model, x: Batch['x']): Tensor[] {
  return noGrad(() => flattenOutputs(model.apply(x as Tensor, { training: false })));
}
