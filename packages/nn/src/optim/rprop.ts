/**
 * Rprop, resilient backpropagation: `torch.optim.Rprop` (Riedmiller & Braun,
 * 1993, https://doi.org/10.1109/ICNN.1993.298623). For full-batch training.
 */
import { fullLike, where, zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, checkPair, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface RpropOptions {
  /** The initial step size of every weight. Default 1e-2. */
  lr: number;
  /** [etaminus, etaplus]: step-size factors when the gradient's sign flips / stays. Default [0.5, 1.2]. */
  etas: [number, number];
  /** [min, max] step size. Default [1e-6, 50]. */
  stepSizes: [number, number];
}

/**
 * PyTorch's update, per weight: `s = sign(g * prev)`; the step size is
 * multiplied by `etaplus` (s > 0), `etaminus` (s < 0) or 1, then clamped to
 * `stepSizes`; where the sign flipped the gradient is taken as 0;
 * `p -= sign(g) * stepSize`; `prev = g`. Elementwise ops (no TensorFlow
 * kernel).
 *
 * @example
 * ```ts
 * const optimizer = new optim.Rprop(model.parameters(), { lr: 0.01, etas: [0.5, 1.2] });
 * ```
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: Params<RpropOptions>, options: Partial<RpropOptions> = {}) {
    super(params, withDefaults({ lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50] }, options));
  }

  protected override validate(group: ParamGroup<RpropOptions>): void {
    super.validate(group);
    checkPair(this, group, 'etas', (v, i) => (i === 0 ? v > 0 && v < 1 : v > 1), 'etaminus in (0, 1) and etaplus > 1');
    checkPair(this, group, 'stepSizes', (v) => v >= 0, 'a number >= 0');
  }

  protected update(group: ParamGroup<RpropOptions>, params: Tensor[], grads: Tensor[]): void {
    const { etas: [etaminus, etaplus], stepSizes: [lo, hi] } = group;
    params.forEach((p, i) => {
      const g = grads[i]!;
      const s = this.stateOf(p);
      if (s.prev === undefined) {
        s.step = 0;
        s.prev = zerosLike(p).keep();
        s.stepSize = fullLike(p, group.lr).keep();
      }
      s.step = (s.step as number) + 1;
      const sign = g.mul(s.prev as Tensor).sign();
      const factor = where(sign.lt(0), etaminus, where(sign.gt(0), etaplus, 1));
      const stepSize = (s.stepSize as Tensor).mul_(factor).clamp_(lo, hi);
      const gKept = g.maskedFill(factor.eq(etaminus), 0);
      p.addcmul_(gKept.sign(), stepSize, { value: -1 });
      (s.prev as Tensor).copy_(gKept);
    });
  }
}
