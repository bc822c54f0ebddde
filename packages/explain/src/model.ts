/**
 * What an attribution method explains: any callable model, input tensor ->
 * output tensor. An `nn.Module` (its `forward`), a Keras layer or model (its
 * `apply`), or a plain function. For modules and Keras models the weights'
 * `requiresGrad` is switched off while an attribution runs, so only the
 * input gets a gradient (Captum uses `torch.autograd.grad` on the inputs
 * and leaves the parameters' `.grad` alone; this has the same effect).
 */
import { Tensor, noGrad, scope, tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';
import { AttributionError } from './errors.js';

export type ForwardFunc = (x: Tensor) => Tensor;
/** An nn Module, a Keras layer/model, or a function from input to output. */
export type AttributionModel = nn.Module | keras.Layer | ForwardFunc;

/** Class index for every example (one number), or one per example (numbers or an int Tensor of shape [batch]). */
export type Target = number | readonly number[] | Tensor | undefined;

export interface ResolvedModel {
  forward: ForwardFunc;
  /** The weights whose gradients attribution switches off (read at each call: Keras and lazy layers build their weights on the first call). */
  weights: () => Tensor[];
}

export function resolveModel(model: AttributionModel, who: string): ResolvedModel {
  if (model instanceof keras.Layer) {
    const layer = model;
    return { forward: (x) => asTensor(layer.apply(x), who), weights: () => [...layer.weights] };
  }
  if (model instanceof nn.Module) {
    const m = model as nn.Module & { forward(x: Tensor): unknown };
    return { forward: (x) => asTensor(m.forward(x), who), weights: () => [...m.parameters()] };
  }
  if (typeof model === 'function') return { forward: (x) => asTensor(model(x), who), weights: () => [] };
  throw new AttributionError(`${who}: expected a model (an nn.Module, a Keras layer or model, or a function from a Tensor to a Tensor); received ${describe(model)}.`);
}

function asTensor(v: unknown, who: string): Tensor {
  if (v instanceof Tensor) return v;
  throw new AttributionError(`${who}: the model must return one Tensor (the outputs per example); it returned ${describe(v)}.`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'Object'}`;
  return typeof v;
}

/**
 * Run `fn` with the weights' gradients switched off; restored afterwards
 * (also on error). Weights made during `fn` (a Keras model or lazy layer
 * built by this first call) could not be switched off in advance: the
 * gradients they got are dropped afterwards, so no weight keeps a `.grad`
 * from an attribution.
 */
export function withFrozen<T>(model: ResolvedModel, fn: () => T): T {
  const existing = new Set(model.weights());
  const frozen = [...existing].filter((w) => w.requiresGrad);
  for (const w of frozen) w.requiresGrad_(false);
  try {
    return fn();
  } finally {
    for (const w of frozen) w.requiresGrad_(true);
    for (const w of model.weights()) {
      if (existing.has(w) || w.grad === null) continue;
      w.grad.dispose();
      w.grad = null;
    }
  }
}

/**
 * Target indices as one integer per example, checked against the output's
 * shape ([batch, classes], or [batch] / [batch, 1] with no target).
 */
export function targetIndices(target: Target, outShape: readonly number[], batch: number, who: string): number[] | null {
  if (outShape[0] !== batch) {
    throw new AttributionError(`${who}: the model's output must have one row per example: expected a first dim of ${batch}, received output shape [${outShape.join(', ')}].`);
  }
  if (target === undefined) {
    if (outShape.length === 1 || (outShape.length === 2 && outShape[1] === 1)) return null;
    throw new AttributionError(`${who}: the model has ${outShape.slice(1).join('x')} outputs per example, so a target is required: a class index in [0, ${(outShape[1] ?? 1) - 1}] (one for all examples, or one per example).`);
  }
  if (outShape.length !== 2) {
    throw new AttributionError(`${who}: a target selects a column of a [batch, classes] output; received output shape [${outShape.join(', ')}].`);
  }
  const classes = outShape[1]!;
  let list: number[];
  if (typeof target === 'number') list = new Array<number>(batch).fill(target);
  else if (target instanceof Tensor) list = Array.from(target.dataSync(), Number);
  else list = [...target];
  if (list.length !== batch) {
    throw new AttributionError(`${who}: expected one target per example (${batch}) or a single number; received ${list.length} targets.`);
  }
  for (const [i, t] of list.entries()) {
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new AttributionError(`${who}: target out of range: expected an integer class index in [0, ${classes - 1}] (the model has ${classes} outputs), received ${t} for example ${i}.`);
    }
  }
  return list;
}

/** out[i, target[i]] per example: a [batch] tensor (a one-hot product, so its gradient is exact). */
export function selectTarget(out: Tensor, indices: number[] | null): Tensor {
  if (indices === null) return out.reshape([out.shape[0]!]);
  const classes = out.shape[1]!;
  const hot = new Float32Array(indices.length * classes);
  indices.forEach((t, i) => (hot[i * classes + t] = 1));
  return out.mul(tensor(hot, { shape: [indices.length, classes] })).sum(1);
}

/** Repeat target indices `times` (for a batch of `times` stacked copies of the inputs). */
export function repeatTargets(indices: number[] | null, times: number): number[] | null {
  if (indices === null) return null;
  const out: number[] = [];
  for (let k = 0; k < times; k++) out.push(...indices);
  return out;
}

/** f(x)[target] per example, without recording gradients. */
export function evalTarget(forward: ForwardFunc, x: Tensor, indices: number[] | null): Tensor {
  return noGrad(() => selectTarget(forward(x), indices));
}

/** Check that `x` is a float tensor with a batch dim. */
export function checkInputs(x: unknown, who: string): Tensor {
  if (!(x instanceof Tensor)) throw new AttributionError(`${who}: expected inputs as a Tensor of shape [batch, ...]; received ${describe(x)}.`);
  const t: Tensor = x;
  if (t.ndim < 1) throw new AttributionError(`${who}: expected inputs with a batch dim, shape [batch, ...]; received a scalar.`);
  if (t.dtype !== 'float32') throw new AttributionError(`${who}: expected float32 inputs; received dtype ${t.dtype}.`);
  return t;
}

/** The model's output shape for `x` (one forward pass, no graph, nothing left behind). */
export function outputShape(forward: ForwardFunc, x: Tensor): number[] {
  return scope(() => [...noGrad(() => forward(x)).shape]);
}
