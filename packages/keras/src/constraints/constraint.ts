/**
 * `keras.constraints`: a projection applied to a weight after every
 * optimizer update (Keras 3's formulas, with its epsilon 1e-7). Pass one as
 * a layer's `kernelConstraint` / `biasConstraint`.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { getRegisteredClass, registerSerializable, registeredNameOf, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';

const EPSILON = 1e-7;

export abstract class Constraint {
  /** The projected value of `w` (a new tensor). */
  abstract call(w: Tensor): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
  static fromConfig<T extends Constraint>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
}

type Axis = number | number[];
const norms = (w: Tensor, axis: Axis) => w.square().sum(axis, { keepdim: true }).sqrt();

/** Scale each slice along `axis` (default 0: each output unit of a Dense kernel) to norm <= maxValue (2). */
export class MaxNorm extends Constraint {
  readonly maxValue: number;
  readonly axis: Axis;
  constructor(config: { maxValue?: number; axis?: Axis } = {}) {
    super();
    this.maxValue = config.maxValue ?? 2;
    this.axis = config.axis ?? 0;
  }
  call(w: Tensor): Tensor {
    const n = norms(w, this.axis);
    return w.mul(n.clamp(0, this.maxValue).div(n.add(EPSILON)));
  }
  override getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

/** Zero the negative entries. */
export class NonNeg extends Constraint {
  constructor(_config: Record<string, never> = {}) {
    super();
  }
  call(w: Tensor): Tensor {
    return w.mul(w.ge(0).float());
  }
}

/** Each slice along `axis` (default 0) to unit norm. */
export class UnitNorm extends Constraint {
  readonly axis: Axis;
  constructor(config: { axis?: Axis } = {}) {
    super();
    this.axis = config.axis ?? 0;
  }
  call(w: Tensor): Tensor {
    return w.div(norms(w, this.axis).add(EPSILON));
  }
  override getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

/** Norms moved toward [minValue, maxValue] at `rate` (defaults 0, 1, 1, axis 0). */
export class MinMaxNorm extends Constraint {
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: Axis;
  constructor(config: { minValue?: number; maxValue?: number; rate?: number; axis?: Axis } = {}) {
    super();
    this.minValue = config.minValue ?? 0;
    this.maxValue = config.maxValue ?? 1;
    this.rate = config.rate ?? 1;
    this.axis = config.axis ?? 0;
  }
  call(w: Tensor): Tensor {
    const n = norms(w, this.axis);
    const desired = n.clamp(this.minValue, this.maxValue).mul(this.rate).add(n.mul(1 - this.rate));
    return w.mul(desired.div(n.add(EPSILON)));
  }
  override getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

/** Keras's lower-case aliases. */
export const maxNorm = (config: { maxValue?: number; axis?: Axis } = {}): MaxNorm => new MaxNorm(config);
export const nonNeg = (): NonNeg => new NonNeg();
export const unitNorm = (config: { axis?: Axis } = {}): UnitNorm => new UnitNorm(config);
export const minMaxNorm = (config: { minValue?: number; maxValue?: number; rate?: number; axis?: Axis } = {}): MinMaxNorm => new MinMaxNorm(config);

for (const c of [MaxNorm, NonNeg, UnitNorm, MinMaxNorm]) registerSerializable('constraint', c);

export type ConstraintIdentifier = string | Constraint | Serialized | null | undefined;
const BY_KEY: Record<string, () => Constraint> = { maxnorm: () => new MaxNorm(), nonneg: () => new NonNeg(), unitnorm: () => new UnitNorm(), minmaxnorm: () => new MinMaxNorm() };

export function getConstraint(identifier: ConstraintIdentifier): Constraint | null {
  if (identifier === null || identifier === undefined) return null;
  if (identifier instanceof Constraint) return identifier;
  if (typeof identifier === 'string') {
    const make = BY_KEY[identifierKey(identifier)];
    if (make === undefined) throw new UnknownIdentifierError('constraint', identifier, ['max_norm', 'non_neg', 'unit_norm', 'min_max_norm']);
    return make();
  }
  if (typeof identifier === 'object' && typeof identifier.className === 'string') {
    return getRegisteredClass('constraint', identifier.className).fromConfig(identifier.config ?? {}) as Constraint;
  }
  throw new KerasValueError(`Could not interpret constraint identifier: ${String(identifier)}`);
}

export function serializeConstraint(c: Constraint | null): Serialized | null {
  return c === null ? null : { className: registeredNameOf('constraint', c), config: c.getConfig() };
}
