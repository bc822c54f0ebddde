/**
 * Binary cross-entropy on probabilities and on logits: PyTorch's
 * `F.binary_cross_entropy` and `F.binary_cross_entropy_with_logits`.
 */
import type { Tensor } from '@duet/core';
import { checkReduction, reduce, requireSameShape, type Reduction } from './reduction.js';

export interface BCEOptions {
  /** A rescaling weight, broadcast to the input's shape. */
  weight?: Tensor | null;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive examples, broadcast along the last (class) dim: `[C]`. */
  posWeight?: Tensor | null;
}

/** float32's smallest normal number and largest value below 1: the arguments of the logs stay finite. */
const TINY = 1.1754943508222875e-38;
const BELOW_ONE = 1 - 2 ** -24;

/**
 * `-(y * log(x) + (1 - y) * log(1 - x))` for probabilities `x`, with each log
 * clamped at -100 (PyTorch's rule, so x = 0 or 1 gives a finite loss).
 * The input must already be in [0, 1] (e.g. a sigmoid's output); prefer
 * `binaryCrossEntropyWithLogits` on raw scores, which is stabler.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0])).item(); // (-log 0.9 - log 0.8) / 2
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'binaryCrossEntropy');
  requireSameShape(input, target, 'binaryCrossEntropy');
  // where() keeps -100 at x = 0 (resp. 1); the clamps keep the unused branch (and its gradient) finite.
  const logX = input.clamp(TINY).log().where(input.gt(0), -100);
  const log1mX = input.clamp(null, BELOW_ONE).neg().log1p().where(input.lt(1), -100);
  let loss = target.sub(1).mul(log1mX).sub(target.mul(logX));
  if (options.weight != null) loss = loss.mul(options.weight);
  return reduce(loss, reduction);
}

/**
 * Sigmoid + binary cross-entropy in one stable expression:
 * `(1 - y) * x - w_pos * logsigmoid(x)`, `w_pos = (posWeight - 1) * y + 1`.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * const logits = tensor([[1.5, -0.3]], { requiresGrad: true });
 * F.binaryCrossEntropyWithLogits(logits, tensor([[1, 0]]), { posWeight: tensor([2, 1]) }).backward();
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'binaryCrossEntropyWithLogits');
  requireSameShape(input, target, 'binaryCrossEntropyWithLogits');
  // logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)), finite for every x.
  let logSig = input.minimum(0).sub(input.abs().neg().exp().log1p());
  if (options.posWeight != null) logSig = logSig.mul(options.posWeight.sub(1).mul(target).add(1));
  let loss = target.neg().add(1).mul(input).sub(logSig);
  if (options.weight != null) loss = loss.mul(options.weight);
  return reduce(loss, reduction);
}
