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
 * NCHW results of conv and pool (and elementwise ops on them) are *stored*
 * NHWC, the layout TF's CPU kernels need, with their logical NCHW shape
 * (docs/design/layout.md): a chain conv -> relu -> pool -> conv transposes
 * nothing between the ops; a layout-unaware op (flatten, sum, toArray) reads
 * the logical value, converted once and cached.
 *
 * Native kernels per call (counted by test/golden/core_nn.test.ts, with
 * oneDNN's fused convolution and workspace pooling off: where TensorFlow runs
 * oneDNN, a dense conv with a bias runs one kernel fewer forward
 * (`_MklNativeFusedConv2D`), and an unpadded max pool with gradients runs
 * `_MklNativeMaxPool` / `_MklNativeMaxPoolGrad`; kernels/nn.ts; and with
 * Duet's pooling through the ReLU off: where Duet's kernels are built, a max
 * pool of a ReLU's output sends its gradient through the ReLU and the conv's
 * bias in one DuetMaxPoolGradArgmax, 2 kernels fewer backward in the
 * conv2d, relu, maxPool2d chain, max_pool_relu.test.ts; NCHW input
 * stored logically unless said; "bwd" = all inputs require grad, upstream
 * gradient and input leaves logical, so it includes the Transpose of the
 * gradient in and of dx out, which an NHWC-stored neighbour does not pay):
 *
 * | op                              | fwd | bwd | notes |
 * | ------------------------------- | --- | --- | ----- |
 * | conv2d, groups 1, with bias     | 4   | 6   | Transpose x (none if stored NHWC), w; Conv2D; BiasAdd. bwd: BackpropInput; BackpropFilter + Transpose dw; BiasAddGrad |
 * | conv2d, relu, maxPool2d         | 6   | 8   | the chain above: nothing transposed between the three ops |
 * | conv2d, dataFormat 'NHWC'       | 2   | 3   | Conv2D + BiasAdd; no transposes |
 * | conv2d 1x1, stride 1, no pad    | 5   | 7   | logical NCHW as BatchMatMul W @ x[N, C, HW] + Reshapes (see nn/pointwise.ts); NHWC-stored: the Conv2D path |
 * | conv2d, dilation > 1            | 4   | 8   | + ScatterNd (zero-filled dense filter) and StridedSlice in bwd: TF's CPU backprop rejects dilation |
 * | conv2d, depthwise (groups = C)  | 5   | 8   | DepthwiseConv2dNative (10x faster than grouped Conv2D here) + filter Reshape |
 * | conv2d, 1 < groups < C          | 4   | 9 + 2G | native grouped Conv2D fwd; bwd one BackpropInput/Filter per group (TF's CPU backprop rejects groups) |
 * | conv1d                          | 8   | 9   | conv2d over [N, C, 1, L]: + Reshapes, and the squeeze reads the logical value |
 * | convTranspose2d, with bias      | 4   | 6   | Conv2DBackpropInput fwd; Conv2D + BackpropFilter bwd |
 * | maxPool2d                       | 2   | 3   | (Transpose x), MaxPool (explicit -inf padding); MaxPoolGrad |
 * | avgPool2d                       | 2-4 | 3-5 | + Pad/Slice with padding or ceilMode, + Mul where PyTorch's divisor != kH * kW |
 * | maxPool1d, avgPool1d            | +2  | +2  | the 2-d op over [N, C, 1, L] |
 * | adaptiveAvgPool2d               | 1-2 | 2-3 | 1x1: Mean (over the stored layout); sizes divide: avgPool2d; else 2 BatchMatMul with bin matrices |
 * | batchNorm2d                     | 2   | 3   | Transpose x (none if stored NHWC), FusedBatchNormV3; FusedBatchNormGradV3 |
 * | dropout, dropout2d (training)   | 4   | 1   | StatelessRandomUniform, GreaterEqual, SelectV2, Mul (in the stored layout) |
 * | embedding                       | 1   | 1-2 | GatherV2; UnsortedSegmentSum (+ Mul for paddingIdx) |
 * | gruLayer, Duet's kernels        | 1   | 1   | DuetGRUSequence; DuetGRUSequenceGrad (native/ops/gru.cc, where built; else the row below) |
 * | gruLayer (whole sequence)      | 5 + 15 T (12 T no grad) | 12 + 7 T | MatMul + BiasAdd of every step's input, then per step MatMul, BiasAdd, SplitV, AddV2, Sigmoid, Split, Mul, AddV2, Tanh, Sub, Mul, AddV2 (+ ConcatV2, SigmoidGrad, ConcatV2 of the backward's factors when recording); bwd per step AddN, Mul, Sub, TanhGrad, ConcatV2, Mul, MatMul; weight grads in 2 MatMuls |
 * | lstmLayer, Duet's kernels       | 4   | 1   | DuetLSTMSequence, Slice output, hN, cN; DuetLSTMSequenceGrad (native/ops/lstm.cc, where built; else the row below) + ConcatV2 of the output's gradient, + Pad per final state used |
 * | lstmLayer (whole sequence)      | 6-7 | 6 or 3 T + 20 | ConcatV2 + Transpose of the weights, AddV2 biases, BlockLSTMV2, Slice hN, cN, ConcatV2 [h; c] (+ Gather of the weights for 'steps'); bwd 'sequence': SplitV, Pad, BlockLSTMGradV2, Transpose + SplitV dw, ConcatV2; 'steps' (large weights): LSTMBlockCellGrad + MatMul + AddV2 per step, then 3 MatMuls; + Pad per final state used, + ReverseV2 x2 for reverse |
 * | rnnLayer (whole sequence)       | 6 + 3 T | 8 + 3 T | Reshape, MatMul, AddV2 + BiasAdd of both biases over every step's input, Unpack; per step MatMul, AddV2, Tanh/Relu; Pack. bwd per step AddV2, TanhGrad/ReluGrad, MatMul; weight grads in 2 MatMuls, dx in 1 |
 *
 * Small constant inputs (shapes, perms, divisor maps) are cached, never re-uploaded.
 * What a backward needs beyond its inputs (the NCHW convs' HWIO weight, dropout's
 * mask) is saved on the graph node and freed with it; an input's NHWC copy is
 * cached on the input and freed with it.
 */
export {
  conv2d, conv1d, convTranspose2d, type Conv2dOptions, type Conv1dOptions, type ConvTranspose2dOptions, type ExplicitPadding,
} from './conv.js';
export {
  maxPool2d, avgPool2d, maxPool1d, avgPool1d, adaptiveAvgPool2d,
  type MaxPool2dOptions, type AvgPool2dOptions, type MaxPool1dOptions, type AvgPool1dOptions,
} from './pool.js';
export { batchNorm2d, type BatchNorm2dOptions, type BatchNorm2dResult } from './batchnorm.js';
export { dropout, dropout2d } from './dropout.js';
export { embedding, type EmbeddingOptions } from './embedding.js';
export { lstmLayer, type LstmLayerOptions, type LstmLayerResult } from './lstm.js';
export { gruLayer, type GruLayerOptions } from './gru.js';
export { rnnLayer, type RnnLayerOptions } from './rnn_elman.js';
export type { IntPair } from './args.js';
export { imageProjectiveTransform, type ImageProjectiveTransformOptions } from './image_transform.js';
