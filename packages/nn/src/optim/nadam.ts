/**
 * NAdam, Adam with Nesterov momentum: `torch.optim.NAdam` (Dozat, 2016,
 * https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ; decoupled weight
 * decay as in Loshchilov & Hutter, https://arxiv.org/abs/1711.05101).
 */
import { zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, checkPair, lerpWeight, stepScalar, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface NAdamOptions {
  /** Learning rate. Default 2e-3. */
  lr: number;
  /** Decay rates of the moment averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** Weight decay. Default 0. */
  weightDecay: number;
  /** The momentum schedule's decay (psi). Default 4e-3. */
  momentumDecay: number;
  /** Shrink the weights directly (NAdamW) instead of adding an L2 term. Default false. */
  decoupledWeightDecay: boolean;
}

/**
 * PyTorch's update, step t: `mu_t = b1 * (1 - 0.5 * 0.96^(t * psi))`,
 * `muProduct *= mu_t`; `m = lerp(m, g, 1 - b1)`; `v = b2 * v + (1 - b2) * g^2`;
 * `denom = sqrt(v / (1 - b2^t)) + eps`;
 * `p -= lr * (1 - mu_t) / (1 - muProduct) * g / denom`
 * `   + lr * mu_{t+1} / (1 - muProduct * mu_{t+1}) * m / denom`.
 *
 * TensorFlow has no kernel with this momentum schedule (ResourceApplyAdam's
 * `use_nesterov` is the constant-momentum form), so these are elementwise
 * ops. `muProduct` is a number in the state (PyTorch: a 0-d float32 tensor;
 * it is rounded to float32 the same way).
 *
 * @example
 * ```ts
 * const optimizer = new optim.NAdam(model.parameters(), { lr: 2e-3 });
 * ```
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, withDefaults({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false }, options));
  }

  protected override validate(group: ParamGroup<NAdamOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    checkNumber(this, group, 'momentumDecay', (v) => v >= 0);
    checkPair(this, group, 'betas', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  }

  protected override isScalarState(key: string): boolean {
    return key === 'step' || key === 'muProduct';
  }

  protected update(group: ParamGroup<NAdamOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, betas: [b1, b2], eps, weightDecay, momentumDecay, decoupledWeightDecay } = group;
    // lr and beta1 change under schedulers: step scalars, not cached constants.
    const w1 = lerpWeight(1 - b1);
    const decay = weightDecay !== 0 && decoupledWeightDecay ? stepScalar(1 - lr * weightDecay) : null;
    params.forEach((p, i) => {
      const s = this.stateOf(p);
      if (s.expAvg === undefined) {
        s.step = 0;
        s.muProduct = 1;
        s.expAvg = zerosLike(p).keep();
        s.expAvgSq = zerosLike(p).keep();
      }
      const t = (s.step = (s.step as number) + 1);
      let g = grads[i]!;
      if (weightDecay !== 0) {
        if (decay !== null) p.mul_(decay);
        else g = g.add(p, { alpha: weightDecay });
      }
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
      const muProduct = (s.muProduct = Math.fround((s.muProduct as number) * Math.fround(mu)));
      const m = (s.expAvg as Tensor).lerp_(g, w1);
      const v = (s.expAvgSq as Tensor).mul_(b2).addcmul_(g, g, { value: 1 - b2 });
      const denom = v.div(stepScalar(1 - b2 ** t)).sqrt().add(eps);
      p.add_(g.div(denom).mul(stepScalar((-lr * (1 - mu)) / (1 - muProduct))));
      p.add_(m.div(denom).mul(stepScalar((-lr * muNext) / (1 - muProduct * muNext))));
    });
  }
}
