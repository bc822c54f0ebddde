/**
 * Adam: `torch.optim.Adam` (Kingma & Ba, 2014, https://arxiv.org/abs/1412.6980;
 * AMSGrad: Reddi et al., 2018, https://openreview.net/forum?id=ryQu7f-RZ).
 */
import { ArgumentError, adamStep_, slotLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** Weight decay. Default 0 (Adam), 1e-2 (AdamW). */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad: boolean;
  /** Decay the weights directly (AdamW) instead of adding an L2 term to the gradient. Default false (Adam), true (AdamW). */
  decoupledWeightDecay: boolean;
}

export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, decoupledWeightDecay: false };

/**
 * PyTorch's update, step t: `g += weightDecay * p` (or, decoupled,
 * `p *= 1 - lr * weightDecay`); `m = b1 * m + (1 - b1) * g`;
 * `v = b2 * v + (1 - b2) * g^2`;
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * One TensorFlow kernel per parameter (ResourceApplyAdam or
 * ResourceApplyAdamWithAmsgrad, with eps scaled to give PyTorch's update).
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
 * // or with per-group options:
 * new optim.Adam([{ params: model.fc1.parameters() }, { params: model.fc2.parameters(), lr: 1e-4 }], { lr: 1e-3 });
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, withDefaults(ADAM_DEFAULTS, options));
  }

  protected override validate(group: ParamGroup<AdamOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    const b = group.betas;
    if (!Array.isArray(b) || b.length !== 2) throw new ArgumentError(`${this.constructor.name}: invalid betas: expected [beta1, beta2], received ${JSON.stringify(b)}.`);
    b.forEach((x, i) => {
      if (typeof x !== 'number' || !(x >= 0 && x < 1)) throw new ArgumentError(`${this.constructor.name}: invalid beta parameter at index ${i}: expected a number in [0, 1), received ${x}.`);
    });
  }

  protected update(group: ParamGroup<AdamOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, betas, eps, weightDecay, amsgrad, decoupledWeightDecay } = group;
    let gs = grads;
    // AdamW's decay (p *= 1 - lr * weightDecay) runs inside the Adam kernel (adamStep_'s `decay`).
    const decay = weightDecay !== 0 && decoupledWeightDecay ? 1 - lr * weightDecay : undefined;
    if (weightDecay !== 0 && !decoupledWeightDecay) gs = grads.map((g, i) => g.add(params[i]!, { alpha: weightDecay }));
    // Parameters at the same step share the bias corrections: one call per distinct step.
    const byStep = this.advanceSteps(params, (s, p) => {
      if (s.expAvg === undefined) {
        s.step = 0;
        s.expAvg = slotLike(p);
        s.expAvgSq = slotLike(p);
      }
      if (amsgrad && s.maxExpAvgSq === undefined) s.maxExpAvgSq = slotLike(p);
    });
    for (const [step, idx] of byStep) {
      const ps = idx.map((i) => params[i]!);
      const slot = (k: string) => ps.map((p) => this.state.get(p)![k] as Tensor);
      adamStep_(ps, idx.map((i) => gs[i]!), slot('expAvg'), slot('expAvgSq'),
        { lr, beta1: betas[0], beta2: betas[1], eps, step, epsMode: 'torch', amsgrad, ...(decay === undefined ? {} : { decay }) },
        amsgrad ? slot('maxExpAvgSq') : undefined);
    }
  }
}
