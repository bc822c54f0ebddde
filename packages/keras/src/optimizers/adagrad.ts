/** `keras.optimizers.Adagrad` (Duchi et al., https://jmlr.org/papers/v12/duchi11a.html). */
import { adagradStep_, type Tensor } from '@duet/core';
import type { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.1. */
  initialAccumulatorValue?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/**
 * `acc += g^2; w -= lr g / sqrt(acc + eps)` in Keras. Duet runs TensorFlow's
 * ResourceApplyAdagradV2 (one kernel), which adds eps outside the root:
 * `lr g / (sqrt(acc) + eps)`. With the accumulator starting at 0.1 the two
 * differ by less than 1e-6 relative (within float32 noise of the golden
 * test). Default learning rate 0.001.
 */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(options: AdagradOptions = {}) {
    super(options, 0.001);
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  override build(variables: Variable[]): void {
    super.build(variables);
    this.addSlots('accumulator', variables, this.initialAccumulatorValue);
  }
  protected updateStep(grads: Tensor[], variables: Variable[], lr: number): void {
    adagradStep_(variables, grads, this.slots('accumulator', variables), { lr, eps: this.epsilon });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
registerSerializable('optimizer', Adagrad);
