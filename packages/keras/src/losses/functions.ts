/**
 * Keras's loss functions (`keras.losses.mean_squared_error`, ...): per-sample
 * values (reduced over the last axis) from `yTrue` and `yPred`, with
 * Keras's formulas and its epsilon 1e-7 for clipped probabilities. A softmax
 * or sigmoid output remembers its logits (activations/logits.ts), and the
 * crossentropies then compute from those logits, as Keras's TensorFlow
 * backend does; sparse crossentropy from logits is TensorFlow's one-kernel
 * `SparseSoftmaxCrossEntropyWithLogits`.
 */
import { Tensor, softmaxCrossEntropy, where, zerosLike } from '@duet/core';
import { IncompatibleInputError } from '../errors.js';
import { logitsOf } from '../activations/logits.js';
import { shapeToString } from '../utils/shape.js';

export const EPSILON = 1e-7;

const f32 = (t: Tensor) => (t.dtype === 'float32' ? t : t.float());
const mean = (t: Tensor) => t.mean(-1);

/**
 * Keras's `squeeze_or_expand_to_same_rank`: a `[N]` target against a
 * `[N, 1]` prediction (or the reverse) is reshaped to match.
 */
export function matchRank(yTrue: Tensor, yPred: Tensor): [Tensor, Tensor] {
  if (yTrue.ndim === yPred.ndim + 1 && yTrue.shape[yTrue.ndim - 1] === 1) return [yTrue.squeeze(-1), yPred];
  if (yPred.ndim === yTrue.ndim + 1 && yPred.shape[yPred.ndim - 1] === 1) return [yTrue.unsqueeze(-1), yPred];
  return [yTrue, yPred];
}

function sameShape(yTrue: Tensor, yPred: Tensor, fn: string): void {
  if (yTrue.ndim !== yPred.ndim) {
    throw new IncompatibleInputError(`${fn}: arguments \`target\` and \`output\` must have the same rank (ndim). Received: target.shape=${shapeToString(yTrue.shape)}, output.shape=${shapeToString(yPred.shape)}`);
  }
  if (yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new IncompatibleInputError(`${fn}: arguments \`target\` and \`output\` must have the same shape. Received: target.shape=${shapeToString(yTrue.shape)}, output.shape=${shapeToString(yPred.shape)}`);
  }
}

function broadcastable(yTrue: Tensor, yPred: Tensor, fn: string): [Tensor, Tensor] {
  const [t, p] = matchRank(f32(yTrue), yPred);
  sameShape(t, p, fn);
  return [t, p];
}

export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'mean_squared_error');
  return mean(p.sub(t).square());
}
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'mean_absolute_error');
  return mean(p.sub(t).abs());
}
export function meanAbsolutePercentageError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'mean_absolute_percentage_error');
  return mean(t.sub(p).div(t.abs().clamp(EPSILON, null)).abs()).mul(100);
}
export function meanSquaredLogarithmicError(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'mean_squared_logarithmic_error');
  return mean(p.clamp(EPSILON, null).add(1).log().sub(t.clamp(EPSILON, null).add(1).log()).square());
}
export function huber(yTrue: Tensor, yPred: Tensor, delta = 1): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'huber');
  const err = p.sub(t);
  const abs = err.abs();
  return mean(where(abs.le(delta), err.square().mul(0.5), abs.mul(delta).sub(0.5 * delta * delta)));
}
export function logCosh(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'log_cosh');
  const x = p.sub(t);
  return mean(x.add(x.mul(-2).softplus()).sub(Math.LN2));
}
export function klDivergence(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t0, p0] = broadcastable(yTrue, yPred, 'kl_divergence');
  const t = t0.clamp(EPSILON, 1);
  const p = p0.clamp(EPSILON, 1);
  return t.mul(t.div(p).log()).sum(-1);
}
export function poisson(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'poisson');
  return mean(p.sub(t.mul(p.add(EPSILON).log())));
}
/** Keras converts 0/1 targets to -1/1. */
function signedTargets(t: Tensor): Tensor {
  return t.mul(2).sub(1).where(t.eq(0).logicalOr(t.eq(1)), t);
}
export function hinge(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'hinge');
  return mean(signedTargets(t).mul(p).neg().add(1).clamp(0, null));
}
export function squaredHinge(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'squared_hinge');
  return mean(signedTargets(t).mul(p).neg().add(1).clamp(0, null).square());
}
export function categoricalHinge(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'categorical_hinge');
  const pos = t.mul(p).sum(-1);
  const neg = t.neg().add(1).mul(p).amax(-1);
  return neg.sub(pos).add(1).clamp(0, null);
}
export function cosineSimilarity(yTrue: Tensor, yPred: Tensor): Tensor {
  const [t, p] = broadcastable(yTrue, yPred, 'cosine_similarity');
  const l2 = (x: Tensor) => x.div(x.square().sum(-1, { keepdim: true }).clamp(1e-12, null).sqrt());
  return l2(t).mul(l2(p)).sum(-1).neg();
}

/** log(1 + exp(-|x|)) + max(x, 0) - x z: TensorFlow's sigmoid_cross_entropy_with_logits. */
function sigmoidCrossEntropyWithLogits(z: Tensor, x: Tensor): Tensor {
  return x.relu().sub(x.mul(z)).add(x.abs().neg().exp().log1p());
}

export interface CrossentropyOptions {
  /** yPred holds logits, not probabilities. Default false. */
  fromLogits?: boolean;
  /** Smooth the targets toward uniform by this amount. Default 0. */
  labelSmoothing?: number;
}

export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  let [t, p] = broadcastable(yTrue, yPred, 'binary_crossentropy');
  const ls = options.labelSmoothing ?? 0;
  if (ls > 0) t = t.mul(1 - ls).add(0.5 * ls);
  const logits = options.fromLogits ? p : logitsOf(yPred, 'sigmoid');
  if (logits !== null) return mean(sigmoidCrossEntropyWithLogits(t, logits.ndim === p.ndim ? logits : matchRank(t, logits)[1]));
  const o = p.clamp(EPSILON, 1 - EPSILON);
  return mean(t.mul(o.log()).add(t.neg().add(1).mul(o.neg().add(1).log())).neg());
}

export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  let t = f32(yTrue);
  sameShape(t, yPred, 'categorical_crossentropy');
  const ls = options.labelSmoothing ?? 0;
  if (ls > 0) t = t.mul(1 - ls).add(ls / yPred.shape[yPred.ndim - 1]!);
  const logits = options.fromLogits ? yPred : logitsOf(yPred, 'softmax');
  if (logits !== null) return t.mul(logits.logSoftmax(-1)).sum(-1).neg();
  const o = yPred.div(yPred.sum(-1, { keepdim: true })).clamp(EPSILON, 1 - EPSILON);
  return t.mul(o.log()).sum(-1).neg();
}

/** Integer targets `[N]` (or `[N, 1]`) against `[N, C]` predictions (`ignoreClass` targets count 0). */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: { fromLogits?: boolean; ignoreClass?: number | null } = {}): Tensor {
  let t = yTrue;
  if (t.ndim === yPred.ndim && t.shape[t.ndim - 1] === 1) t = t.squeeze(-1);
  if (t.ndim !== yPred.ndim - 1) {
    throw new IncompatibleInputError(`sparse_categorical_crossentropy: argument \`output\` must have rank (ndim) \`target.ndim - 1\`. Received: target.shape=${shapeToString(yTrue.shape)}, output.shape=${shapeToString(yPred.shape)} (expected integer class indices of shape ${shapeToString(yPred.shape.slice(0, -1))})`);
  }
  if (t.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new IncompatibleInputError(`sparse_categorical_crossentropy: arguments \`target\` and \`output\` must have the same shape up until the last dimension: target.shape=${shapeToString(yTrue.shape)}, output.shape=${shapeToString(yPred.shape)}`);
  }
  if (t.dtype !== 'int32') t = t.int();
  const ignore = options.ignoreClass ?? null;
  const valid = ignore === null ? null : t.ne(ignore);
  if (valid !== null) t = t.where(valid, zerosLike(t));
  const fromLogits = options.fromLogits ? yPred : logitsOf(yPred, 'softmax');
  const logits = fromLogits ?? yPred.clamp(EPSILON, 1 - EPSILON).log();
  const c = logits.shape[logits.ndim - 1]!;
  const flat2 = logits.ndim === 2 ? logits : logits.reshape([-1, c]);
  const tflat = t.ndim === 1 ? t : t.reshape([-1]);
  let out = softmaxCrossEntropy(flat2, tflat, 'none');
  if (logits.ndim !== 2) out = out.reshape(t.shape as number[]);
  return valid === null ? out : out.mul(valid.float());
}

/** The fast path: sparse crossentropy from logits, averaged over the batch, in one kernel + one reduction (or null if it does not apply). */
export function sparseCategoricalCrossentropyMean(yTrue: Tensor, yPred: Tensor, fromLogits: boolean): Tensor | null {
  const logits = fromLogits ? yPred : logitsOf(yPred, 'softmax');
  if (logits === null || logits.ndim !== 2 || yTrue.dtype !== 'int32') return null;
  const t = yTrue.ndim === 2 && yTrue.shape[1] === 1 ? yTrue.reshape([-1]) : yTrue;
  if (t.ndim !== 1 || t.shape[0] !== logits.shape[0]) return null;
  return softmaxCrossEntropy(logits, t, 'mean');
}
