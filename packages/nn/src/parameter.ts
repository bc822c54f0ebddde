/**
 * `nn.Parameter`: a Tensor that a Module registers as one of its parameters
 * (like `torch.nn.Parameter`). It requires grad by default and is always
 * kept: never released automatically at a step boundary.
 */
import { Tensor, full, toTf, zeros } from '@duet/core';

export class Parameter extends Tensor {
  /**
   * A parameter holding a copy of `data`'s values (`data` itself stays
   * yours and unchanged).
   *
   * @example
   * ```ts
   * import { zeros } from '@duet/core';
   * import { nn } from '@duet/nn';
   * const bias = new nn.Parameter(zeros([10]));
   * bias.requiresGrad; // true
   * ```
   */
  constructor(data: Tensor, requiresGrad = true) {
    super(toTf(data));
    this.keep();
    if (requiresGrad) this.requiresGrad_(true);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** @internal a Parameter made from a fresh tensor, releasing that tensor (layers' own weights). */
export function ownParameter(fresh: Tensor, requiresGrad = true): Parameter {
  const p = new Parameter(fresh, requiresGrad);
  fresh.dispose();
  return p;
}

/**
 * PyTorch's `nn.UninitializedParameter`: the parameter of a lazy module
 * (`nn.LazyLinear`, ...) before its first call. It holds no values (shape
 * `[0]`); the module replaces it with a `Parameter` of the inferred shape
 * at its first forward, or when a state dict is loaded into it. Optimizers
 * refuse it: run a forward pass with a dummy batch first (PyTorch's "dry
 * run"), then create the optimizer (docs/nn.md, "Lazy layers").
 */
export class UninitializedParameter extends Parameter {
  constructor(requiresGrad = true) {
    const empty = zeros([0]);
    super(empty, requiresGrad);
    empty.dispose();
  }
  /** A new `Parameter` of `shape` (zeros; the module initialises it), with this one's `requiresGrad`; this one is released. */
  materialize(shape: readonly number[]): Parameter {
    const p = ownParameter(zeros([...shape]), this.requiresGrad);
    this.dispose();
    return p;
  }
  override toString(): string {
    return '<UninitializedParameter>';
  }
}

/** PyTorch's `nn.UninitializedBuffer`: a lazy module's buffer (BatchNorm's running statistics) before its first call. */
export class UninitializedBuffer extends Tensor {
  constructor() {
    const empty = zeros([0]);
    super(toTf(empty));
    empty.dispose();
    this.keep();
  }
  /** A new buffer of `shape` filled with `fill`; this one is released. */
  materialize(shape: readonly number[], fill = 0): Tensor {
    const t = fill === 0 ? zeros([...shape]) : full([...shape], fill);
    this.dispose();
    return t;
  }
  override toString(): string {
    return '<UninitializedBuffer>';
  }
}

/** PyTorch's `nn.parameter.is_lazy`: an uninitialised parameter or buffer. */
export function isLazy(t: unknown): t is UninitializedParameter | UninitializedBuffer {
  return t instanceof UninitializedParameter || t instanceof UninitializedBuffer;
}
