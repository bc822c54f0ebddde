/**
 * `keras.regularizers`: a penalty computed from a weight and added to the
 * training loss (Keras 3's formulas: `l1 * sum(|x|)`, `l2 * sum(x^2)`).
 * Pass one as a layer's `kernelRegularizer` / `biasRegularizer`.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { getRegisteredClass, registerSerializable, registeredNameOf, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';

export abstract class Regularizer {
  /** The penalty (a 0-d tensor) for weight `x`. */
  abstract call(x: Tensor): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
  static fromConfig<T extends Regularizer>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
}

function checkFactor(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new KerasValueError(`Value for argument \`${name}\` must be a non-negative number. Received: ${name}=${String(v)}`);
  return v;
}

/** `l1 * sum(|x|)`, default l1 = 0.01. */
export class L1 extends Regularizer {
  readonly l1: number;
  constructor(config: { l1?: number } | number = {}) {
    super();
    this.l1 = checkFactor('l1', typeof config === 'number' ? config : config.l1 ?? 0.01);
  }
  call(x: Tensor): Tensor {
    return x.abs().sum().mul(this.l1);
  }
  override getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
}

/** `l2 * sum(x^2)`, default l2 = 0.01. */
export class L2 extends Regularizer {
  readonly l2: number;
  constructor(config: { l2?: number } | number = {}) {
    super();
    this.l2 = checkFactor('l2', typeof config === 'number' ? config : config.l2 ?? 0.01);
  }
  call(x: Tensor): Tensor {
    return x.square().sum().mul(this.l2);
  }
  override getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
}

/** `l1 * sum(|x|) + l2 * sum(x^2)`, defaults 0 and 0 (Keras's L1L2 class). */
export class L1L2 extends Regularizer {
  readonly l1: number;
  readonly l2: number;
  constructor(config: { l1?: number; l2?: number } = {}) {
    super();
    this.l1 = checkFactor('l1', config.l1 ?? 0);
    this.l2 = checkFactor('l2', config.l2 ?? 0);
  }
  call(x: Tensor): Tensor {
    if (this.l1 === 0) return x.square().sum().mul(this.l2);
    const p1 = x.abs().sum().mul(this.l1);
    return this.l2 === 0 ? p1 : p1.add(x.square().sum().mul(this.l2));
  }
  override getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
}

/** Keras's lower-case aliases: `keras.regularizers.l2(0.01)`. */
export const l1 = (l1 = 0.01): L1 => new L1({ l1 });
export const l2 = (l2 = 0.01): L2 => new L2({ l2 });
/** Keras's `l1_l2` function defaults both factors to 0.01 (the class defaults them to 0). */
export const l1L2 = (config: { l1?: number; l2?: number } = {}): L1L2 => new L1L2({ l1: config.l1 ?? 0.01, l2: config.l2 ?? 0.01 });

registerSerializable('regularizer', L1);
registerSerializable('regularizer', L2);
registerSerializable('regularizer', L1L2);

export type RegularizerIdentifier = string | Regularizer | Serialized | null | undefined;

export function getRegularizer(identifier: RegularizerIdentifier): Regularizer | null {
  if (identifier === null || identifier === undefined) return null;
  if (identifier instanceof Regularizer) return identifier;
  if (typeof identifier === 'string') {
    const key = identifierKey(identifier);
    if (key === 'l1') return new L1();
    if (key === 'l2') return new L2();
    if (key === 'l1l2') return l1L2();
    throw new UnknownIdentifierError('regularizer', identifier, ['l1', 'l2', 'l1_l2']);
  }
  if (typeof identifier === 'object' && typeof identifier.className === 'string') {
    return getRegisteredClass('regularizer', identifier.className).fromConfig(identifier.config ?? {}) as Regularizer;
  }
  throw new KerasValueError(`Could not interpret regularizer identifier: ${String(identifier)}`);
}

export function serializeRegularizer(r: Regularizer | null): Serialized | null {
  return r === null ? null : { className: registeredNameOf('regularizer', r), config: r.getConfig() };
}
