/**
 * Elementwise regression losses: PyTorch's `F.mse_loss`, `F.l1_loss`,
 * `F.smooth_l1_loss` and `F.huber_loss`.
 */
import { ArgumentError, type Tensor } from '@duet/core';
import { checkReduction, reduce, warnIfBroadcast, type Reduction } from './reduction.js';

export interface ReductionOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Mean squared error: `(input - target)^2`, reduced.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // 4 / 3
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'mseLoss');
  warnIfBroadcast(input, target, 'mseLoss');
  return reduce(input.sub(target).square(), reduction);
}

/**
 * Mean absolute error: `|input - target|`, reduced.
 *
 * @example
 * ```ts
 * F.l1Loss(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // 2 / 3
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'l1Loss');
  warnIfBroadcast(input, target, 'l1Loss');
  return reduce(input.sub(target).abs(), reduction);
}

/**
 * Smooth L1: `0.5 * d^2 / beta` where `|d| < beta`, else `|d| - 0.5 * beta`
 * (d = input - target). `beta = 0` is the L1 loss.
 *
 * @example
 * ```ts
 * F.smoothL1Loss(tensor([0, 3]), tensor([0.5, 0]), { beta: 1 }).item(); // (0.125 + 2.5) / 2
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: ReductionOptions & { beta?: number } = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'smoothL1Loss');
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new ArgumentError(`smoothL1Loss: beta must be non-negative, received ${beta}.`);
  warnIfBroadcast(input, target, 'smoothL1Loss');
  if (beta === 0) return reduce(input.sub(target).abs(), reduction);
  const z = input.sub(target).abs();
  return reduce(z.mul(0.5).mul(z).div(beta).where(z.lt(beta), z.sub(0.5 * beta)), reduction);
}

/**
 * Huber loss: `0.5 * d^2` where `|d| < delta`, else `delta * (|d| - 0.5 * delta)`.
 *
 * @example
 * ```ts
 * F.huberLoss(tensor([0, 3]), tensor([0.5, 0]), { delta: 2 }).item(); // (0.125 + 4) / 2
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: ReductionOptions & { delta?: number } = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'huberLoss');
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new ArgumentError(`huberLoss: delta must be positive, received ${delta}.`);
  warnIfBroadcast(input, target, 'huberLoss');
  const d = input.sub(target);
  const z = d.abs();
  return reduce(d.mul(d).mul(0.5).where(z.lt(delta), z.sub(0.5 * delta).mul(delta)), reduction);
}
