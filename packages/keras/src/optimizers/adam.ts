/** `keras.optimizers.Adam` and `AdamW` (Kingma & Ba, https://arxiv.org/abs/1412.6980). */
import { adamStep_, type Tensor } from '@duet/core';
import type { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras's, added to sqrt(v), not to the bias-corrected one as PyTorch does). */
  epsilon?: number;
  /** Default false. */
  amsgrad?: boolean;
}

/**
 * Keras's rule at step t: `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
 * `w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`: exactly
 * TensorFlow's ResourceApplyAdam, one kernel per variable. Default
 * learning rate 0.001.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(options: AdamOptions = {}) {
    super(options, 0.001);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.amsgrad = options.amsgrad ?? false;
  }
  override build(variables: Variable[]): void {
    super.build(variables);
    this.addSlots('momentum', variables);
    this.addSlots('velocity', variables);
    if (this.amsgrad) this.addSlots('velocityHat', variables);
  }
  protected updateStep(grads: Tensor[], variables: Variable[], lr: number): void {
    adamStep_(variables, grads, this.slots('momentum', variables), this.slots('velocity', variables),
      { lr, beta1: this.beta1, beta2: this.beta2, eps: this.epsilon, step: this.iterations + 1, epsMode: 'keras', amsgrad: this.amsgrad },
      this.amsgrad ? this.slots('velocityHat', variables) : undefined);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Adam with decoupled weight decay (default `weightDecay` 0.004, Keras's): `w -= w * weightDecay * lr` before each update. */
export class AdamW extends Adam {
  constructor(options: AdamOptions = {}) {
    super({ ...options, weightDecay: options.weightDecay ?? 0.004 });
  }
}
registerSerializable('optimizer', Adam);
registerSerializable('optimizer', AdamW);
