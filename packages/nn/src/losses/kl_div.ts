/** Kullback-Leibler divergence: PyTorch's `F.kl_div`. */
import type { Tensor } from '@duet/core';
import { checkReduction, warnIfBroadcast, type Reduction } from './reduction.js';

export interface KLDivOptions {
  /**
   * 'batchmean' (the sum divided by the batch size: the true KL divergence
   * per example), 'mean' (over all elements; PyTorch's default, kept for
   * compatibility), 'sum' or 'none'.
   */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities. Default false. */
  logTarget?: boolean;
}

/**
 * `target * (log(target) - input)` pointwise, for log-probabilities `input`
 * (with `0 * log 0 = 0`); `logTarget: true` takes `target` as
 * log-probabilities: `exp(target) * (target - input)`.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * const logq = tensor([[0.6, 0.4]]).log();
 * F.klDiv(logq, tensor([[0.5, 0.5]]), { reduction: 'batchmean' }).item(); // 0.5 log(0.5/0.6) + 0.5 log(0.5/0.4)
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'klDiv', ['mean', 'batchmean', 'sum', 'none'] as const);
  warnIfBroadcast(input, target, 'klDiv');
  let loss: Tensor;
  if (options.logTarget) loss = target.exp().mul(target.sub(input));
  else {
    // xlogy(t, t): log of 1 where t = 0, so 0 * log 0 = 0 (and its gradient stays finite).
    const tLogT = target.mul(target.where(target.ne(0), 1).log());
    loss = tLogT.sub(target.mul(input));
  }
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'batchmean') return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]!);
  return loss;
}
