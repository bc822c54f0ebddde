/**
 * `keras.models.loadModel('path/model.json')`: models saved by TensorFlow.js
 * tfjs-layers (`model.save('file://dir')`) or converted from Keras 2 by
 * `tensorflowjs_converter --input_format keras`: a `model.json` holding
 * `modelTopology` (the Keras 2 model config: `class_name` / `config`,
 * `inbound_nodes` as `[layer, node, tensor, kwargs]` lists, the input shape
 * as the first layer's `batch_input_shape`) and `weightsManifest` (groups of
 * binary shards, each weight's name, shape and dtype, in order), plus the
 * shard files next to it.
 *
 * The topology is rewritten into Keras 3's form and built by the `.keras`
 * reader (model_json.ts); the weights are matched to the model's variables
 * by name (`dense/kernel`, tfjs's names are Keras's), every shape and dtype
 * checked before anything is assigned.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { noGrad, tensor, type Tensor } from '@duet/core';
import type { Layer } from '../layers/layer.js';
import { Model } from '../models/model.js';
import { unsafeEntryName } from './archive.js';
import { SavingError } from './errors.js';
import { isJsonObject, jsonSyntaxError, type Json, type JsonObject } from './keras_json.js';
import { layerFromJson, type ConfigHook } from './model_json.js';
import { withWeightCheck } from '../layers/weight_check.js';
import { compileFromTrainingConfig } from './tfjs_training.js';

/**
 * Keras 2's and tfjs's `hard_sigmoid`: clip(0.2 x + 0.5, 0, 1), the default
 * recurrent activation of tfjs's LSTM and GRU. (Keras 3's `hard_sigmoid` is
 * another function, relu6(x + 3) / 6, so the name cannot be passed through.)
 */
export function hardSigmoidKeras2(x: Tensor): Tensor {
  return x.mul(0.2).add(0.5).clamp(0, 1);
}

const ACTIVATION_KEYS = new Set(['activation', 'recurrentActivation']);

/** tfjs's `hard_sigmoid` strings become Keras 2's function. */
const tfjsHook: ConfigHook = (_className, config) => {
  const out = { ...config };
  for (const k of ACTIVATION_KEYS) if (out[k] === 'hard_sigmoid') out[k] = hardSigmoidKeras2;
  return out;
};

/** Keys of Keras 2 / tfjs layer configs that Keras 3 dropped (the input shape moves to an InputLayer). */
const DROPPED_KEYS = ['batch_input_shape', 'input_shape', 'input_dtype', 'batch_size'];

/** Keras 2's nested objects as Keras 3 reads them. */
function convertValue(v: Json): Json {
  if (Array.isArray(v)) return v.map(convertValue);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = convertValue(x);
  // Keras 2's VarianceScaling 'normal' was a truncated normal (Keras 3 names it so).
  if (out.class_name === 'VarianceScaling' && isJsonObject(out.config) && out.config.distribution === 'normal') {
    out.config = { ...out.config, distribution: 'truncated_normal' };
  }
  return out;
}

function layerConfig(className: string, config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (DROPPED_KEYS.includes(k)) continue;
    if (className === 'Embedding' && k === 'input_length') continue;
    // `null` for an option means Keras's default (tfjs writes `unit_forget_bias: null`, `implementation: null`).
    if (v === null && (k === 'unit_forget_bias' || k === 'implementation')) continue;
    out[k] = convertValue(v);
  }
  if (className === 'InputLayer') {
    const shape = config.batch_input_shape ?? config.batch_shape;
    if (!Array.isArray(shape)) throw new SavingError('ERR_TFJS_MODEL', `InputLayer '${String(config.name)}' has no batch_input_shape.`);
    out.batch_shape = shape;
  }
  return out;
}

/**
 * `[layer, node, tensor]` with Keras 3's node index. Keras 2 and tfjs count
 * a nested model's own first node (made when it was built on its Input) in
 * the indices; Keras 3 and Duet count only the calls in the outer model.
 */
function history(h: Json, where: string, nested: Set<string>): [string, number, number] {
  if (!Array.isArray(h) || h.length < 3 || typeof h[0] !== 'string' || typeof h[1] !== 'number' || typeof h[2] !== 'number') {
    throw new SavingError('ERR_TFJS_MODEL', `${where}: a node reference must be [layer name, node index, tensor index, kwargs]; received ${JSON.stringify(h)?.slice(0, 200)}.`);
  }
  return [h[0], nested.has(h[0]) && h[1] > 0 ? h[1] - 1 : h[1], h[2]];
}

const kerasTensor = (h: Json, where: string, nested: Set<string>): JsonObject => ({ class_name: '__keras_tensor__', config: { keras_history: history(h, where, nested) } });

/** Whether a Keras 2 layer entry is a model built on an Input (its first inbound node is its own). */
function isGraphModel(l: JsonObject): boolean {
  if (l.class_name === 'Model' || l.class_name === 'Functional') return true;
  if (l.class_name !== 'Sequential') return false;
  const layers = Array.isArray(l.config) ? l.config : isJsonObject(l.config) ? l.config.layers : null;
  const first = Array.isArray(layers) ? layers[0] : undefined;
  return isJsonObject(first) && (first.class_name === 'InputLayer' || (isJsonObject(first.config) && Array.isArray(first.config.batch_input_shape)));
}

/** Keras 2's `inbound_nodes` (`[[[name, node, tensor, kwargs], ...], ...]`) as Keras 3's (`[{args, kwargs}]`). */
function convertNodes(nodes: Json | undefined, where: string, nested: Set<string>): Json {
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) throw new SavingError('ERR_TFJS_MODEL', `${where}: 'inbound_nodes' must be a list.`);
  return nodes.map((node) => {
    if (isJsonObject(node)) return node; // already Keras 3's form
    if (!Array.isArray(node) || node.length === 0) throw new SavingError('ERR_TFJS_MODEL', `${where}: an inbound node must be a non-empty list of inputs.`);
    const inputs = node.map((h) => kerasTensor(h, where, nested));
    const first = node[0] as Json[];
    const kwargs = isJsonObject(first[3]) ? first[3] : {};
    return { args: [inputs.length === 1 ? inputs[0]! : inputs], kwargs };
  });
}

/** A Keras 2 / tfjs layer (or model) entry as Keras 3's JSON. */
export function tfjsLayerToKeras(json: Json, where: string): JsonObject {
  if (!isJsonObject(json) || typeof json.class_name !== 'string') {
    throw new SavingError('ERR_TFJS_MODEL', `${where}: expected a layer { class_name, config }, received ${JSON.stringify(json)?.slice(0, 200)}.`);
  }
  const className = json.class_name;
  const where2 = `${where} (${className}${isJsonObject(json.config) && typeof json.config.name === 'string' ? ` '${json.config.name}'` : ''})`;
  if (className === 'Sequential') return sequentialToKeras(json.config ?? null, where2);
  if (className === 'Model' || className === 'Functional') return functionalToKeras(json.config ?? null, where2);
  if (!isJsonObject(json.config)) throw new SavingError('ERR_TFJS_MODEL', `${where2}: 'config' must be an object.`);
  return { class_name: className, config: layerConfig(className, json.config) };
}

function sequentialToKeras(config: Json, where: string): JsonObject {
  // Keras 2.0 wrote a Sequential's config as the bare list of layers.
  const layers = Array.isArray(config) ? config : isJsonObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw new SavingError('ERR_TFJS_MODEL', `${where}: a Sequential config needs a 'layers' list.`);
  const name = isJsonObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  const out: Json[] = [];
  const first = layers[0];
  if (isJsonObject(first) && first.class_name !== 'InputLayer' && isJsonObject(first.config)) {
    const shape = first.config.batch_input_shape ?? (Array.isArray(first.config.input_shape) ? [null, ...first.config.input_shape] : undefined);
    if (Array.isArray(shape)) {
      // Keras 2 kept the input on the first layer; Keras 3 (and Duet) give it an InputLayer. Token ids for an Embedding.
      const dtype = typeof first.config.dtype === 'string' && first.class_name !== 'Embedding' ? first.config.dtype : first.class_name === 'Embedding' ? 'int32' : 'float32';
      out.push({ class_name: 'InputLayer', config: { batch_shape: shape, dtype, name: `${String(first.config.name ?? 'input')}_input` } });
    }
  }
  layers.forEach((l, i) => out.push(tfjsLayerToKeras(l, `${where} layer ${i}`)));
  return { class_name: 'Sequential', config: { name, layers: out } };
}

function functionalToKeras(config: Json, where: string): JsonObject {
  if (!isJsonObject(config) || !Array.isArray(config.layers)) throw new SavingError('ERR_TFJS_MODEL', `${where}: a functional model config needs a 'layers' list.`);
  const entries = config.layers.map((l, i) => {
    if (!isJsonObject(l)) throw new SavingError('ERR_TFJS_MODEL', `${where}: layer ${i} is not an object.`);
    const name = typeof l.name === 'string' ? l.name : isJsonObject(l.config) && typeof l.config.name === 'string' ? l.config.name : null;
    if (name === null) throw new SavingError('ERR_TFJS_MODEL', `${where}: layer ${i} has no name.`);
    return { l, name };
  });
  const nested = new Set(entries.filter(({ l }) => isGraphModel(l)).map(({ name }) => name));
  const layers = entries.map(({ l, name }) => ({ ...tfjsLayerToKeras(l, `${where} layer '${name}'`), name, inbound_nodes: convertNodes(l.inbound_nodes, `${where} layer '${name}'`, nested) }));
  const ends = (v: Json | undefined, what: string): Json => {
    if (!Array.isArray(v)) throw new SavingError('ERR_TFJS_MODEL', `${where}: '${what}' must be a list.`);
    return typeof v[0] === 'string' ? history(v, where, nested) : v.map((h) => history(h, where, nested));
  };
  return {
    class_name: 'Functional',
    config: { name: typeof config.name === 'string' ? config.name : 'model', layers, input_layers: ends(config.input_layers, 'input_layers'), output_layers: ends(config.output_layers, 'output_layers') },
  };
}

// ----------------------------------------------------------------- weights

/** One weight of the manifest, its bytes decoded. */
interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  /** The shard file its first byte is in. */
  shard: string;
  values: Float32Array | Int32Array | Uint8Array;
}

/** The manifest's weights: the model's by name, and the optimizer's (group 'optimizer') in the file's order. */
interface Manifest {
  model: Map<string, ManifestWeight>;
  optimizer: ManifestWeight[];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decode `n` values of weight `w` at `offset` of `bytes` (quantized ones dequantized as tfjs does). */
function decode(bytes: Uint8Array, offset: number, n: number, dtype: string, quant: JsonObject | null, name: string, where: string): Float32Array | Int32Array | Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset);
  if (quant !== null) {
    const q = quant.dtype as string;
    const out = new Float32Array(n);
    if (q === 'float16') {
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(dv.getUint16(2 * i, true));
      return out;
    }
    const scale = quant.scale;
    const min = quant.min;
    if (typeof scale !== 'number' || typeof min !== 'number') throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${name}' is quantized to ${q} without numeric 'scale' and 'min'.`);
    for (let i = 0; i < n; i++) out[i] = (q === 'uint8' ? dv.getUint8(i) : dv.getUint16(2 * i, true)) * scale + min;
    return out;
  }
  if (dtype === 'float32') return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
  if (dtype === 'int32') return Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
  return bytes.slice(offset, offset + n);
}

/** Every weight of the manifest, read from its shards (names relative to `dir`, which they may not leave). */
async function readManifest(manifest: Json | undefined, dir: string, where: string): Promise<Manifest> {
  if (!Array.isArray(manifest)) throw new SavingError('ERR_TFJS_MODEL', `${where}: 'weightsManifest' must be a list of { paths, weights } groups.`);
  const out = new Map<string, ManifestWeight>();
  const optimizer: ManifestWeight[] = [];
  for (const [g, group] of manifest.entries()) {
    if (!isJsonObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || !group.paths.every((p) => typeof p === 'string')) {
      throw new SavingError('ERR_TFJS_MODEL', `${where}: weightsManifest[${g}] must be { paths: string[], weights: [...] }.`);
    }
    const paths = group.paths as string[];
    for (const p of paths) {
      const why = unsafeEntryName(p);
      if (why !== null || p === '') throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: refusing weight shard path ${JSON.stringify(p)}: it ${why ?? 'is empty'} (shards must sit beside model.json).`);
    }
    const shards = await Promise.all(paths.map(async (p) => {
      try {
        return new Uint8Array(await readFile(join(dir, p)));
      } catch (e) {
        throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: cannot read weight shard '${p}' (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
      }
    }));
    const total = shards.reduce((a, s) => a + s.length, 0);
    const bytes = new Uint8Array(total);
    const starts: number[] = [];
    let off = 0;
    for (const s of shards) {
      starts.push(off);
      bytes.set(s, off);
      off += s.length;
    }
    const shardAt = (o: number) => {
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1]! <= o) k++;
      return paths[k]!;
    };
    let pos = 0;
    for (const [i, w] of group.weights.entries()) {
      if (!isJsonObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw new SavingError('ERR_TFJS_MODEL', `${where}: weightsManifest[${g}].weights[${i}] must be { name, shape, dtype }.`);
      }
      const shape = w.shape as number[];
      const shard = shardAt(pos);
      if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape.length > 32) {
        throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' (shard '${shard}') has an invalid shape ${JSON.stringify(w.shape)}.`);
      }
      const quant = isJsonObject(w.quantization) ? w.quantization : null;
      const item = quant !== null ? QUANT_BYTES[String(quant.dtype)] : DTYPE_BYTES[w.dtype];
      if (item === undefined) {
        throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' (shard '${shard}') has dtype ${JSON.stringify(quant !== null ? `quantized ${String(quant.dtype)}` : w.dtype)}; expected float32, int32 or bool (or quantized uint8, uint16, float16).`);
      }
      const n = shape.reduce((a, b) => a * b, 1);
      if (pos + n * item > total) {
        throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' [${shape.join(', ')}] ${w.dtype} needs ${n * item} bytes at byte ${pos} of weights group ${g} (${paths.join(', ')}), which holds only ${total} bytes: a shard is missing or truncated.`);
      }
      if (out.has(w.name) || optimizer.some((o) => o.name === w.name)) throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' appears twice in the weights manifest.`);
      const entry = { name: w.name, shape, dtype: quant !== null ? 'float32' : w.dtype, shard, values: decode(bytes, pos, n, w.dtype, quant, w.name, where) };
      if (w.group === 'optimizer') optimizer.push(entry);
      else out.set(w.name, entry);
      pos += n * item;
    }
    if (pos !== total) {
      throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weights group ${g} (${paths.join(', ')}) holds ${total} bytes, but its ${group.weights.length} weights take ${pos}: the shards do not belong to this manifest.`);
    }
  }
  return { model: out, optimizer };
}

/** The manifest's entry for variable `path` of `shape`, or the typed error saying why the file cannot fill it. */
function manifestEntry(weights: Map<string, ManifestWeight>, path: string, shape: readonly number[], where: string): ManifestWeight {
  const w = weights.get(path);
  if (w === undefined) {
    throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: the model's variable '${path}' [${shape.join(', ')}] is not in the weights manifest (it lists ${[...weights.keys()].slice(0, 20).map((k) => `'${k}'`).join(', ')}).`);
  }
  if (w.dtype !== 'float32') throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' in shard '${w.shard}' has dtype ${w.dtype}; variable '${path}' is float32.`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: weight '${w.name}' in shard '${w.shard}' has shape [${w.shape.join(', ')}]; variable '${path}' expects [${shape.join(', ')}].`);
  }
  return w;
}

/**
 * The model `config` describes, each weight checked against the manifest
 * before it is allocated (a layer config declaring more than the file
 * holds, such as a 1e12-unit Dense, fails before taking any memory).
 */
function buildChecked(config: JsonObject, weights: Map<string, ManifestWeight>, where: string): Layer {
  return withWeightCheck((path, shape) => void manifestEntry(weights, path, shape, where), () => layerFromJson(config, `${where}: modelTopology`, tfjsHook));
}

/** Set the model's variables from the manifest: every name, shape and dtype checked first; nothing is set on a mismatch. */
function assignTfjsWeights(model: Model, weights: Map<string, ManifestWeight>, where: string): void {
  const plan = model.weights.map((v) => [v, manifestEntry(weights, v.path, v.shape, where)] as const);
  const used = new Set(plan.map(([, w]) => w.name));
  const extra = [...weights.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) {
    throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: the weights manifest has ${extra.length} weight(s) the model does not: ${extra.slice(0, 10).map((k) => `'${k}' (shard '${weights.get(k)!.shard}')`).join(', ')}.`);
  }
  noGrad(() => {
    for (const [v, w] of plan) {
      const t = tensor(w.values as Float32Array, { shape: [...v.shape] });
      v.copy_(t);
      t.dispose();
    }
  });
}

function parseModelJson(bytes: Uint8Array, where: string): JsonObject {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new SavingError('ERR_TFJS_MODEL', `${where}: not UTF-8 text.`, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = jsonSyntaxError(text);
    const pos = at === null ? '' : ` at line ${at.line}, column ${at.column}: expected ${at.expected}`;
    throw new SavingError('ERR_TFJS_MODEL', `${where}: not valid JSON${pos} (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  if (!isJsonObject(v)) throw new SavingError('ERR_TFJS_MODEL', `${where}: must hold a JSON object with 'modelTopology' and 'weightsManifest'.`);
  return v;
}

/** A tfjs-layers model from its `model.json` (and the weight shards beside it). */
export async function loadTfjsModel(path: string): Promise<Model> {
  const json = parseModelJson(new Uint8Array(await readFile(path)), path);
  if (json.format === 'graph-model' || (isJsonObject(json.modelTopology) && 'node' in json.modelTopology)) {
    throw new SavingError('ERR_TFJS_MODEL', `${path}: a tfjs graph model (a converted TensorFlow SavedModel or frozen graph); Duet reads tfjs layers models (format 'layers-model', saved by tfjs-layers or converted from Keras).`);
  }
  let topology = json.modelTopology;
  // tensorflowjs_converter's Keras files nest the model under model_config (beside training_config).
  if (isJsonObject(topology) && isJsonObject(topology.model_config)) topology = topology.model_config;
  if (!isJsonObject(topology)) throw new SavingError('ERR_TFJS_MODEL', `${path}: 'modelTopology' must be the model's config { class_name, config }.`);
  const weights = await readManifest(json.weightsManifest, dirname(path), path);
  const config = tfjsLayerToKeras(topology, `${path}: modelTopology`);
  const made = buildChecked(config, weights.model, path);
  if (!(made instanceof Model)) {
    for (const w of made.weights) w.dispose();
    throw new SavingError('ERR_TFJS_MODEL', `${path}: modelTopology describes a ${String(topology.class_name)}, not a model.`);
  }
  try {
    assignTfjsWeights(made, weights.model, path);
    // tfjs's loadLayersModel: compiled from `trainingConfig` (top level; the converter's `training_config` beside `model_config` is not read, as in tfjs), the optimizer's state restored.
    if (json.trainingConfig !== undefined && json.trainingConfig !== null) compileFromTrainingConfig(made, json.trainingConfig, weights.optimizer, path);
  } catch (e) {
    made.dispose(); // the weights, and the optimizer and metrics if it was compiled
    throw e;
  }
  return made;
}
