/**
 * `keras.losses.Loss`: a loss object (Keras 3's `losses/loss.py`). `call`
 * returns per-sample values; `compute(yTrue, yPred, sampleWeight)` weights
 * and reduces them (`reduction`: 'sum_over_batch_size' (default, the mean
 * over all values), 'sum', 'mean' (the weighted mean), 'none').
 */
import { Tensor, tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { registerSerializable } from '../registry.js';
import { toSnakeCase } from '../utils/naming.js';
import { getKerasMask } from '../layers/masking.js';

export type Reduction = 'sum_over_batch_size' | 'sum' | 'mean' | 'mean_with_sample_weight' | 'none' | null;
const REDUCTIONS = ['sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', 'none', null];

export interface LossOptions {
  name?: string;
  /** Default 'sum_over_batch_size'. */
  reduction?: Reduction;
}

export abstract class Loss {
  readonly name: string;
  readonly reduction: Reduction;

  constructor(options: LossOptions = {}) {
    const r = options.reduction === undefined ? 'sum_over_batch_size' : options.reduction;
    if (!REDUCTIONS.includes(r)) throw new KerasValueError(`Invalid value for argument \`reduction\`. Expected one of ${JSON.stringify(REDUCTIONS)}. Received: reduction=${String(r)}`);
    this.reduction = r;
    this.name = options.name ?? toSnakeCase(new.target.name);
  }

  /** Per-sample losses (reduced over the last axis). */
  abstract call(yTrue: Tensor, yPred: Tensor): Tensor;

  /** The reduced loss (a 0-d tensor unless reduction is 'none'). Keras's `loss(y_true, y_pred, sample_weight)`. */
  compute(yTrue: Tensor | number[], yPred: Tensor, sampleWeight?: Tensor | null): Tensor {
    const t = yTrue instanceof Tensor ? yTrue : tensor(yTrue);
    const mask = getKerasMask(yPred);
    const sw = mask === null ? sampleWeight ?? null : applyMask(sampleWeight ?? null, mask, this.reduction);
    return reduceWeighted(this.call(t, yPred), sw, this.reduction);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }
  static fromConfig<T extends Loss>(this: new (config: any) => T, config: Record<string, unknown>): T {
    return new this(config);
  }
}

/**
 * Keras's `apply_mask`: masked entries weigh 0; for the mean reductions the
 * valid ones weigh `total / valid`, so the mean is over the valid entries.
 */
export function applyMask(sampleWeight: Tensor | null, mask: Tensor, reduction: Reduction): Tensor {
  let m = mask.float();
  if (reduction === 'mean' || reduction === 'sum_over_batch_size') m = m.mul(m.sum().add(1e-7).reciprocal().mul(m.numel()));
  if (sampleWeight === null) return m;
  let sw = sampleWeight.float();
  while (sw.ndim < m.ndim) sw = sw.unsqueeze(-1);
  return sw.mul(m);
}

/** Keras's `reduce_weighted_values`. */
export function reduceWeighted(values: Tensor, sampleWeight: Tensor | null, reduction: Reduction): Tensor {
  let v = values;
  let sw = sampleWeight;
  if (sw !== null) {
    sw = sw.dtype === 'float32' ? sw : sw.float();
    // A [N] weight against [N, d] values broadcasts along the rest.
    while (sw.ndim < v.ndim) sw = sw.unsqueeze(-1);
    while (sw.ndim > v.ndim && sw.shape[sw.ndim - 1] === 1) sw = sw.squeeze(-1);
    v = v.mul(sw);
  }
  if (reduction === 'none' || reduction === null) return v;
  const total = v.sum();
  if (reduction === 'sum') return total;
  if ((reduction === 'mean' || reduction === 'mean_with_sample_weight') && sw !== null) return total.div(sw.expandAs(values).sum());
  return total.div(Math.max(1, values.numel()));
}

/** A Loss that calls a loss function with fixed options (Keras's `LossFunctionWrapper`). */
export class LossFunctionWrapper extends Loss {
  constructor(
    readonly fn: (yTrue: Tensor, yPred: Tensor) => Tensor,
    options: LossOptions = {},
  ) {
    super({ ...options, name: options.name ?? (fn.name ? toSnakeCase(fn.name) : 'loss') });
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return this.fn(yTrue, yPred);
  }
}
registerSerializable('loss', LossFunctionWrapper);
