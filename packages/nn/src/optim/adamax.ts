/**
 * Adamax, Adam with the infinity norm: `torch.optim.Adamax`
 * (Kingma & Ba, 2014, section 7.1, https://arxiv.org/abs/1412.6980).
 */
import { zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, checkPair, lerpWeight, stepScalar, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface AdamaxOptions {
  /** Learning rate. Default 2e-3. */
  lr: number;
  /** Decay of the first moment and of the infinity norm. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to |g| before the maximum. Default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
}

/**
 * PyTorch's update: `m = lerp(m, g, 1 - b1)`; `u = max(b2 * u, |g| + eps)`;
 * `p -= lr / (1 - b1^t) * m / u`.
 *
 * TensorFlow's ResourceApplyAdaMax is not used: it computes
 * `u = max(b2 * u, |g|)` and divides by `u + eps`, so its state and its
 * update differ from PyTorch's whenever eps matters. These are ~10
 * elementwise kernels per parameter.
 *
 * @example
 * ```ts
 * const optimizer = new optim.Adamax(model.parameters(), { lr: 2e-3 });
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, withDefaults({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options));
  }

  protected override validate(group: ParamGroup<AdamaxOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    checkPair(this, group, 'betas', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  }

  protected update(group: ParamGroup<AdamaxOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, betas: [b1, b2], eps, weightDecay } = group;
    const w1 = lerpWeight(1 - b1);
    params.forEach((p, i) => {
      const g = weightDecay !== 0 ? grads[i]!.add(p, { alpha: weightDecay }) : grads[i]!;
      const s = this.stateOf(p);
      if (s.expAvg === undefined) {
        s.step = 0;
        s.expAvg = zerosLike(p).keep();
        s.expInf = zerosLike(p).keep();
      }
      const step = (s.step = (s.step as number) + 1);
      const m = (s.expAvg as Tensor).lerp_(g, w1);
      const u = (s.expInf as Tensor).mul_(b2).maximum_(g.abs().add(eps));
      p.sub_(m.div(u).mul(stepScalar(lr / (1 - b1 ** step))));
    });
  }
}
