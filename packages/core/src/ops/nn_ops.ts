/**
 * The neural-network primitives that @duet/nn (and the Keras front end) call,
 * in PyTorch's layouts (NCHW images, NCL sequences) with a channels-last
 * option, forward and backward, each on TensorFlow's native kernels. Exported
 * from @duet/core as `functional` (like `torch.nn.functional`).
 *
 * @example
 * ```ts
 * import { randn, functional as F } from '@duet/core';
 * const x = randn([8, 3, 32, 32]);
 * const w = randn([16, 3, 3, 3], { requiresGrad: true });
 * const y = F.maxPool2d(F.conv2d(x, w, null, { padding: 1 }).relu(), 2); // [8, 16, 16, 16]
 * y.sum().backward();
 * ```
 *
 * Native kernels per call (counted by test/golden/core_nn.test.ts; NCHW unless
 * said; "bwd" = all inputs require grad; TF's CPU kernels are NHWC only, so
 * NCHW pays a Transpose in and out of every conv and pool):
 *
 * | op                              | fwd | bwd | notes |
 * | ------------------------------- | --- | --- | ----- |
 * | conv2d, groups 1, with bias     | 5   | 6   | Transpose x, w, y; Conv2D; BiasAdd. bwd: Transpose g, dx, dw; BackpropInput; BackpropFilter; BiasAddGrad |
 * | conv2d, dataFormat 'NHWC'       | 2   | 3   | Conv2D + BiasAdd; no transposes |
 * | conv2d 1x1, stride 1, no pad    | 5   | 7   | NCHW as BatchMatMul W @ x[N, C, HW] + Reshapes: no transposes (see nn/pointwise.ts) |
 * | conv2d, dilation > 1            | 5   | 8   | + ScatterNd (zero-filled dense filter) and StridedSlice in bwd: TF's CPU backprop rejects dilation |
 * | conv2d, depthwise (groups = C)  | 6   | 8   | DepthwiseConv2dNative (10x faster than grouped Conv2D here) + filter Reshape |
 * | conv2d, 1 < groups < C          | 5   | 9 + 2G | native grouped Conv2D fwd; bwd one BackpropInput/Filter per group (TF's CPU backprop rejects groups) |
 * | conv1d                          | 8   | 9   | conv2d over [N, C, 1, L]: + 3 Reshape each way |
 * | convTranspose2d, with bias      | 5   | 6   | Conv2DBackpropInput fwd; Conv2D + BackpropFilter bwd |
 * | maxPool2d                       | 3   | 3   | Transpose, MaxPool (explicit -inf padding), Transpose; MaxPoolGrad |
 * | avgPool2d                       | 3-5 | 3-5 | + Pad/Slice with padding or ceilMode, + Mul where PyTorch's divisor != kH * kW |
 * | maxPool1d, avgPool1d            | +2  | +2  | the 2-d op over [N, C, 1, L] |
 * | adaptiveAvgPool2d               | 1-3 | 2-3 | 1x1: Mean; sizes divide: avgPool2d; else 2 BatchMatMul with bin matrices |
 * | dropout, dropout2d (training)   | 4   | 1   | StatelessRandomUniform, GreaterEqual, SelectV2, Mul |
 * | embedding                       | 1   | 1-2 | GatherV2; UnsortedSegmentSum (+ Mul for paddingIdx) |
 *
 * Small constant inputs (shapes, perms, divisor maps) are cached, never re-uploaded.
 * What a backward needs beyond its inputs (the NCHW paths' NHWC copies, dropout's
 * mask) is saved on the graph node and freed with it.
 */
export {
  conv2d, conv1d, convTranspose2d, type Conv2dOptions, type Conv1dOptions, type ConvTranspose2dOptions, type ExplicitPadding,
} from './nn/conv.js';
export {
  maxPool2d, avgPool2d, maxPool1d, avgPool1d, adaptiveAvgPool2d,
  type MaxPool2dOptions, type AvgPool2dOptions, type MaxPool1dOptions, type AvgPool1dOptions,
} from './nn/pool.js';
export { dropout, dropout2d } from './nn/dropout.js';
export { embedding, type EmbeddingOptions } from './nn/embedding.js';
export type { IntPair } from './nn/args.js';
