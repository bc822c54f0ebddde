/**
 * Stochastic gradient descent, with momentum and Nesterov momentum:
 * `torch.optim.SGD` (Sutskever et al., 2013,
 * http://www.cs.toronto.edu/~hinton/absps/momentum.pdf).
 */
import { ArgumentError, momentumStep_, sgdStep_, slotLike, type Tensor } from '@duet/core';
import { Optimizer, checkNumber, withDefaults, type ParamGroup, type Params } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate. Default 1e-3 (PyTorch's). */
  lr: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Dampening for momentum. Default 0. */
  dampening: number;
  /** L2 penalty added to the gradient (`g + weightDecay * p`). Default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
}

/**
 * PyTorch's update: `g += weightDecay * p`; with momentum,
 * `buf = momentum * buf + (1 - dampening) * g` (`buf = g` on the first step)
 * and `g = nesterov ? g + momentum * buf : buf`; then `p -= lr * g`.
 * One TensorFlow kernel per parameter (ResourceApplyGradientDescent or
 * ResourceApplyMomentum).
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * optimizer.zeroGrad();
 * lossFn.forward(model.forward(x), y).backward();
 * optimizer.step();
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, withDefaults({ lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }, options));
  }

  protected override validate(group: ParamGroup<SGDOptions>): void {
    super.validate(group);
    checkNumber(this, group, 'momentum', (v) => v >= 0);
    checkNumber(this, group, 'dampening', () => true, 'a number');
    checkNumber(this, group, 'weightDecay', (v) => v >= 0);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new ArgumentError(`SGD: Nesterov momentum requires a momentum and zero dampening (received momentum=${group.momentum}, dampening=${group.dampening}).`);
    }
  }

  protected update(group: ParamGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = group;
    const gs = weightDecay !== 0 ? grads.map((g, i) => g.add(params[i]!, { alpha: weightDecay })) : grads;
    if (momentum === 0) {
      sgdStep_(params, gs, lr);
      return;
    }
    // A new buffer starts at zero, so the kernel makes it equal to g (PyTorch's first step, no dampening).
    const fresh: number[] = [];
    const old: number[] = [];
    params.forEach((p, i) => {
      const s = this.stateOf(p);
      if (s.momentumBuffer === undefined) {
        s.momentumBuffer = slotLike(p);
        fresh.push(i);
      } else old.push(i);
    });
    const run = (idx: number[], scale: number) => {
      if (idx.length === 0) return;
      const ps = idx.map((i) => params[i]!);
      const g = idx.map((i) => (scale === 1 ? gs[i]! : gs[i]!.mul(scale)));
      momentumStep_(ps, g, ps.map((p) => this.state.get(p)!.momentumBuffer as Tensor), { lr, momentum, nesterov });
    };
    run(fresh, 1);
    run(old, 1 - dampening);
  }
}
