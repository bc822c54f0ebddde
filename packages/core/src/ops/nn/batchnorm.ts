/**
 * Batch normalization of an NCHW tensor on TF's fused kernels: one
 * FusedBatchNormV3 forward, one FusedBatchNormGradV3 backward. They run in
 * NHWC on the CPU, so the input is read in NHWC and the result is stored NHWC
 * (docs/design/layout.md). The running statistics are the caller's
 * (@duet/nn's `F.batchNorm` updates them from the returned batch statistics).
 */
import { runKernelN, typeAttr, floatAttr, stringAttr, boolAttr, tf, type OpAttr, type TfTensor } from '../../kernels/index.js';
import { ShapeError } from '../../errors.js';
import { record } from '../../autograd.js';
import { dataFormat, opLayout, valueIn, type DataFormat2dLike } from '../../layout.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFloat } from './args.js';

export interface BatchNorm2dOptions {
  /** Per-channel scale [C] (default 1). */
  weight?: Tensor | null;
  /** Per-channel shift [C] (default 0). */
  bias?: Tensor | null;
  /** Normalize with the batch's statistics (and return them) instead of `mean` and `variance`. */
  training: boolean;
  eps?: number;
  /**
   * 'NCHW' (default): x is [N, C, H, W], the result is stored NHWC. 'NHWC'
   * (channels last, the Keras front end): x is a logical [N, H, W, C] and so is
   * the result; no layout change at all.
   */
  dataFormat?: DataFormat2dLike;
}

export interface BatchNorm2dResult {
  y: Tensor;
  /** Training only: the batch mean [C] and biased variance [C] (no gradient flows through them). */
  mean: Tensor | null;
  variance: Tensor | null;
}

function attrs(eps: number, training: boolean, forward: boolean): OpAttr[] {
  const a = [typeAttr('T', 'float32'), typeAttr('U', 'float32'), floatAttr('epsilon', eps), stringAttr('data_format', 'NHWC'), boolAttr('is_training', training)];
  return forward ? [...a, floatAttr('exponential_avg_factor', 1)] : a;
}

/**
 * `y = (x - mean) / sqrt(var + eps) * weight + bias` per channel of x [N, C, H, W],
 * with the batch's mean and biased variance (`training`) or the given ones.
 *
 * @example
 * ```ts
 * import { randn, functional as F } from '@duet/core';
 * const { y, mean, variance } = F.batchNorm2d(randn([8, 3, 4, 4]), null, null, { training: true });
 * ```
 */
export function batchNorm2d(x: Tensor, mean: Tensor | null, variance: Tensor | null, options: BatchNorm2dOptions): BatchNorm2dResult {
  const op = 'batchNorm2d';
  checkFloat(op, 'input', x);
  const fmt = dataFormat(op, options.dataFormat);
  const nhwc = fmt === 'channelsLast';
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected a 4-d input ${nhwc ? '[N, H, W, C]' : '[N, C, H, W]'}, received shape ${shapeStr(x.shape)}.`);
  const c = x.shape[nhwc ? 3 : 1]!;
  const l = opLayout('nhwcKernel', x, fmt);
  const xValue = () => valueIn(l, x);
  const { weight = null, bias = null, training } = options;
  const eps = options.eps ?? 1e-5;
  for (const [name, t] of [['weight', weight], ['bias', bias], ['mean', mean], ['variance', variance]] as const) {
    if (t !== null && (t.ndim !== 1 || t.shape[0] !== c)) throw new ShapeError(`${op}: expected ${name} of shape [${c}] (the channels), received ${shapeStr(t.shape)}.`);
  }
  if (!training && (mean === null || variance === null)) throw new ShapeError(`${op}: mean and variance must be given when training is false.`);
  const scale = () => (weight !== null ? weight._v() : K.floatConst(`ones:${c}`, [c], () => new Float32Array(c).fill(1)));
  const offset = bias !== null ? bias._v() : K.floatConst(`zeros:${c}`, [c], () => new Float32Array(c));
  const empty = K.floatConst('empty', [0], () => new Float32Array(0));
  const [yN, bMean, bVarUnbiased, sMean, sVar, reserve] = runKernelN('FusedBatchNormV3', attrs(eps, training, true), [
    xValue(), scale(), offset, training ? empty : mean!._v(), training ? empty : variance!._v(),
  ], 6) as [TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor];
  bVarUnbiased.dispose();
  // What the gradient kernel needs: the statistics used (a free clone of the running ones in eval, which may change in place later).
  const saved = training ? [sMean, sVar, reserve] : [tf().clone(mean!._v()), tf().clone(variance!._v()), reserve];
  if (!training) {
    bMean.dispose();
    sMean.dispose();
    sVar.dispose();
  }
  // The batch variance handed out, cloned before record() (which disposes `saved` when nothing requires grad).
  const batchVar = training ? tf().clone(sVar) : null;
  const inputs = [x];
  if (weight !== null) inputs.push(weight);
  if (bias !== null) inputs.push(bias);
  const y = record(new Tensor(yN, l.nhwc), 'NativeBatchNormBackward', inputs, (g) => {
    const [dx, dScale, dOffset] = runKernelN('FusedBatchNormGradV3', attrs(eps, training, false), [g, xValue(), scale(), ...saved], 5);
    const grads = [dx!];
    if (weight !== null) grads.push(dScale!);
    if (bias !== null) grads.push(dOffset!);
    return grads;
  }, saved, l.grad);
  return { y, mean: training ? new Tensor(bMean) : null, variance: batchVar !== null ? new Tensor(batchVar) : null };
}
