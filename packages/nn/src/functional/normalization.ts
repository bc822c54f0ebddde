/**
 * Normalization functions: `F.batchNorm`, `F.layerNorm`, `F.groupNorm`.
 * The channel axis is a parameter (PyTorch's NCHW: 1; Keras's channels-last: -1).
 */
import { ArgumentError, ShapeError, functional as CF, noGrad, type Tensor } from '@duet/core';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalize with the batch's statistics (and update the running ones) instead of the running ones. */
  training?: boolean;
  /** Weight of the new batch's statistics in the running ones: running = (1 - m) * running + m * batch (a number or a 0-d tensor). */
  momentum?: number | Tensor;
  eps?: number;
  /** The channel axis: 1 for PyTorch's [N, C, ...] (default), -1 for channels-last. */
  channelAxis?: number;
  /** Running variance from the unbiased batch variance (PyTorch, default) or the biased one (Keras). */
  unbiasedRunningVar?: boolean;
}

/** [1, C, 1, 1]-style shape that broadcasts a [C] vector along `axis` of a rank-`ndim` tensor. */
function channelShape(ndim: number, axis: number, c: number): number[] {
  const s = new Array<number>(ndim).fill(1);
  s[axis] = c;
  return s;
}

function toChannel(v: Tensor, shape: number[], lastAxis: boolean): Tensor {
  return lastAxis ? v : v.reshape(shape);
}

/**
 * Batch normalization (`F.batch_norm`). In training mode the running mean
 * and (unbiased) variance, when given, are updated in place.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const training = options.training ?? false;
  const eps = options.eps ?? 1e-5;
  const axis = (options.channelAxis ?? 1) < 0 ? x.ndim + (options.channelAxis ?? 1) : options.channelAxis ?? 1;
  if (x.ndim < 2 || axis < 0 || axis >= x.ndim) throw new ShapeError(`batchNorm: expected an input with at least 2 dims and channel axis ${options.channelAxis ?? 1}, received shape [${x.shape.join(', ')}].`);
  const c = x.shape[axis]!;
  const lastAxis = axis === x.ndim - 1;
  const cshape = channelShape(x.ndim, axis, c);
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  // NCHW images: core's batchNorm2d, TF's fused kernel (one each way), result stored NHWC (docs/design/layout.md).
  const fused = x.ndim === 4 && axis === 1;
  if (!training) {
    if (runningMean === null || runningVar === null) throw new ArgumentError('batchNorm: running_mean and running_var must be given when training is false.');
    if (fused) return CF.batchNorm2d(x, runningMean, runningVar, { weight, bias, training: false, eps }).y;
    // y = x * scale + shift with scale = w / sqrt(var + eps), shift = b - mean * scale: 2 full-size kernels.
    let scale = runningVar.add(eps).rsqrt();
    if (weight !== null) scale = scale.mul(weight);
    let shift = runningMean.mul(scale).neg();
    if (bias !== null) shift = shift.add(bias);
    return x.mul(toChannel(scale, cshape, lastAxis)).add(toChannel(shift, cshape, lastAxis));
  }
  const axes = [...Array(x.ndim).keys()].filter((i) => i !== axis);
  const n = x.numel() / c;
  if (n <= 1) throw new ArgumentError(`batchNorm: expected more than 1 value per channel when training, got input size [${x.shape.join(', ')}].`);
  if (fused) {
    const r = CF.batchNorm2d(x, null, null, { weight, bias, training: true, eps });
    updateRunning(runningMean, runningVar, r.mean!, r.variance!, n, options);
    return r.y;
  }
  const mean = x.mean(axes, { keepdim: true });
  const xc = x.sub(mean);
  const varB = xc.square().mean(axes, { keepdim: true });
  let y = xc.mul(varB.add(eps).rsqrt());
  if (weight !== null) y = y.mul(toChannel(weight, cshape, lastAxis));
  if (bias !== null) y = y.add(toChannel(bias, cshape, lastAxis));
  updateRunning(runningMean, runningVar, mean, varB, n, options);
  return y;
}

/** running += (batch - running) * momentum; momentum may be a 0-d tensor (BatchNorm's cumulative average). */
function updateRunning(runningMean: Tensor | null, runningVar: Tensor | null, mean: Tensor, varB: Tensor, n: number, options: BatchNormOptions): void {
  if (runningMean === null || runningVar === null) return;
  const c = runningMean.numel();
  const m = options.momentum ?? 0.1;
  const unbiased = options.unbiasedRunningVar === false ? 1 : n / (n - 1);
  noGrad(() => {
    const newMean = runningMean.add(mean.reshape([c]).sub(runningMean).mul(m));
    const newVar = runningVar.add(varB.reshape([c]).mul(unbiased).sub(runningVar).mul(m));
    runningMean.copy_(newMean);
    runningVar.copy_(newVar);
    newMean.dispose();
    newVar.dispose();
  });
}

/** Layer normalization over the last `normalizedShape.length` dims (`F.layer_norm`). */
export function layerNorm(x: Tensor, normalizedShape: number[], options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(`layerNorm: input shape [${x.shape.join(', ')}] does not end with normalized_shape [${normalizedShape.join(', ')}].`);
  }
  const axes = [...Array(k).keys()].map((i) => x.ndim - k + i);
  const mean = x.mean(axes, { keepdim: true });
  const xc = x.sub(mean);
  let y = xc.mul(xc.square().mean(axes, { keepdim: true }).add(options.eps ?? 1e-5).rsqrt());
  if (options.weight != null) y = y.mul(options.weight);
  if (options.bias != null) y = y.add(options.bias);
  return y;
}

/** Group normalization: channels split into `numGroups` groups, each normalized over its channels and positions. */
export function groupNorm(x: Tensor, numGroups: number, options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number; channelAxis?: number } = {}): Tensor {
  const axis = (options.channelAxis ?? 1) < 0 ? x.ndim + (options.channelAxis ?? 1) : options.channelAxis ?? 1;
  const c = x.shape[axis]!;
  if (x.ndim < 2 || c % numGroups !== 0) {
    throw new ShapeError(`groupNorm: expected the number of channels (${c}, input [${x.shape.join(', ')}]) to be divisible by num_groups = ${numGroups}.`);
  }
  const lastAxis = axis === x.ndim - 1;
  // [N, ..., C, ...] -> groups as one axis, everything normalized in a group after it.
  const g = lastAxis
    ? x.reshape([x.shape[0]!, -1, numGroups, c / numGroups]).transpose(1, 2).reshape([x.shape[0]!, numGroups, -1])
    : x.reshape([x.shape[0]!, numGroups, -1]);
  const mean = g.mean(2, { keepdim: true });
  const gc = g.sub(mean);
  const gn = gc.mul(gc.square().mean(2, { keepdim: true }).add(options.eps ?? 1e-5).rsqrt());
  let y = lastAxis
    ? gn.reshape([x.shape[0]!, numGroups, -1, c / numGroups]).transpose(1, 2).reshape(x.shape as number[])
    : gn.reshape(x.shape as number[]);
  const cshape = channelShape(x.ndim, axis, c);
  if (options.weight != null) y = y.mul(toChannel(options.weight, cshape, lastAxis));
  if (options.bias != null) y = y.add(toChannel(options.bias, cshape, lastAxis));
  return y;
}
