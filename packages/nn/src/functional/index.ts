/**
 * `nn.functional` (import as `F`): the stateless forms of the layers.
 *
 * @example
 * ```ts
 * import { randn } from '@duet/core';
 * import { F } from '@duet/nn';
 * F.softmax(F.relu(randn([2, 5])), 1).sum(1).toArray(); // [1, 1]
 * ```
 */
export * from './activation.js';
export { linear, bilinear } from './linear.js';
export {
  conv1d, conv2d, convTranspose2d, maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d, dropout, dropout2d, embedding,
  type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions, type MaxPool1dOptions, type MaxPool2dOptions,
  type AvgPool1dOptions, type AvgPool2dOptions, type EmbeddingOptions, type IntPair,
} from './conv.js';
export { batchNorm, layerNorm, groupNorm, type BatchNormOptions } from './normalization.js';
export { pad, type PadMode } from './pad.js';
export { interpolate, type InterpolateMode, type InterpolateOptions } from './interpolate.js';
export { normalize, cosineSimilarity } from './distance.js';
export { scaledDotProductAttention, multiHeadAttentionForward, type ScaledDotProductAttentionOptions, type MultiHeadAttentionOptions } from './attention.js';
export * from './losses.js';
