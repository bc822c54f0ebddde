/** `keras.optimizers.SGD`: gradient descent with Keras's momentum form. */
import { kerasMomentumStep_, sgdStep_, type Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import type { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Default 0. */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

/**
 * Keras's rule: without momentum `w -= lr * g`; with it
 * `m = momentum * m - lr * g; w += m` (nesterov: `w += momentum * m - lr * g`).
 * One TensorFlow kernel per variable (ResourceApplyGradientDescent /
 * ResourceApplyKerasMomentum). Default learning rate 0.01.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(options: SGDOptions = {}) {
    super(options, 0.01);
    const m = options.momentum ?? 0;
    if (typeof m !== 'number' || m < 0 || m > 1) throw new KerasValueError(`\`momentum\` must be a float between [0, 1]. Received: momentum=${String(m)} (of type ${typeof m})`);
    this.momentum = m;
    this.nesterov = options.nesterov ?? false;
  }
  override build(variables: Variable[]): void {
    super.build(variables);
    if (this.momentum !== 0) this.addSlots('momentum', variables);
  }
  protected updateStep(grads: Tensor[], variables: Variable[], lr: number): void {
    if (this.momentum === 0) sgdStep_(variables, grads, lr);
    else kerasMomentumStep_(variables, grads, this.slots('momentum', variables), { lr, momentum: this.momentum, nesterov: this.nesterov });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
registerSerializable('optimizer', SGD);
