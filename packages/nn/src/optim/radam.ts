/**
 * RAdam, Adam with a rectified adaptive learning rate: `torch.optim.RAdam`
 * (Liu et al., 2020, https://arxiv.org/abs/1908.03265).
 */
import { zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, checkPair, lerpWeight, stepScalar, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface RAdamOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Decay rates of the moment averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** Weight decay. Default 0. */
  weightDecay: number;
  /** Shrink the weights directly (RAdamW) instead of adding an L2 term. Default false. */
  decoupledWeightDecay: boolean;
}

/**
 * PyTorch's update, step t: `m = lerp(m, g, 1 - b1)`; `v = b2 * v + (1 - b2) * g^2`;
 * `rhoInf = 2 / (1 - b2) - 1`, `rho_t = rhoInf - 2 t b2^t / (1 - b2^t)`;
 * if `rho_t > 5`: `p -= lr * m / (1 - b1^t) * rect * sqrt(1 - b2^t) / (sqrt(v) + eps)`
 * with `rect = sqrt((rho_t - 4)(rho_t - 2) rhoInf / ((rhoInf - 4)(rhoInf - 2) rho_t))`;
 * else (the first steps) `p -= lr * m / (1 - b1^t)`. No TensorFlow kernel has
 * the rectification: elementwise ops.
 *
 * @example
 * ```ts
 * const optimizer = new optim.RAdam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super(params, withDefaults({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false }, options));
  }

  protected override validate(group: ParamGroup<RAdamOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    checkPair(this, group, 'betas', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  }

  protected update(group: ParamGroup<RAdamOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, betas: [b1, b2], eps, weightDecay, decoupledWeightDecay } = group;
    const rhoInf = 2 / (1 - b2) - 1;
    // lr and beta1 change under schedulers: step scalars, not cached constants.
    const w1 = lerpWeight(1 - b1);
    const decay = weightDecay !== 0 && decoupledWeightDecay ? stepScalar(1 - lr * weightDecay) : null;
    const lrT = stepScalar(lr);
    params.forEach((p, i) => {
      const s = this.stateOf(p);
      if (s.expAvg === undefined) {
        s.step = 0;
        s.expAvg = zerosLike(p).keep();
        s.expAvgSq = zerosLike(p).keep();
      }
      const t = (s.step = (s.step as number) + 1);
      let g = grads[i]!;
      if (weightDecay !== 0) {
        if (decay !== null) p.mul_(decay);
        else g = g.add(p, { alpha: weightDecay });
      }
      const m = (s.expAvg as Tensor).lerp_(g, w1);
      const v = (s.expAvgSq as Tensor).mul_(b2).addcmul_(g, g, { value: 1 - b2 });
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
      const corrected = m.div(stepScalar(bc1));
      if (rhoT > 5) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        const adaptive = v.sqrt().add(eps).reciprocal().mul(stepScalar(Math.sqrt(bc2)));
        p.sub_(corrected.mul(lrT).mul(adaptive).mul(stepScalar(rect)));
      } else p.sub_(corrected.mul(lrT));
    });
  }
}
