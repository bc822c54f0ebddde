/**
 * Accuracy metrics (Keras 3's `metrics/accuracy_metrics.py`): per-sample
 * functions and their Mean-wrapped classes. `'accuracy'` in `compile` picks
 * one of them from the shapes, as Keras does (trainers/compile_metrics.ts).
 */
import { type Tensor } from '@duet/core';
import { registerSerializable } from '../registry.js';
import { matchRank } from '../losses/functions.js';
import { MeanMetricWrapper, type MetricOptions } from './metric.js';

const f32 = (t: Tensor) => (t.dtype === 'float32' ? t : t.float());

/** 1 where `yTrue == yPred` elementwise (Keras's `accuracy`). */
export function accuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = matchRank(f32(yTrue), f32(yPred));
  return t.eq(p).float();
}

/** Predictions above `threshold` (0.5) match 0/1 targets; mean over the last axis. */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  const [t, p] = matchRank(f32(yTrue), yPred);
  return t.eq(p.gt(threshold).float()).float().mean(-1);
}

/** argmax of one-hot targets == argmax of predictions. */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return categoricalMatches(yTrue, yPred).float();
}
const categoricalMatches = (yTrue: Tensor, yPred: Tensor) => yTrue.argmax(-1).eq(yPred.argmax(-1));

/** 1 where integer targets `[N]` (or `[N, 1]`) equal the argmax of `[N, C]` predictions. */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return sparseMatches(yTrue, yPred).float();
}

/** The matches as booleans: ArgMax + Equal, two kernels (the metric sums them on the device later). */
function sparseMatches(yTrue: Tensor, yPred: Tensor): Tensor {
  let t = yTrue;
  if (t.ndim === yPred.ndim && t.shape[t.ndim - 1] === 1) t = t.squeeze(-1);
  const p = yPred.argmax(-1);
  return t.dtype === 'int32' ? t.eq(p) : t.eq(p.float());
}

/** Whether the target's class is among the `k` highest predictions (ties count as in, like TensorFlow's in_top_k). */
function inTopK(targets: Tensor, yPred: Tensor, k: number): Tensor {
  const score = yPred.gather(-1, targets.int().unsqueeze(-1));
  return yPred.gt(score).float().sum(-1).lt(k).float();
}

export function topKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  return inTopK(yTrue.argmax(-1), yPred, k);
}

export function sparseTopKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  let t = yTrue;
  if (t.ndim === yPred.ndim && t.shape[t.ndim - 1] === 1) t = t.squeeze(-1);
  return inTopK(t, yPred, k);
}

export class Accuracy extends MeanMetricWrapper {
  constructor(options: MetricOptions = {}) {
    super(accuracy, { name: options.name ?? 'accuracy' });
  }
}
export class BinaryAccuracy extends MeanMetricWrapper {
  readonly threshold: number;
  constructor(options: MetricOptions & { threshold?: number } = {}) {
    const threshold = options.threshold ?? 0.5;
    super((t, p) => binaryAccuracy(t, p, threshold), { name: options.name ?? 'binary_accuracy' });
    this.threshold = threshold;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}
export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(options: MetricOptions = {}) {
    super(categoricalMatches, { name: options.name ?? 'categorical_accuracy' });
  }
}
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(options: MetricOptions = {}) {
    super(sparseMatches, { name: options.name ?? 'sparse_categorical_accuracy' });
  }
}
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(options: MetricOptions & { k?: number } = {}) {
    const k = options.k ?? 5;
    super((t, p) => topKCategoricalAccuracy(t, p, k), { name: options.name ?? 'top_k_categorical_accuracy' });
    this.k = k;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(options: MetricOptions & { k?: number } = {}) {
    const k = options.k ?? 5;
    super((t, p) => sparseTopKCategoricalAccuracy(t, p, k), { name: options.name ?? 'sparse_top_k_categorical_accuracy' });
    this.k = k;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}
for (const c of [Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy]) {
  registerSerializable('metric', c);
}
