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

/**
 * Where the JSON text `s` first breaks the grammar (RFC 8259), as a 0-based
 * offset and 1-based line and column, with what was expected there; null
 * if it is valid. Used only after `JSON.parse` failed, to say where (Node's
 * own messages do not always give a position).
 */
export function jsonSyntaxError(s: string): { offset: number; line: number; column: number; expected: string } | null {
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  class Stop {
    constructor(readonly expected: string) {}
  }
  const fail = (expected: string): never => {
    throw new Stop(expected);
  };
  const literal = (w: string) => {
    for (const ch of w) {
      if (s[i] !== ch) fail(`'${w}'`);
      i++;
    }
  };
  const string = () => {
    if (s[i] !== '"') fail('a string');
    i++;
    for (;;) {
      if (i >= s.length) fail("a closing '\"'");
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('no control character inside a string');
      if (c === 0x5c) {
        i++;
        const e = s[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(s[i + k] ?? '')) (i += k), fail('4 hex digits after \\u');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else i++;
    }
  };
  const digits = () => {
    if (!/[0-9]/.test(s[i] ?? '')) fail('a digit');
    while (/[0-9]/.test(s[i] ?? '')) i++;
  };
  const number = () => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else digits();
    if (s[i] === '.') {
      i++;
      digits();
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      digits();
    }
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail('less nesting');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (s[i] !== ':') fail("':'");
        i++;
        value(depth + 1);
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') {
          i++;
          return;
        } else fail("',' or '}'");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return;
        } else fail("',' or ']'");
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail('a value');
  };
  try {
    value(0);
    ws();
    if (i < s.length) fail('the end of the text');
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = s.slice(0, i);
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    return { offset: i, line, column, expected: e.expected };
  }
}
