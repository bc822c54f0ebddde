/**
 * `keras.optimizers`: by name (`'adam'`, `'sgd'`, `'rmsprop'`, `'adagrad'`,
 * `'adamw'`, `'nadam'`, any case) or as objects, with Keras's defaults.
 */
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { deserialize, registeredNames, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';
import { Optimizer } from './optimizer.js';
import './sgd.js';
import './adam.js';
import './rmsprop.js';
import './adagrad.js';
import './nadam.js';

export { Optimizer, type OptimizerOptions } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Nadam } from './nadam.js';
export * as schedules from './schedules/index.js';

export type OptimizerIdentifier = string | Optimizer | Serialized;

/** An optimizer from a name (new instance with Keras's defaults), a serialized config, or an instance. */
export function get(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') {
    const name = registeredNames('optimizer').find((n) => identifierKey(n) === identifierKey(identifier));
    if (name === undefined) throw new UnknownIdentifierError('optimizer', identifier, registeredNames('optimizer').map((n) => n.toLowerCase()));
    return deserialize<Optimizer>('optimizer', { className: name, config: {} });
  }
  if (identifier !== null && typeof identifier === 'object' && typeof identifier.className === 'string') return deserialize<Optimizer>('optimizer', identifier);
  throw new KerasValueError(`Could not interpret optimizer identifier: ${String(identifier)}`);
}
