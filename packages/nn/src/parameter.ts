/**
 * `nn.Parameter`: a Tensor that a Module registers as one of its parameters
 * (like `torch.nn.Parameter`). It requires grad by default and is always
 * kept: never released automatically at a step boundary.
 */
import { Tensor, toTf } from '@duet/core';

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
