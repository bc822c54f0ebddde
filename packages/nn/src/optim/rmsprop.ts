/**
 * RMSprop: `torch.optim.RMSprop` (Hinton, Lecture 6e of "Neural Networks for
 * Machine Learning", https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf;
 * centered version: Graves, 2013, https://arxiv.org/abs/1308.0850).
 */
import { adamStep_, slotLike, zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, stepScalar, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** Smoothing constant of the squared-gradient average. Default 0.99. */
  alpha: number;
  /** Added to the denominator (outside the square root, like PyTorch). Default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Normalize by the estimated variance of the gradient instead of its second moment. Default false. */
  centered: boolean;
}

/**
 * PyTorch's update: `v = alpha * v + (1 - alpha) * g^2`;
 * `avg = sqrt(v - (centered ? gAvg^2 : 0)) + eps`; with momentum
 * `buf = momentum * buf + g / avg; p -= lr * buf`, else `p -= lr * g / avg`.
 *
 * TensorFlow's RMSProp kernel puts eps inside the square root, so it is not
 * used. Without momentum and centering, the update is TensorFlow's Adam
 * kernel with beta1 = 0 and both bias corrections 1 (one kernel per
 * parameter: `m` becomes g, `v` is PyTorch's `square_avg`, and
 * `p -= lr * m / (sqrt(v) + eps)`); the kernel needs an extra scratch slot
 * per parameter. With momentum or centering it runs elementwise ops.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.RMSprop(model.parameters(), { lr: 0.01, momentum: 0.9 });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  /** The Adam kernel's first-moment slot, overwritten with g every step (not part of PyTorch's state). */
  private scratch: Map<Tensor, Tensor> | undefined;

  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, withDefaults({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, options));
  }

  protected override validate(group: ParamGroup<RMSpropOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'alpha', (v) => v >= 0);
    checkNumber(this, group, 'eps', (v) => v >= 0);
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    checkNumber(this, group, 'momentum', (v) => v >= 0);
  }

  protected update(group: ParamGroup<RMSpropOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = group;
    const gs = weightDecay !== 0 ? grads.map((g, i) => g.add(params[i]!, { alpha: weightDecay })) : grads;
    const states = params.map((p) => {
      const s = this.stateOf(p);
      if (s.squareAvg === undefined) {
        s.step = 0;
        s.squareAvg = zerosLike(p).keep(); // becomes a TF variable on the kernel path's first use
      }
      if (momentum > 0 && s.momentumBuffer === undefined) s.momentumBuffer = zerosLike(p).keep();
      if (centered && s.gradAvg === undefined) s.gradAvg = zerosLike(p).keep();
      s.step = (s.step as number) + 1;
      return s;
    });
    if (momentum === 0 && !centered) {
      const scratch = (this.scratch ??= new Map());
      const ms = params.map((p) => scratch.get(p) ?? scratch.set(p, slotLike(p)).get(p)!);
      // step = Infinity: beta^step = 0, so lr_t = lr and eps stays as given ('keras' mode adds it to sqrt(v)).
      adamStep_(params, gs, ms, states.map((s) => s.squareAvg as Tensor), { lr, beta1: 0, beta2: alpha, eps, step: Infinity, epsMode: 'keras' });
      return;
    }
    // lr and momentum change under schedulers: step scalars, not cached constants.
    const lrT = stepScalar(lr);
    const momT = momentum > 0 ? stepScalar(momentum) : null;
    params.forEach((p, i) => {
      const g = gs[i]!;
      const s = states[i]!;
      const v = (s.squareAvg as Tensor).mul_(alpha).add_(g.square().mul(1 - alpha));
      let avg: Tensor;
      if (centered) {
        const gAvg = (s.gradAvg as Tensor).add_(g.sub(s.gradAvg as Tensor).mul(1 - alpha));
        avg = v.sub(gAvg.square()).sqrt().add(eps);
      } else avg = v.sqrt().add(eps);
      if (momT !== null) {
        const buf = (s.momentumBuffer as Tensor).mul_(momT).add_(g.div(avg));
        p.sub_(buf.mul(lrT));
      } else p.sub_(g.div(avg).mul(lrT));
    });
  }

  protected override onStateLoaded(): void {
    if (this.scratch !== undefined) for (const t of this.scratch.values()) t.dispose();
    this.scratch = undefined;
  }
}
