/**
 * Duet's configs (camelCase, `{ className, config }`) <-> Keras 3's JSON
 * (`serialize_keras_object`: snake_case keys, `{ module, class_name,
 * config, registered_name }`), at the edge of the `.keras` format.
 */
import type { Category, Serialized } from '../registry.js';
import { toCamelCase } from '../utils/naming.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Keras's module of each category's built-ins. */
const MODULES: Record<Category, string> = {
  layer: 'keras.layers',
  initializer: 'keras.initializers',
  regularizer: 'keras.regularizers',
  constraint: 'keras.constraints',
  loss: 'keras.losses',
  metric: 'keras.metrics',
  optimizer: 'keras.optimizers',
  schedule: 'keras.optimizers.schedules',
  callback: 'keras.callbacks',
};

/** Keys whose snake_case is not the mechanical one. */
const TO_KERAS_KEYS: Record<string, string> = { beta1: 'beta_1', beta2: 'beta_2' };

/** `useBias` -> `use_bias`, `batchShape` -> `batch_shape`, `beta1` -> `beta_1`. */
export function keyToKeras(k: string): string {
  return TO_KERAS_KEYS[k] ?? k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The category of a nested `{ className, config }` by the key that holds it (`kernelInitializer`, ...). */
function categoryOfKey(key: string): Category {
  if (/initializer$/i.test(key)) return 'initializer';
  if (/regularizer$/i.test(key)) return 'regularizer';
  if (/constraint$/i.test(key)) return 'constraint';
  if (key === 'learningRate') return 'schedule';
  if (key === 'optimizer') return 'optimizer';
  if (key === 'loss') return 'loss';
  if (key === 'metrics') return 'metric';
  return 'layer';
}

function isSerialized(v: unknown): v is Serialized {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as Serialized).className === 'string' && 'config' in (v as object);
}

/** `{ module, class_name, config, registered_name }` for a Duet `{ className, config }`. */
export function objectToKeras(category: Category, s: Serialized): JsonObject {
  return { module: MODULES[category], class_name: s.className, config: configToKeras(s.config), registered_name: null };
}

/** A Duet config as Keras JSON (keys snake_case, nested objects serialized Keras's way). */
export function configToKeras(config: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || typeof v === 'function') continue;
    out[keyToKeras(k)] = valueToKeras(k, v);
  }
  return out;
}

function valueToKeras(key: string, v: unknown): Json {
  if (isSerialized(v)) return objectToKeras(categoryOfKey(key), v);
  if (Array.isArray(v)) return v.map((x) => valueToKeras(key, x));
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (v !== null && typeof v === 'object') return configToKeras(v as Record<string, unknown>);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v as Json;
}

/** Keras's JSON as a Duet config: keys camelCase, `{ class_name, config }` -> `{ className, config }`, dtype policies -> their name. */
export function configFromKeras(config: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[toCamelCase(k)] = valueFromKeras(v);
  return out;
}

export function valueFromKeras(v: Json): unknown {
  if (Array.isArray(v)) return v.map(valueFromKeras);
  if (v !== null && typeof v === 'object') {
    if (typeof v.class_name === 'string') {
      if (v.class_name === 'DTypePolicy' || v.class_name === 'FloatDTypePolicy') return ((v.config ?? {}) as JsonObject).name ?? 'float32';
      return { className: v.class_name, config: configFromKeras((v.config ?? {}) as JsonObject), registeredName: v.registered_name ?? null };
    }
    return configFromKeras(v);
  }
  return v;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
