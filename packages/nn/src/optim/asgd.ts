/**
 * ASGD, averaged stochastic gradient descent: `torch.optim.ASGD`
 * (Polyak & Juditsky, 1992, https://doi.org/10.1137/0330046).
 */
import { zerosLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, stepScalar, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface ASGDOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** Decay term. Default 1e-4. */
  lambd: number;
  /** Power of the eta update. Default 0.75. */
  alpha: number;
  /** The step at which averaging starts. Default 1e6. */
  t0: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
}

/**
 * PyTorch's update, step t: `p *= 1 - lambd * eta`; `p -= eta * g`;
 * `ax += mu * (p - ax)` (`ax = p` while mu is 1);
 * `eta = lr / (1 + lambd * lr * t)^alpha`; `mu = 1 / max(1, t - t0)`.
 * The averaged weights are in `optimizer.state.get(p).ax`. `eta` and `mu` are
 * numbers in the state (PyTorch: 0-d float32 tensors; rounded the same way).
 *
 * @example
 * ```ts
 * const optimizer = new optim.ASGD(model.parameters(), { lr: 0.01, t0: 100 });
 * ```
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: Params<ASGDOptions>, options: Partial<ASGDOptions> = {}) {
    super(params, withDefaults({ lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0 }, options));
  }

  protected override validate(group: ParamGroup<ASGDOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'lambd', (v) => v >= 0);
    checkNumber(this, group, 'alpha', () => true, 'a number');
    checkNumber(this, group, 't0', () => true, 'a number');
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
  }

  protected override isScalarState(key: string): boolean {
    return key === 'step' || key === 'eta' || key === 'mu';
  }

  protected update(group: ParamGroup<ASGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, lambd, alpha, t0, weightDecay } = group;
    params.forEach((p, i) => {
      const s = this.stateOf(p);
      if (s.ax === undefined) {
        s.step = 0;
        s.eta = Math.fround(lr);
        s.mu = 1;
        s.ax = zerosLike(p).keep();
      }
      const t = (s.step = (s.step as number) + 1);
      const g = weightDecay !== 0 ? grads[i]!.add(p, { alpha: weightDecay }) : grads[i]!;
      const eta = s.eta as number;
      p.mul_(stepScalar(1 - lambd * eta)).sub_(g.mul(stepScalar(eta)));
      const ax = s.ax as Tensor;
      if (s.mu !== 1) ax.add_(p.sub(ax).mul(stepScalar(s.mu as number)));
      else ax.copy_(p);
      s.eta = Math.fround(lr / (1 + lambd * lr * t) ** alpha);
      s.mu = Math.fround(1 / Math.max(1, t - t0));
    });
  }
}
