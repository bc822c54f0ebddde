/**
 * Activation modules (`nn.ReLU`, `nn.GELU`, ...): one native kernel each
 * where TF has one. The examples assume
 * `import { tensor } from '@duet/core'` and `import { nn } from '@duet/nn'`.
 */
import type { Tensor } from '@duet/core';
import { Module } from '../module.js';
import { pyFloat } from './repr.js';

/**
 * max(x, 0).
 *
 * @example
 * ```ts
 * new nn.ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
/**
 * min(max(x, 0), 6).
 *
 * @example
 * ```ts
 * new nn.ReLU6().forward(tensor([-1, 7])).toArray(); // [0, 6]
 * ```
 */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return x.clamp(0, 6);
  }
}
/**
 * x for x > 0, negativeSlope * x otherwise (default slope 0.01).
 *
 * @example
 * ```ts
 * new nn.LeakyReLU(0.1).forward(tensor([-1, 2])).toArray(); // [-0.1, 2]
 * ```
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}
/**
 * x for x > 0, alpha * (exp(x) - 1) otherwise.
 *
 * @example
 * ```ts
 * new nn.ELU().forward(tensor([0, 1])).toArray(); // [0, 1]
 * ```
 */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.elu(this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}
/**
 * x * Phi(x) (exact, erf), or the tanh approximation.
 *
 * @example
 * ```ts
 * new nn.GELU({ approximate: 'tanh' }).forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }
  forward(x: Tensor): Tensor {
    return x.gelu({ approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
/**
 * x * sigmoid(x) (swish).
 *
 * @example
 * ```ts
 * new nn.SiLU().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}
/**
 * 1 / (1 + exp(-x)).
 *
 * @example
 * ```ts
 * new nn.Sigmoid().forward(tensor([0])).toArray(); // [0.5]
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts
 * new nn.Tanh().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
/**
 * log(1 + exp(beta x)) / beta, linear where beta x > threshold.
 *
 * @example
 * ```ts
 * new nn.Softplus().forward(tensor([30])).toArray(); // [30]
 * ```
 */
export class Softplus extends Module {
  constructor(readonly beta = 1, readonly threshold = 20) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softplus({ beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)}`;
  }
}
/**
 * Softmax over `dim` (required, as PyTorch recommends).
 *
 * @example
 * ```ts
 * new nn.Softmax(1).forward(tensor([[1, 1]])).toArray(); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
/**
 * log(softmax(x)) over `dim`, computed stably.
 *
 * @example
 * ```ts
 * new nn.LogSoftmax(1).forward(tensor([[0, 0]])).shape; // [1, 2]
 * ```
 */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
