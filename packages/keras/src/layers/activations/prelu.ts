/** `keras.layers.PReLU`: a leaky ReLU whose slope `alpha` is learned, one per input element (or shared along `sharedAxes`). */
import type { Tensor } from '@duet/core';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints/constraint.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers/regularizer.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { InputSpec } from '../input_spec.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

export interface PReLUOptions extends LayerOptions {
  /** Default 'zeros'. */
  alphaInitializer?: InitializerIdentifier;
  alphaRegularizer?: RegularizerIdentifier;
  alphaConstraint?: ConstraintIdentifier;
  /** 1-based axes (not the batch axis) along which one alpha is shared, e.g. `[1, 2]` for images. */
  sharedAxes?: number | number[] | null;
}

/** `relu(x) - alpha * relu(-x)`. */
export class PReLU extends Layer {
  readonly alphaInitializer: Initializer;
  readonly alphaRegularizer: Regularizer | null;
  readonly alphaConstraint: Constraint | null;
  readonly sharedAxes: number[] | null;
  alpha: Variable | null = null;
  constructor(options: PReLUOptions = {}) {
    super(options);
    this.supportsMasking = true;
    this.alphaInitializer = getInitializer(options.alphaInitializer ?? 'zeros');
    this.alphaRegularizer = getRegularizer(options.alphaRegularizer);
    this.alphaConstraint = getConstraint(options.alphaConstraint);
    const s = options.sharedAxes ?? null;
    this.sharedAxes = s === null ? null : Array.isArray(s) ? [...s] : [s];
  }
  override build(inputShape: Shape): void {
    const shape = inputShape.slice(1).map((d) => d ?? 1);
    for (const a of this.sharedAxes ?? []) shape[a - 1] = 1;
    this.alpha = this.addWeight({ name: 'alpha', shape, initializer: this.alphaInitializer, regularizer: this.alphaRegularizer, constraint: this.alphaConstraint });
    const axes: Record<number, number> = {};
    for (let i = 1; i < inputShape.length; i++) if (!(this.sharedAxes ?? []).includes(i) && inputShape[i] !== null) axes[i] = inputShape[i]!;
    this.inputSpec = new InputSpec({ ndim: inputShape.length, axes });
  }
  override call(x: Tensor): Tensor {
    return x.relu().sub(x.neg().relu().mul(this.alpha!));
  }
  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      alphaInitializer: serializeInitializer(this.alphaInitializer),
      alphaRegularizer: serializeRegularizer(this.alphaRegularizer),
      alphaConstraint: serializeConstraint(this.alphaConstraint),
      sharedAxes: this.sharedAxes,
    };
  }
}
registerSerializable('layer', PReLU);
