/** Gradient clipping: PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`. */
import { ArgumentError, Tensor, full, libraryCall, noGrad, stack, tensor } from '@duet/core';

/** One tensor or an iterable of them (`model.parameters()`). */
export type TensorOrTensors = Tensor | Iterable<Tensor>;

function gradsOf(parameters: TensorOrTensors): Tensor[] {
  const ps = parameters instanceof Tensor ? [parameters] : [...parameters];
  return ps.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scale the gradients in place so that their total norm (the norm of all
 * gradients together, as one vector) is at most `maxNorm`. Returns the total
 * norm before clipping, as a 0-d tensor (like PyTorch).
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * loss.backward();
 * const norm = nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * optimizer.step();
 * ```
 */
export function clipGradNorm_(
  parameters: TensorOrTensors,
  maxNorm: number,
  normType = 2,
  options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (!(normType > 0)) throw new ArgumentError(`clipGradNorm_: normType must be positive or Infinity, received ${normType}.`);
  // A library call: reading the grads here does not make them the user's, so they are freed (not copied) once reset.
  return libraryCall('nn.utils', 'clipGradNorm_', () => noGrad(() => {
    const grads = gradsOf(parameters);
    if (grads.length === 0) return tensor(0);
    // PyTorch's order: the norm of each gradient, then the norm of those norms.
    const total = stack(grads.map((g) => g.norm(normType))).norm(normType);
    if (options.errorIfNonfinite) {
      const v = total.item();
      if (!Number.isFinite(v)) {
        throw new ArgumentError(`clipGradNorm_: the total norm of order ${normType} for gradients is non-finite (${v}), so it cannot be clipped. Pass errorIfNonfinite: false to clip anyway.`);
      }
    }
    const coef = full([], maxNorm).div(total.add(1e-6)).clamp(null, 1);
    for (const g of grads) g.mul_(coef);
    return total;
  }));
}

/**
 * Clamp every gradient in place to `[-clipValue, clipValue]`.
 *
 * @example
 * ```ts
 * nn.utils.clipGradValue_(model.parameters(), 0.5);
 * ```
 */
export function clipGradValue_(parameters: TensorOrTensors, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ArgumentError(`clipGradValue_: clipValue must be non-negative, received ${clipValue}.`);
  libraryCall('nn.utils', 'clipGradValue_', () => noGrad(() => {
    for (const g of gradsOf(parameters)) g.clamp_(-clipValue, clipValue);
  }));
}
