/**
 * One weight's settings as Keras layers take them: `<name>Initializer`,
 * `<name>Regularizer` and `<name>Constraint` in the options (`kernel`,
 * `bias`, `depthwise`, ...). Layers resolve them once in the constructor,
 * hand them to `addWeight` as they are, and write them back in `getConfig`.
 */
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/constraint.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/regularizer.js';

/** The three options of weight `P` (e.g. `kernelInitializer`, `kernelRegularizer`, `kernelConstraint`). */
export type WeightOptions<P extends string> = { [K in `${P}Initializer`]?: InitializerIdentifier } & { [K in `${P}Regularizer`]?: RegularizerIdentifier } & {
  [K in `${P}Constraint`]?: ConstraintIdentifier;
};

/** Resolved settings; the keys are `addWeight`'s, so `addWeight({ name, shape, ...settings })`. */
export interface WeightSettings {
  readonly initializer: Initializer;
  readonly regularizer: Regularizer | null;
  readonly constraint: Constraint | null;
}

/** Resolve weight `prefix`'s options (by name or object), with Keras's default initializer for it. */
export function weightSettings<P extends string>(options: WeightOptions<P>, prefix: P, defaultInitializer: InitializerIdentifier): WeightSettings {
  const o = options as Record<string, unknown>;
  return {
    initializer: getInitializer((o[`${prefix}Initializer`] as InitializerIdentifier | undefined) ?? defaultInitializer),
    regularizer: getRegularizer(o[`${prefix}Regularizer`] as RegularizerIdentifier | undefined),
    constraint: getConstraint(o[`${prefix}Constraint`] as ConstraintIdentifier | undefined),
  };
}

/** The config entries of weight `prefix` (`getConfig`), serialized as Keras writes them. */
export function weightConfig(prefix: string, s: WeightSettings): Record<string, unknown> {
  return {
    [`${prefix}Initializer`]: serializeInitializer(s.initializer),
    [`${prefix}Regularizer`]: serializeRegularizer(s.regularizer),
    [`${prefix}Constraint`]: serializeConstraint(s.constraint),
  };
}

/**
 * The config entries of several weights in the order Keras's layers that
 * own several write them: every initializer, then every regularizer, then
 * every constraint (MultiHeadAttention's `kernel_initializer`,
 * `bias_initializer`, `kernel_regularizer`, ...). `.keras` files written by
 * Duet keep Keras's key order, so the order is part of the format.
 */
export function weightConfigs(weights: Record<string, WeightSettings>): Record<string, unknown> {
  const each = Object.entries(weights).map(([prefix, s]) => Object.entries(weightConfig(prefix, s)));
  const out: Record<string, unknown> = {};
  for (let part = 0; part < 3; part++) for (const entries of each) out[entries[part]![0]] = entries[part]![1];
  return out;
}
