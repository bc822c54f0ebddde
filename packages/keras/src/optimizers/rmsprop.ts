/** `keras.optimizers.RMSprop` (Hinton, Lecture 6e). */
import { centeredRmspropStep_, rmspropStep_, type Tensor } from '@duet/core';
import type { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.9. */
  rho?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 1e-7, inside the square root (Keras's and TensorFlow's rule). */
  epsilon?: number;
  /** Default false. */
  centered?: boolean;
}

/**
 * Keras's rule: `v = rho v + (1 - rho) g^2`; `inc = lr g / sqrt(v + eps)`
 * (centered: `sqrt(v - avg^2 + eps)`); with momentum `m = momentum m + inc;
 * w -= m`, else `w -= inc`. One TensorFlow kernel per variable
 * (ResourceApplyRMSProp / ResourceApplyCenteredRMSProp, which compute
 * exactly this). Default learning rate 0.001.
 */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(options: RMSpropOptions = {}) {
    super(options, 0.001);
    this.rho = options.rho ?? 0.9;
    this.momentum = options.momentum ?? 0;
    this.epsilon = options.epsilon ?? 1e-7;
    this.centered = options.centered ?? false;
  }
  override build(variables: Variable[]): void {
    super.build(variables);
    this.addSlots('velocity', variables);
    // TF's kernels always keep a momentum slot; with momentum 0 it holds the last increment.
    this.addSlots('momentum', variables);
    if (this.centered) this.addSlots('averageGradient', variables);
  }
  protected updateStep(grads: Tensor[], variables: Variable[], lr: number): void {
    const o = { lr, rho: this.rho, momentum: this.momentum, eps: this.epsilon };
    if (this.centered) centeredRmspropStep_(variables, grads, this.slots('averageGradient', variables), this.slots('velocity', variables), this.slots('momentum', variables), o);
    else rmspropStep_(variables, grads, this.slots('velocity', variables), this.slots('momentum', variables), o);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
registerSerializable('optimizer', RMSprop);
