/**
 * The registry of serializable classes, Keras's `register_keras_serializable`
 * + `serialize_keras_object` / `deserialize_keras_object`: every layer (and
 * initializer, regularizer, constraint, loss, metric, optimizer) registers
 * its class under its Keras class name, so `{ className: 'Dense', config }`
 * turns back into a `Dense`.
 *
 * Configs use Duet's camelCase option names (the constructor's options), so
 * `Cls.fromConfig(layer.getConfig())` is the round trip. File formats that
 * need Keras's snake_case names (`.keras` config.json) convert at their edge
 * (utils/naming.ts).
 */
import { KerasValueError, UnknownIdentifierError } from './errors.js';

export type Category = 'layer' | 'initializer' | 'regularizer' | 'constraint' | 'loss' | 'metric' | 'optimizer' | 'schedule' | 'callback';

/** What `serialize()` returns: Keras's `{"class_name": ..., "config": ...}` in camelCase. */
export interface Serialized {
  className: string;
  config: Record<string, unknown>;
}

/** A class that can rebuild an instance from its config. */
export interface SerializableClass<T = unknown> {
  readonly name: string;
  fromConfig(config: Record<string, any>): T;
}

/** Something with a config (every registered instance). */
export interface Configurable {
  getConfig(): Record<string, unknown>;
}

const tables = new Map<Category, Map<string, SerializableClass>>();

function table(category: Category): Map<string, SerializableClass> {
  let t = tables.get(category);
  if (t === undefined) tables.set(category, (t = new Map()));
  return t;
}

/**
 * Register `cls` under `name` (default: its class name). Built-in classes
 * register themselves where they are defined; register your own subclasses
 * so models that use them can be rebuilt from their config.
 */
export function registerSerializable<C extends SerializableClass>(category: Category, cls: C, name: string = cls.name): C {
  table(category).set(name, cls);
  return cls;
}

/** The class registered under `name`, or an `UnknownIdentifierError` listing what is known. */
export function getRegisteredClass(category: Category, name: string): SerializableClass {
  const cls = table(category).get(name);
  if (cls === undefined) throw new UnknownIdentifierError(category, name, [...table(category).keys()].sort());
  return cls;
}

export function registeredNames(category: Category): string[] {
  return [...table(category).keys()];
}

/** The name an instance is registered under (its class, or the nearest registered ancestor). */
export function registeredNameOf(category: Category, obj: object): string {
  for (let p = Object.getPrototypeOf(obj); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = p.constructor as SerializableClass;
    for (const [name, cls] of table(category)) if (cls === ctor) return name;
  }
  throw new KerasValueError(`Cannot serialize an object of class ${obj.constructor.name}: no class of its prototype chain is registered as a ${category} (use registerSerializable('${category}', ${obj.constructor.name})).`);
}

/** `{ className, config }` of a registered instance. */
export function serialize(category: Category, obj: Configurable): Serialized {
  return { className: registeredNameOf(category, obj), config: obj.getConfig() };
}

/** Rebuild an instance from `serialize()`'s output. */
export function deserialize<T>(category: Category, s: Serialized): T {
  if (s === null || typeof s !== 'object' || typeof s.className !== 'string') {
    throw new KerasValueError(`Expected a serialized ${category} { className, config }, received: ${JSON.stringify(s)}`);
  }
  return getRegisteredClass(category, s.className).fromConfig(s.config ?? {}) as T;
}
