/**
 * `grad(output, inputs)`: the gradients of `output` with respect to
 * `inputs`, returned instead of accumulated into `.grad` (PyTorch's
 * `torch.autograd.grad`; what TensorFlow's `tape.gradient(loss, variables)`
 * returns). Every op records its graph while grad mode is on, so no tape
 * has to be opened first: compute, then ask for the gradients.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2, 3], { requiresGrad: true });
 * const [dw] = grad(w.square().sum(), [w]); // [2, 4, 6]; w.grad stays null
 * ```
 */
import { gradients, type BackwardOptions } from './autograd.js';
import { AutogradError } from './errors.js';
import { Tensor } from './tensor.js';
import { zerosLike } from './creation.js';

export interface GradOptions extends BackwardOptions {
  /** The gradient of `output` to start from (default: ones, for a scalar output). */
  gradOutput?: Tensor;
  /** Return zeros instead of null for inputs that `output` does not depend on. Default false. */
  materializeGrads?: boolean;
}

/**
 * d(output)/d(input) for each of `inputs` (leaves or intermediate tensors),
 * in order; null where `output` does not depend on an input. The graph is
 * released afterwards unless `retainGraph` (a step boundary, as `backward()`).
 */
export function grad(output: Tensor, inputs: readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  if (!(output instanceof Tensor)) throw new AutogradError(`grad(output, inputs): expected a Tensor as output, received ${describe(output)}.`);
  if (!Array.isArray(inputs) || inputs.some((x) => !(x instanceof Tensor))) {
    throw new AutogradError(`grad(output, inputs): expected an array of Tensors as inputs, received ${Array.isArray(inputs) ? `[${inputs.map(describe).join(', ')}]` : describe(inputs)}.`);
  }
  const raw = gradients(output, inputs, options.gradOutput, options);
  return raw.map((g, i) => {
    if (g !== null) return new Tensor(g);
    return options.materializeGrads ? zerosLike(inputs[i]!) : null;
  });
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `Tensor(shape=[${v.shape.join(', ')}])`;
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v;
}
