/** `keras.optimizers.Nadam`: Adam with Nesterov momentum (Dozat, 2016, https://openreview.net/pdf?id=OM0jvwB8jIp57ZJjtNEZ). */
import { type Tensor } from '@duet/core';
import type { Variable } from '../layers/variable.js';
import { registerSerializable } from '../registry.js';
import { Optimizer } from './optimizer.js';
import type { AdamOptions } from './adam.js';

const f = Math.fround;

/**
 * Keras's rule with its momentum schedule `u_t = b1 (1 - 0.5 * 0.96^t)`;
 * TensorFlow has no kernel for it, so it runs elementwise ops (the
 * step-dependent coefficients are computed on the host). Default learning
 * rate 0.001.
 */
export class Nadam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private uProduct = 1;
  constructor(options: Omit<AdamOptions, 'amsgrad'> = {}) {
    super(options, 0.001);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  override build(variables: Variable[]): void {
    super.build(variables);
    this.addSlots('momentum', variables);
    this.addSlots('velocity', variables);
  }
  protected updateStep(grads: Tensor[], variables: Variable[], lr: number): void {
    const t = this.iterations + 1;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const uT = f(b1 * f(1 - f(0.5 * f(Math.pow(0.96, t)))));
    const uT1 = f(b1 * f(1 - f(0.5 * f(Math.pow(0.96, t + 1)))));
    this.uProduct = f(this.uProduct * uT);
    const uProdT1 = f(this.uProduct * uT1);
    const b2Power = f(Math.pow(b2, t));
    const ms = this.slots('momentum', variables);
    const vs = this.slots('velocity', variables);
    variables.forEach((w, i) => {
      const g = grads[i]!;
      const m = ms[i]!.add_(g.sub(ms[i]!).mul(1 - b1));
      const v = vs[i]!.add_(g.square().sub(vs[i]!).mul(1 - b2));
      const mHat = m.mul(uT1 / (1 - uProdT1)).add(g.mul((1 - uT) / (1 - this.uProduct)));
      const vHat = v.div(1 - b2Power);
      w.sub_(mHat.mul(lr).div(vHat.sqrt().add(this.epsilon)));
    });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  override dispose(): void {
    super.dispose();
    this.uProduct = 1;
  }
}
registerSerializable('optimizer', Nadam);
