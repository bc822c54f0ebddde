/**
 * `model.save('m.keras')`, `keras.models.loadModel('m.keras')`,
 * `model.saveWeights('m.weights.h5')`, `model.loadWeights(...)`: Keras 3's
 * file formats (keras/src/saving/saving_lib.py), so files cross between
 * Duet and Python Keras both ways.
 *
 * A `.keras` file is a zip with `metadata.json` (`keras_version`,
 * `date_saved`), `config.json` (the model's Keras serialization, with its
 * `compile_config`) and `model.weights.h5` (saving/weights.ts). Files are
 * written atomically (temporary file + rename).
 */
import { readFile } from 'node:fs/promises';
import { KerasValueError } from '../errors.js';
import { Model } from '../models/model.js';
import { makeZip, readZip, writeFileAtomic } from './archive.js';
import { SavingError } from './errors.js';
import { H5Reader, writeH5 } from './h5_store.js';
import { isJsonObject, jsonSyntaxError, type JsonObject } from './keras_json.js';
import { compileConfigToJson, compileOptionsFromJson, layerFromJson, layerToJson } from './model_json.js';
import { loadTfjsModel } from './tfjs.js';
import { assignWeights, collectWeights } from './weights.js';

/** The Keras version whose format Duet writes (and that the interop fixtures were made with). */
export const KERAS_VERSION = '3.15.1';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

export interface SaveModelOptions {
  /** Also save the optimizer's state (default true), so training resumes where it stopped. */
  includeOptimizer?: boolean;
}

function checkExtension(path: string, ext: string, what: string): void {
  if (typeof path !== 'string' || !path.endsWith(ext)) {
    throw new SavingError('ERR_KERAS_SAVE_PATH', `${what}: the file name must end in \`${ext}\`. Received: filepath=${String(path)}`);
  }
}

/** Keras's `date_saved` (`%Y-%m-%d@%H:%M:%S`, local time). */
function dateSaved(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The bytes of a `.keras` file for `model`. */
export async function serializeModel(model: Model, options: SaveModelOptions = {}): Promise<Uint8Array> {
  const config = layerToJson(model);
  const compile = compileConfigToJson(model);
  if (compile !== null) config.compile_config = compile;
  const weights = await writeH5(collectWeights(model, options.includeOptimizer ?? true));
  return makeZip({
    [METADATA]: utf8(JSON.stringify({ keras_version: KERAS_VERSION, date_saved: dateSaved() })),
    [CONFIG]: utf8(JSON.stringify(config)),
    [WEIGHTS]: weights,
  });
}

/** Save `model` to a `.keras` file (atomically). */
export async function saveModel(model: Model, path: string, options: SaveModelOptions = {}): Promise<void> {
  checkExtension(path, '.keras', 'save()');
  await writeFileAtomic(path, await serializeModel(model, options));
}

export interface LoadModelOptions {
  /** Compile the model with its saved `compile_config` (default true). */
  compile?: boolean;
}

function parseJson(bytes: Uint8Array | undefined, name: string, where: string): JsonObject {
  if (bytes === undefined) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${where}: the archive has no '${name}' (a .keras file holds ${CONFIG}, ${METADATA} and ${WEIGHTS}).`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new SavingError('ERR_KERAS_CONFIG', `${where}: '${name}' is not valid UTF-8 text.`, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = jsonSyntaxError(text);
    const pos = at === null ? '' : ` at line ${at.line}, column ${at.column}: expected ${at.expected}, found ${at.offset < text.length ? JSON.stringify(text.slice(at.offset, at.offset + 12)) : 'the end of the text'}`;
    throw new SavingError('ERR_KERAS_CONFIG', `${where}: '${name}' is not valid JSON${pos} (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  if (!isJsonObject(v)) throw new SavingError('ERR_KERAS_CONFIG', `${where}: '${name}' must hold a JSON object.`);
  return v;
}

/** A model from the bytes of a `.keras` file. */
export async function deserializeModel(bytes: Uint8Array, where = '<buffer>', options: LoadModelOptions = {}): Promise<Model> {
  const files = readZip(bytes, where, (n) => n === CONFIG || n === METADATA || n === WEIGHTS);
  const config = parseJson(files.get(CONFIG), CONFIG, where);
  parseJson(files.get(METADATA), METADATA, where);
  const h5 = files.get(WEIGHTS);
  if (h5 === undefined) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${where}: the archive has no '${WEIGHTS}'.`);
  // The weights file is opened (and checked to be HDF5) before any variable is made.
  const store = await H5Reader.open(h5, `${where}: ${WEIGHTS}`);
  let model: Model | null = null;
  try {
    const made = layerFromJson(config, `${where}: ${CONFIG}`);
    if (!(made instanceof Model)) {
      for (const w of made.weights) w.dispose();
      throw new SavingError('ERR_KERAS_CONFIG', `${where}: ${CONFIG} describes a ${String(config.class_name)}, not a model.`);
    }
    model = made;
    const compile = config.compile_config;
    if ((options.compile ?? true) && isJsonObject(compile) && Object.keys(compile).length > 0) model.compile(compileOptionsFromJson(compile));
    assignWeights(model, store, true);
    return model;
  } catch (e) {
    // A refused file leaves nothing behind: the variables made so far are released.
    if (model !== null) {
      model.optimizer?.dispose();
      for (const w of model.weights) w.dispose();
    }
    throw e;
  } finally {
    store.close();
  }
}

/**
 * `keras.models.loadModel('m.keras')`: the model, its weights, and (if it
 * was compiled) its compile state and optimizer state.
 * `keras.models.loadModel('dir/model.json')` (or tfjs's spelling
 * `'file://dir/model.json'`): a TensorFlow.js layers model (saving/tfjs.ts),
 * uncompiled.
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  // tfjs-node spells local files 'file://./dir/model.json'; the same string works here.
  if (typeof path === 'string' && path.endsWith('.json')) return loadTfjsModel(path.startsWith('file://') ? path.slice('file://'.length) : path);
  if (typeof path !== 'string' || !path.endsWith('.keras')) {
    throw new SavingError('ERR_KERAS_SAVE_PATH', `loadModel(): the file name must end in \`.keras\` (Keras 3) or \`.json\` (a TensorFlow.js model.json). Received: filepath=${String(path)}`);
  }
  return deserializeModel(await readFile(path), path, options);
}

/** `model.saveWeights('x.weights.h5')`: the layers' variables (and the optimizer's, as Keras does). */
export async function saveWeights(model: Model, path: string): Promise<void> {
  checkExtension(path, '.weights.h5', 'saveWeights()');
  await writeFileAtomic(path, await writeH5(collectWeights(model, true)));
}

/** `model.loadWeights('x.weights.h5')` (or a `.keras` file's weights). All shapes are checked before anything is set. */
export async function loadWeights(model: Model, path: string): Promise<void> {
  if (typeof path === 'string' && path.endsWith('.keras')) {
    const files = readZip(await readFile(path), path, (n) => n === WEIGHTS);
    const h5 = files.get(WEIGHTS);
    if (h5 === undefined) throw new SavingError('ERR_KERAS_ZIP_ENTRY', `${path}: the archive has no '${WEIGHTS}'.`);
    return loadWeightBytes(model, h5, `${path}: ${WEIGHTS}`);
  }
  checkExtension(path, '.weights.h5', 'loadWeights()');
  return loadWeightBytes(model, await readFile(path), path);
}

async function loadWeightBytes(model: Model, bytes: Uint8Array, where: string): Promise<void> {
  if (!model.built) throw new KerasValueError(`loadWeights(): model '${model.name}' is not built yet; call it on data or give it an input shape first.`);
  const store = await H5Reader.open(bytes, where);
  try {
    assignWeights(model, store, true);
  } finally {
    store.close();
  }
}
