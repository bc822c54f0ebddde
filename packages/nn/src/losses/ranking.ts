/**
 * Losses on pairs of inputs with a +1/-1 target: PyTorch's
 * `F.cosine_embedding_loss` and `F.margin_ranking_loss`.
 */
import { ShapeError, type Tensor } from '@duet/core';
import { checkReduction, reduce, type Reduction } from './reduction.js';

export interface MarginOptions {
  /** Default 0. */
  margin?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** PyTorch's epsilon added to the squared norms. */
const EPSILON = 1e-12;

/**
 * `1 - cos(x1, x2)` where `y = 1`, `max(0, cos(x1, x2) - margin)` where
 * `y = -1`; the cosine is taken along dim 1 of `[N, D]` inputs (or of `[D]`).
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.cosineEmbeddingLoss(tensor([[1, 0]]), tensor([[1, 1]]), tensor([1])).item(); // 1 - 1/sqrt(2)
 * ```
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'cosineEmbeddingLoss');
  const margin = options.margin ?? 0;
  if (input1.ndim !== input2.ndim || input1.ndim < 1 || input1.ndim > 2 || target.ndim !== input1.ndim - 1) {
    throw new ShapeError(`cosineEmbeddingLoss: expected inputs [N, D] with target [N] (or [D] with a 0-d target), received [${input1.shape.join(', ')}], [${input2.shape.join(', ')}] and target [${target.shape.join(', ')}].`);
  }
  const d = input1.ndim === 2 ? 1 : 0;
  const prod = input1.mul(input2).sum(d);
  const mag1 = input1.mul(input1).sum(d).add(EPSILON);
  const mag2 = input2.mul(input2).sum(d).add(EPSILON);
  const cos = prod.div(mag1.mul(mag2).sqrt());
  const pos = cos.neg().add(1).where(target.eq(1), 0);
  const neg = cos.sub(margin).clamp(0).where(target.eq(-1), 0);
  return reduce(pos.add(neg), reduction);
}

/**
 * `max(0, -y * (x1 - x2) + margin)`: x1 should rank higher than x2 where
 * `y = 1`, lower where `y = -1`.
 *
 * @example
 * ```ts
 * F.marginRankingLoss(tensor([0.8, 0.1]), tensor([0.5, 0.4]), tensor([1, 1]), { margin: 0.1 }).item(); // (0 + 0.4) / 2
 * ```
 */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'marginRankingLoss');
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new ShapeError(`marginRankingLoss: all inputs should have the same number of dims, received [${input1.shape.join(', ')}], [${input2.shape.join(', ')}] and target [${target.shape.join(', ')}].`);
  }
  return reduce(target.neg().mul(input1.sub(input2)).add(options.margin ?? 0).clamp(0), reduction);
}
