/**
 * Adagrad: `torch.optim.Adagrad` (Duchi et al., 2011,
 * https://jmlr.org/papers/v12/duchi11a.html).
 */
import { adagradStep_, slotLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface AdagradOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** Learning-rate decay: step t uses `lr / (1 + (t - 1) * lrDecay)`. Default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients. Default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator. Default 1e-10. */
  eps: number;
}

/**
 * PyTorch's update: `sum += g^2; p -= clr * g / (sqrt(sum) + eps)` with
 * `clr = lr / (1 + (step - 1) * lrDecay)`. One TensorFlow kernel per
 * parameter (ResourceApplyAdagradV2). Like PyTorch, the state (`sum`,
 * `step`) exists from construction.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.Adagrad(model.parameters(), { lr: 0.01 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, withDefaults({ lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 }, options));
    for (const group of this.paramGroups) for (const p of group.params) this.initState(p, group);
  }

  protected override validate(group: ParamGroup<AdagradOptions>): void {
    super.validate(group);
    for (const k of ['lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) checkNumber(this, group, k, (v) => v >= 0);
  }

  private initState(p: Tensor, group: ParamGroup<AdagradOptions>): void {
    const s = this.stateOf(p);
    if (s.sum !== undefined) return;
    s.step = 0;
    s.sum = slotLike(p, group.initialAccumulatorValue);
  }

  protected update(group: ParamGroup<AdagradOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, lrDecay, weightDecay, eps } = group;
    const gs = weightDecay !== 0 ? grads.map((g, i) => g.add(params[i]!, { alpha: weightDecay })) : grads;
    // Parameters at the same step share one learning rate: one call per distinct step.
    const byStep = this.advanceSteps(params, (_s, p) => this.initState(p, group));
    for (const [step, idx] of byStep) {
      const ps = idx.map((i) => params[i]!);
      const clr = lr / (1 + (step - 1) * lrDecay);
      adagradStep_(ps, idx.map((i) => gs[i]!), ps.map((p) => this.state.get(p)!.sum as Tensor), { lr: clr, eps });
    }
  }
}
