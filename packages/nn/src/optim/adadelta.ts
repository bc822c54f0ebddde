/**
 * Adadelta: `torch.optim.Adadelta` (Zeiler, 2012, https://arxiv.org/abs/1212.5701).
 * The official PyTorch MNIST example trains with `Adadelta(params, lr=1.0)`.
 */
import { adadeltaStep_, slotLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface AdadeltaOptions {
  /** Scales the delta before it is applied. Default 1.0. */
  lr: number;
  /** Decay of the running averages of squared gradients and squared deltas. Default 0.9. */
  rho: number;
  /** Added inside both square roots. Default 1e-6. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
}

/**
 * PyTorch's update: `sq = rho*sq + (1-rho)*g^2`;
 * `d = sqrt(acc + eps) / sqrt(sq + eps) * g`; `acc = rho*acc + (1-rho)*d^2`;
 * `p -= lr * d`. TensorFlow's ResourceApplyAdadelta computes exactly this
 * (lr outside, eps inside both roots), so it is one kernel per parameter.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
 * const scheduler = new optim.lrScheduler.StepLR(optimizer, 1, { gamma: 0.7 });
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, withDefaults({ lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 }, options));
  }

  protected override validate(group: ParamGroup<AdadeltaOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'rho', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
  }

  protected update(group: ParamGroup<AdadeltaOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, rho, eps, weightDecay } = group;
    const gs = weightDecay !== 0 ? grads.map((g, i) => g.add(params[i]!, { alpha: weightDecay })) : grads;
    const states = params.map((p) => {
      const s = this.stateOf(p);
      if (s.squareAvg === undefined) {
        s.step = 0;
        s.squareAvg = slotLike(p);
        s.accDelta = slotLike(p);
      }
      s.step = (s.step as number) + 1;
      return s;
    });
    adadeltaStep_(params, gs, states.map((s) => s.squareAvg as Tensor), states.map((s) => s.accDelta as Tensor), { lr, rho, eps });
  }
}
