/**
 * Keras's initializers: objects that make a weight's first value from its
 * shape, looked up by name (`'glorot_uniform'`, `'glorotUniform'`,
 * `'GlorotUniform'`) or passed as instances. Fans come from the Keras
 * layout of the weight (`[in, out]` for Dense, `[...kernel, in, out]` for
 * convolutions).
 */
import type { Tensor } from '@duet/core';
import { nn } from '@duet/nn';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { getRegisteredClass, registeredNameOf, registeredNames, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';

export abstract class Initializer {
  /** A new tensor of `shape` (yours: the caller releases or keeps it). */
  abstract call(shape: number[], dtype?: 'float32' | 'int32'): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
  static fromConfig<T extends Initializer>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
}

/** Keras's `compute_fans`: `[fanIn, fanOut]` of a weight in Keras's layout (nn.init's one fan rule, layout `'in_out'`). */
export function computeFans(shape: readonly number[]): [number, number] {
  return nn.init.computeFans(shape, 'in_out');
}

/** Python-style aliases that are not a class name in another spelling. */
const ALIASES: Record<string, string> = { uniform: 'RandomUniform', normal: 'RandomNormal', zero: 'Zeros', one: 'Ones' };

/** An initializer from a name (any of Keras's spellings), a serialized config, or an instance. */
export function getInitializer(identifier: InitializerIdentifier): Initializer {
  if (identifier instanceof Initializer) return identifier;
  if (typeof identifier === 'string') {
    const key = identifierKey(identifier);
    const name = ALIASES[key] ?? registeredNames('initializer').find((n) => identifierKey(n) === key);
    if (name === undefined) throw new UnknownIdentifierError('initializer', identifier, registeredNames('initializer').sort());
    return getRegisteredClass('initializer', name).fromConfig({}) as Initializer;
  }
  if (identifier !== null && typeof identifier === 'object' && typeof (identifier as Serialized).className === 'string') {
    const s = identifier as Serialized;
    return getRegisteredClass('initializer', s.className).fromConfig(s.config ?? {}) as Initializer;
  }
  throw new KerasValueError(`Could not interpret initializer identifier: ${String(identifier)}`);
}

/** `'glorot_uniform'`-style name of a built-in, or `{ className, config }`. */
export function serializeInitializer(init: Initializer): Serialized {
  return { className: registeredNameOf('initializer', init), config: init.getConfig() };
}

export type InitializerIdentifier = string | Initializer | Serialized;
