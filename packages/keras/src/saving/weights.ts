/**
 * Where each variable lives in Keras 3's weights file (saving_lib's
 * `_save_state` walk) and how it is written and read:
 *
 * - a model's layers go under `layers/<name>`, where `<name>` is the
 *   layer's class name in snake_case, numbered in order when repeated
 *   (`dense`, `dense_1`: NOT the layer's own name); a nested model recurses;
 * - a layer's own variables are `vars/0..`, trainable first, in creation order;
 * - the optimizer is `optimizer/vars`: `0` iterations (int64), `1` the
 *   learning rate (when it is a number), then its slots in Keras's order
 *   (slots made together are interleaved per variable: Adam's momentum and
 *   velocity of the kernel, then of the bias, ...).
 */
import { Tensor, noGrad, tensor } from '@duet/core';
import { Layer } from '../layers/layer.js';
import type { Variable } from '../layers/variable.js';
import { Model } from '../models/model.js';
import { MultiHeadAttention } from '../layers/attention/multi_head_attention.js';
import { Bidirectional } from '../layers/rnn/bidirectional.js';
import { Recurrent } from '../layers/rnn/recurrent.js';
import { TimeDistributed } from '../layers/rnn/time_distributed.js';
import { Sequential } from '../models/sequential.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { registeredNameOf } from '../registry.js';
import { SavingError } from './errors.js';
import { kerasLayerOrder } from './keras_order.js';
import type { H5Reader, H5Value } from './h5_store.js';

/** Keras's `naming.to_snake_case` of a class name (`InputLayer` -> `input_layer`, `Conv2D` -> `conv2d`). */
export function kerasSnakeCase(name: string): string {
  return name.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

function kerasClassName(l: Layer): string {
  if (l instanceof Sequential) return 'Sequential';
  if (l instanceof Model) return l.isFunctional ? 'Functional' : l.constructor.name;
  try {
    return registeredNameOf('layer', l);
  } catch {
    return l.constructor.name;
  }
}

/** The layers Keras saves under `layers/`: a Sequential's without its InputLayer; a functional model's with them, in Keras's order. */
function savedLayers(model: Model): Layer[] {
  return model.isFunctional && !(model instanceof Sequential) ? kerasLayerOrder(model) : model.layers;
}

/** A layer's own variables (not its sublayers'), trainable first. */
function ownVariables(layer: Layer): Variable[] {
  const nested = new Set(layer.flattenLayers().flatMap((l) => l.weights));
  return layer.weights.filter((w) => !nested.has(w));
}

/** One group of Keras's weights file: its path and the variables under `<path>/vars`. */
export interface Saveable {
  path: string;
  layer: Layer;
  vars: Variable[];
}

/**
 * The groups Keras's `_save_state` writes for `layer` at `path`: the layer's
 * own variables, then its tracked sublayers by attribute name. Where Keras
 * keeps a sublayer that Duet folds into the layer, the variables move to the
 * sublayer's group: an RNN's weights are its `cell`'s, MultiHeadAttention's
 * are in `query_dense`, `key_dense`, `value_dense`, `output_dense` (with its
 * weightless `_softmax` and `_dropout_layer`), Bidirectional's in
 * `forward_layer` / `backward_layer`, TimeDistributed's in `layer`.
 */
function saveablesOf(layer: Layer, path: string): Saveable[] {
  const at = (sub: string) => (path === '' ? sub : `${path}/${sub}`);
  if (layer instanceof Recurrent) return [{ path, layer, vars: [] }, { path: at('cell'), layer, vars: ownVariables(layer) }];
  if (layer instanceof Bidirectional) {
    return [{ path, layer, vars: [] }, ...saveablesOf(layer.backwardLayer, at('backward_layer')), ...saveablesOf(layer.forwardLayer, at('forward_layer'))];
  }
  if (layer instanceof TimeDistributed) return [{ path, layer, vars: [] }, ...saveablesOf(layer.layer, at('layer'))];
  if (layer instanceof MultiHeadAttention) {
    const own = ownVariables(layer);
    const part = (prefix: string) => own.filter((v) => v.name.startsWith(`${prefix}/`));
    return [
      { path, layer, vars: [] },
      { path: at('_dropout_layer'), layer, vars: [] },
      { path: at('_softmax'), layer, vars: [] },
      { path: at('key_dense'), layer, vars: part('key') },
      { path: at('output_dense'), layer, vars: part('attention_output') },
      { path: at('query_dense'), layer, vars: part('query') },
      { path: at('value_dense'), layer, vars: part('value') },
    ];
  }
  return [{ path, layer, vars: ownVariables(layer) }];
}

/** Every group of `model`'s weights file with its variables, depth first, as Keras walks them. */
export function walkLayers(model: Model): Saveable[] {
  const out: Saveable[] = [{ path: '', layer: model, vars: ownVariables(model) }];
  const visit = (m: Model, prefix: string) => {
    const used = new Map<string, number>();
    for (const l of savedLayers(m)) {
      let name = kerasSnakeCase(kerasClassName(l));
      const n = used.get(name);
      if (n === undefined) used.set(name, 0);
      else {
        used.set(name, n + 1);
        name = `${name}_${n + 1}`;
      }
      const path = `${prefix}layers/${name}`;
      if (l instanceof Model) {
        out.push({ path, layer: l, vars: ownVariables(l) });
        visit(l, `${path}/`);
      } else out.push(...saveablesOf(l, path));
    }
  };
  visit(model, '');
  return out;
}

/** Keras's slot groups per optimizer class; names in one group are interleaved per variable. */
function slotGroups(opt: Optimizer): string[][] {
  const o = opt as unknown as Record<string, unknown>;
  switch (opt.constructor.name) {
    case 'SGD':
      return o.momentum !== 0 ? [['momentum']] : [];
    case 'Adam':
    case 'AdamW':
      return o.amsgrad ? [['momentum', 'velocity'], ['velocityHat']] : [['momentum', 'velocity']];
    case 'Nadam':
      return [['momentum', 'velocity']];
    case 'RMSprop':
      return [['velocity'], ...(o.momentum !== 0 ? [['momentum']] : []), ...(o.centered ? [['averageGradient']] : [])];
    case 'Adagrad':
      return [['accumulator']];
    default:
      throw new SavingError('ERR_KERAS_WEIGHTS_MISMATCH', `Saving the state of optimizer ${opt.constructor.name} is not supported (known: SGD, Adam, AdamW, Nadam, RMSprop, Adagrad).`);
  }
}

/** The optimizer's slot tensor `name` of `v` (its protected `slots()`, read here so the optimizer's file stays as it is). */
export function slot(opt: Optimizer, name: string, v: Variable): Tensor {
  return (opt as unknown as { slots(n: string, vs: Variable[]): Tensor[] }).slots(name, [v])[0]!;
}

/** The optimizer's variables in Keras's order, as host values. */
function optimizerValues(opt: Optimizer, variables: Variable[]): H5Value[] {
  const out: H5Value[] = [{ shape: [], data: BigInt64Array.of(BigInt(opt.iterations)) }];
  if (opt.schedule === null) out.push({ shape: [], data: Float32Array.of(opt.learningRate) });
  if (!opt.built) return out;
  for (const group of slotGroups(opt)) {
    for (const v of variables) for (const name of group) out.push(hostValue(slot(opt, name, v)));
  }
  if (opt.constructor.name === 'Nadam') out.push({ shape: [], data: Float32Array.of((opt as unknown as { uProduct: number }).uProduct) });
  return out;
}

function hostValue(t: Tensor): H5Value {
  const data = t.dataSync();
  return { shape: [...t.shape], data: data instanceof Float32Array ? data.slice() : Float32Array.from(data as ArrayLike<number>) };
}

/** Everything `model.weights.h5` holds for `model` (and its optimizer, when `withOptimizer`). */
export function collectWeights(model: Model, withOptimizer: boolean): Map<string, H5Value[]> {
  const out = new Map<string, H5Value[]>();
  for (const { path, vars } of walkLayers(model)) out.set(path, vars.map(hostValue));
  const opt = model.optimizer;
  if (withOptimizer && opt !== null) out.set('optimizer', optimizerValues(opt, model.trainableWeights));
  return out;
}

/**
 * Set the model's variables (and optimizer state, when the file has it and
 * `withOptimizer`) from a weights file. Every shape is checked before any
 * value is written, so a mismatched file leaves the model unchanged.
 */
export function assignWeights(model: Model, store: H5Reader, withOptimizer: boolean): { optimizerLoaded: boolean } {
  const plan: [Variable | Tensor, Float32Array][] = [];
  const reads: (() => void)[] = [];
  for (const { path, layer, vars } of walkLayers(model)) {
    const ds = store.vars(path);
    if (ds === null) {
      if (vars.length === 0) continue;
      throw new SavingError('ERR_KERAS_WEIGHTS_MISMATCH', `${store.where}: no weights for layer '${layer.name}' (expected group '${path}/vars' with ${vars.length} variable(s)). Was the file saved from a model with the same layers?`);
    }
    if (ds.length !== vars.length) {
      throw new SavingError('ERR_KERAS_WEIGHTS_MISMATCH', `${store.where}: layer '${layer.name}' expects ${vars.length} variables, but the file has ${ds.length} under '${path}/vars'.`);
    }
    vars.forEach((v, i) => {
      const d = ds[i]!;
      if (d.shape.length !== v.shape.length || d.shape.some((s, j) => s !== v.shape[j])) {
        throw new SavingError('ERR_KERAS_WEIGHTS_MISMATCH', `${store.where}: variable ${v.path} has shape ${JSON.stringify(v.shape)}, but '${d.path}' has shape ${JSON.stringify(d.shape)}.`);
      }
      reads.push(() => plan.push([v, store.readFloat(d)]));
    });
  }
  let optimizerLoaded = false;
  const opt = model.optimizer;
  const od = withOptimizer && opt !== null ? store.vars('optimizer') : null;
  let after: (() => void) | null = null;
  // Unbuilt, an optimizer has `iterations` (and the rate, when it is a number); built, its slots follow.
  const base = opt === null ? 0 : opt.schedule === null ? 2 : 1;
  if (opt !== null && od !== null && od.length === base && !opt.built) {
    const iterations = store.readScalar(od[0]!);
    const lr = base === 2 ? store.readScalar(od[1]!) : null;
    after = () => {
      opt.iterations = iterations;
      if (lr !== null) opt.learningRate = lr;
    };
    optimizerLoaded = true;
  } else if (opt !== null && od !== null && od.length === base) {
    process.emitWarning(`${store.where}: the saved optimizer has no state (it had not trained); optimizer '${opt.name}' keeps its own.`);
  } else if (opt !== null && od !== null && od.length > base) {
    const variables = model.trainableWeights;
    if (!opt.built) opt.build(variables);
    const expected = optimizerValues(opt, variables);
    if (expected.length !== od.length || expected.some((e, i) => e.shape.length !== od[i]!.shape.length || e.shape.some((s, j) => s !== od[i]!.shape[j]))) {
      throw new SavingError('ERR_KERAS_WEIGHTS_MISMATCH', `${store.where}: optimizer '${opt.name}' has ${expected.length} variables, but the saved optimizer has ${od.length} (or their shapes differ): was it saved with the same optimizer and options?`);
    }
    let k = 0;
    const iterations = store.readScalar(od[k++]!);
    const lr = opt.schedule === null ? store.readScalar(od[k++]!) : null;
    for (const group of slotGroups(opt)) for (const v of variables) for (const name of group) {
      const d = od[k++]!;
      reads.push(() => plan.push([slot(opt, name, v), store.readFloat(d)]));
    }
    const uProduct = opt.constructor.name === 'Nadam' ? store.readScalar(od[k++]!) : null;
    after = () => {
      opt.iterations = iterations;
      if (lr !== null) opt.learningRate = lr;
      if (uProduct !== null) (opt as unknown as { uProduct: number }).uProduct = uProduct;
    };
    optimizerLoaded = true;
  }
  for (const r of reads) r();
  noGrad(() => {
    for (const [target, data] of plan) {
      const t = tensor(data, { shape: [...target.shape] });
      target.copy_(t);
      t.dispose();
    }
  });
  after?.();
  return { optimizerLoaded };
}

