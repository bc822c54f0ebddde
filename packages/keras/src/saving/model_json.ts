/**
 * A model as Keras 3's `config.json` and back: `Sequential`, functional
 * models (`Functional`: layers with their `inbound_nodes`, `input_layers`,
 * `output_layers`), any registered layer, nested models, and the compile
 * config. Functional graphs are rebuilt by replaying the nodes in order, as
 * Keras's `functional_from_config` does.
 */
import { noGrad, scope, zeros } from '@duet/core';
import { graphHistory, isKerasTensor, mapLeaves, replayCalls, type SavedLayer, type TensorRef } from '../graph/graph_config.js';
import type { KerasTensor } from '../graph/keras_tensor.js';
import type { Node } from '../graph/node.js';
import { InputLayer } from '../layers/core/input_layer.js';
import { Layer } from '../layers/layer.js';
import { MultiHeadAttention } from '../layers/attention/multi_head_attention.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { getRegisteredClass, registeredNameOf, serialize, type Serialized } from '../registry.js';
import type { CompileOptions } from '../trainers/compile.js';
import { Loss } from '../losses/loss.js';
import { Metric } from '../metrics/metric.js';
import { SavingError, UnknownClassError } from './errors.js';
import { kerasLayerOrder } from './keras_order.js';
import { configFromKeras, configToKeras, isJsonObject, objectToKeras, valueFromKeras, type Json, type JsonObject } from './keras_json.js';

// ------------------------------------------------------------------ saving

/** The name `serializeActivation` gives tfjs's hard_sigmoid (saving/tfjs.ts's `hardSigmoidKeras2`). */
const KERAS2_HARD_SIGMOID = 'hardSigmoidKeras2';

/** Keras's JSON for `layer` (a model, or any registered layer), with its `build_config`. */
export function layerToJson(layer: Layer): JsonObject {
  if (layer instanceof Sequential) return sequentialToJson(layer);
  if (layer instanceof Model && layer.isFunctional) return functionalToJson(layer);
  const className = registeredNameOf('layer', layer);
  if ((getRegisteredClass('layer', className) as unknown) !== layer.constructor) {
    // Saving it under its parent's name would load a different class (a plain Dense, a Model without `call`).
    throw new SavingError('ERR_KERAS_UNKNOWN_CLASS', `Cannot save layer '${layer.name}': its class ${layer.constructor.name} is not registered (only its parent class ${className} is), so it could not be loaded back. Register it: \`keras.registerSerializable('layer', ${layer.constructor.name})\` (with \`getConfig()\` and \`static fromConfig(config)\`).`);
  }
  const out: JsonObject = { module: layer instanceof Model ? null : 'keras.layers', class_name: className, config: configToKeras(layer.getConfig()), registered_name: null };
  for (const key of ['activation', 'recurrent_activation']) {
    if ((out.config as JsonObject)[key] === KERAS2_HARD_SIGMOID) {
      throw new SavingError('ERR_KERAS_CONFIG', `Cannot save layer '${layer.name}' as .keras: its ${key} is Keras 2's and tfjs's hard_sigmoid, clip(0.2 x + 0.5, 0, 1) (from a tfjs model.json), which Keras 3 does not have (Keras 3's hard_sigmoid is relu6(x + 3) / 6, another function). Its weights save with saveWeights().`);
    }
  }
  if (!(layer instanceof InputLayer) && layer.buildInputShape !== null) out.build_config = buildConfigOf(layer);
  return out;
}

/**
 * Keras's `get_build_config`: `{input_shape}`, except for layers whose
 * `build` takes one shape per positional input (MultiHeadAttention's
 * `build(query_shape, value_shape, key_shape=None)`): `{shapes_dict}`.
 */
function buildConfigOf(layer: Layer): JsonObject {
  const shape = layer.buildInputShape as Json;
  if (positionalInputs(layer) && Array.isArray(shape) && shape.every(Array.isArray)) {
    const [query, value, key] = shape;
    return { shapes_dict: { query_shape: query!, value_shape: value!, ...(key !== undefined ? { key_shape: key } : {}) } };
  }
  return { input_shape: shape };
}

function sequentialToJson(model: Sequential): JsonObject {
  const input = model.isFunctional ? (model.inputs[0]!.kerasHistory!.layer as InputLayer) : null;
  const layers = [...(input !== null ? [input] : []), ...model.layers].map(layerToJson);
  const out: JsonObject = {
    module: 'keras', class_name: 'Sequential',
    config: { name: model.name, trainable: model.trainable, dtype: 'float32', layers },
    registered_name: null,
  };
  if (input !== null) {
    (out.config as JsonObject).build_input_shape = input.batchShape as Json;
    out.build_config = { input_shape: input.batchShape as Json };
  }
  return out;
}

/** The nodes of a functional model, from its outputs back to its inputs. */
function graphNodes(model: Model): Set<Node> {
  const seen = new Set<Node>();
  const visit = (n: Node) => {
    if (seen.has(n)) return;
    seen.add(n);
    n.parentNodes.forEach(visit);
  };
  for (const t of model.outputs) visit(t.kerasHistory!.node);
  return seen;
}

function functionalToJson(model: Model): JsonObject {
  const g = graphHistory(graphNodes(model));
  const tensorJson = (s: unknown) => mapLeaves(s, isKerasTensor, (t) => ({ class_name: '__keras_tensor__', config: { shape: t.shape as Json, dtype: t.dtype, keras_history: g.history(t) } })) as Json;
  const layers = kerasLayerOrder(model).map((l) => ({
    ...layerToJson(l),
    name: l.name,
    inbound_nodes: g.calls(l).map((n) => ({ args: positionalInputs(l) ? (tensorJson(n.inputs) as Json[]) : [tensorJson(n.inputs)], kwargs: configToKeras(n.callOptions) })),
  }));
  const ends = (ts: KerasTensor[]): Json => (ts.length === 1 ? g.history(ts[0]!) : ts.map(g.history));
  return {
    module: 'keras.src.models.functional', class_name: 'Functional',
    config: { name: model.name, trainable: model.trainable, layers, input_layers: ends(model.inputs), output_layers: ends(model.outputs) },
    registered_name: 'Functional',
    build_config: { input_shape: null },
  };
}

/**
 * Layers whose Keras `call` takes its tensors as separate positional
 * arguments (`mha(query, value)`: a node's `args` is `[query, value]`),
 * where Duet's `apply` takes them as one list (`mha.apply([query, value])`).
 */
function positionalInputs(layer: Layer): boolean {
  return layer instanceof MultiHeadAttention;
}

/** Keras's `compile_config` from a compiled model. */
export function compileConfigToJson(model: Model): JsonObject | null {
  const c = model.compiled;
  if (c === null) return null;
  const obj = (category: 'loss' | 'metric', v: unknown): Json => {
    if (v instanceof Loss || v instanceof Metric) return objectToKeras(category, serialize(category, v as unknown as { getConfig(): Record<string, unknown> }));
    if (Array.isArray(v)) return v.map((x) => obj(category, x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, obj(category, x)]));
    return (v ?? null) as Json;
  };
  return {
    optimizer: objectToKeras('optimizer', serialize('optimizer', c.optimizer)),
    loss: obj('loss', c.loss?.config ?? null),
    loss_weights: (c.loss?.lossWeights ?? null) as Json,
    metrics: obj('metric', c.metrics.config),
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

// ----------------------------------------------------------------- loading

/** The Duet class for a Keras class name (`class_name`, else `registered_name` such as `MyPackage>MyLayer`). */
function layerClass(json: JsonObject, where: string): { fromConfig(c: Record<string, unknown>): unknown } {
  const name = json.class_name as string;
  for (const n of [name, json.registered_name]) {
    if (typeof n !== 'string') continue;
    try {
      return getRegisteredClass('layer', n);
    } catch {
      // try the next spelling
    }
  }
  throw new UnknownClassError('layer', name, where);
}

/** Rewrites a layer's Duet config just before `fromConfig` (tfjs files: Keras 2's `hard_sigmoid`). */
export type ConfigHook = (className: string, config: Record<string, unknown>) => Record<string, unknown>;

/** A layer or model from Keras's JSON. */
export function layerFromJson(json: Json, where: string, hook?: ConfigHook): Layer {
  if (!isJsonObject(json) || typeof json.class_name !== 'string' || (json.config !== undefined && !isJsonObject(json.config))) {
    throw new SavingError('ERR_KERAS_CONFIG', `${where}: expected a serialized layer { class_name, config }, received ${JSON.stringify(json)?.slice(0, 200)}.`);
  }
  const config = (json.config ?? {}) as JsonObject;
  if (json.class_name === 'Sequential') return sequentialFromJson(config, where, hook);
  if (json.class_name === 'Functional' || (json.class_name === 'Model' && Array.isArray(config.layers))) return functionalFromJson(config, where, hook);
  const cls = layerClass(json, where);
  const duetConfig = configFromKeras(config);
  const layer = cls.fromConfig(hook === undefined ? duetConfig : hook(json.class_name, duetConfig));
  if (!(layer instanceof Layer)) throw new SavingError('ERR_KERAS_CONFIG', `${where}: class '${json.class_name}' did not make a layer.`);
  buildFromConfig(layer, json.build_config);
  return layer;
}

function sequentialFromJson(config: JsonObject, where: string, hook?: ConfigHook): Sequential {
  const layersJson = config.layers;
  if (!Array.isArray(layersJson)) throw new SavingError('ERR_KERAS_CONFIG', `${where}: a Sequential config needs a 'layers' list.`);
  const layers: Layer[] = [];
  return releasingOnError(layers, () => {
    layersJson.forEach((l, i) => layers.push(layerFromJson(l, `${where} (layer ${i})`, hook)));
    const model = new Sequential(layers, { name: typeof config.name === 'string' ? config.name : undefined });
    const shape = config.build_input_shape;
    if (!model.isFunctional && Array.isArray(shape)) model.maybeBuild(shape as (number | null)[]);
    return model;
  });
}

/** `make()`, or, if it throws, the variables of the `layers` it made so far released first (a refused file leaves no tensors). */
function releasingOnError<T>(layers: Layer[], make: () => T): T {
  try {
    return make();
  } catch (e) {
    for (const l of layers) for (const w of l.weights) if (!w.isDisposed) w.dispose();
    throw e;
  }
}

/** A `keras_history` `[layerName, nodeIndex, tensorIndex]`, checked. */
function historyOf(h: Json | undefined): TensorRef {
  if (!Array.isArray(h) || h.length < 3 || typeof h[0] !== 'string') throw new SavingError('ERR_KERAS_CONFIG', `Invalid keras_history ${JSON.stringify(h)}.`);
  return [h[0], Number(h[1]), Number(h[2])];
}

const isTensorJson = (v: unknown): v is JsonObject => isJsonObject(v as Json) && (v as JsonObject).class_name === '__keras_tensor__';

function functionalFromJson(config: JsonObject, where: string, hook?: ConfigHook): Model {
  const entries = config.layers;
  if (!Array.isArray(entries)) throw new SavingError('ERR_KERAS_CONFIG', `${where}: a functional config needs a 'layers' list.`);
  const made: Layer[] = [];
  return releasingOnError(made, () => functionalFromEntries(config, entries, where, made, hook));
}

function functionalFromEntries(config: JsonObject, entries: Json[], where: string, made: Layer[], hook?: ConfigHook): Model {
  const saved: SavedLayer<JsonObject>[] = [];
  for (const e of entries) {
    if (!isJsonObject(e)) throw new SavingError('ERR_KERAS_CONFIG', `${where}: a layer entry is not an object.`);
    const layer = layerFromJson(e, `${where} (layer ${JSON.stringify(e.name)})`, hook);
    made.push(layer);
    saved.push({ layer, calls: Array.isArray(e.inbound_nodes) ? (e.inbound_nodes as JsonObject[]) : [] });
  }
  const { tensor, stuck } = replayCalls(saved, (layer, n, tensor) => {
    const args = mapLeaves((n.args ?? []) as Json, isTensorJson, (t) => tensor(historyOf((t.config as JsonObject).keras_history))) as unknown[];
    // Several positional tensors (`mha(query, value)`) are one list for Duet's apply.
    const inputs = args.length > 1 && args.every(isKerasTensor) ? args : args[0];
    return layer.apply(inputs as KerasTensor, configFromKeras(isJsonObject(n.kwargs) ? n.kwargs : {}));
  });
  if (stuck !== undefined) throw new SavingError('ERR_KERAS_CONFIG', `${where}: the inputs of layer '${stuck.name}' are never produced (the graph in config.json is inconsistent).`);
  const ends = (v: Json | undefined, what: string): KerasTensor | KerasTensor[] => {
    const get = (h: Json) => {
      const t = tensor(historyOf(h));
      if (t === undefined) throw new SavingError('ERR_KERAS_CONFIG', `${where}: ${what} ${JSON.stringify(h)} is not produced by any layer.`);
      return t;
    };
    if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'string') return get(v);
    if (Array.isArray(v)) return v.map(get);
    throw new SavingError('ERR_KERAS_CONFIG', `${where}: '${what}' must be a list.`);
  };
  return new Model({ inputs: ends(config.input_layers, 'input_layers'), outputs: ends(config.output_layers, 'output_layers'), name: typeof config.name === 'string' ? config.name : undefined });
}

/**
 * Keras's `build_from_config`: a layer (or subclassed model) outside a
 * graph is built by calling it once on zeros of its saved input shape
 * (unknown sizes as 1), which creates its weights as the first call did.
 */
function buildFromConfig(layer: Layer, buildConfig: Json | undefined): void {
  if (layer.built || !isJsonObject(buildConfig)) return;
  const shape = buildConfig.input_shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 0))) return;
  const size = (shape as (number | null)[]).reduce<number>((a, d) => a * (d ?? 1), 1);
  if (size > 1e7) throw new SavingError('ERR_KERAS_CONFIG', `Layer '${layer.name}': build_config input_shape ${JSON.stringify(shape)} is too large to build from (${size} values).`);
  noGrad(() => scope(() => void layer.apply(zeros((shape as (number | null)[]).map((d) => d ?? 1)))));
}

/** Duet's compile options from Keras's `compile_config`. */
export function compileOptionsFromJson(c: JsonObject): CompileOptions {
  const o: CompileOptions = {};
  const opt = valueFromKeras(c.optimizer ?? null) as (Serialized & { registeredName?: unknown }) | string | null;
  if (opt !== null) o.optimizer = typeof opt === 'string' ? opt : { className: opt.className, config: opt.config };
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === 'object') {
      const s = v as Serialized;
      if (typeof s.className === 'string') return { className: s.className, config: s.config };
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    }
    return v;
  };
  if (c.loss !== undefined && c.loss !== null) o.loss = strip(valueFromKerasKeepKeys(c.loss)) as CompileOptions['loss'];
  if (c.metrics !== undefined && c.metrics !== null) o.metrics = strip(valueFromKerasKeepKeys(c.metrics)) as CompileOptions['metrics'];
  if (c.loss_weights !== undefined && c.loss_weights !== null) o.lossWeights = c.loss_weights as number[];
  return o;
}

/** Like valueFromKeras, but the keys of a plain object (output names) stay as they are. */
function valueFromKerasKeepKeys(v: Json): unknown {
  if (isJsonObject(v) && typeof v.class_name !== 'string') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueFromKerasKeepKeys(x)]));
  if (Array.isArray(v)) return v.map(valueFromKerasKeepKeys);
  return valueFromKeras(v);
}

