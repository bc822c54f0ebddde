/**
 * The functional losses (`F.crossEntropy`, `F.mseLoss`, ...), PyTorch's
 * `torch.nn.functional` losses in camelCase.
 *
 * @example
 * ```ts
 * import { F } from '@duet/nn';
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * ```
 */
export { crossEntropy, nllLoss, type CrossEntropyOptions, type NLLLossOptions } from '../losses/cross_entropy.js';
export { mseLoss, l1Loss, smoothL1Loss, huberLoss, type ReductionOptions } from '../losses/regression.js';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, type BCEOptions, type BCEWithLogitsOptions } from '../losses/binary.js';
export { klDiv, type KLDivOptions } from '../losses/kl_div.js';
export { cosineEmbeddingLoss, marginRankingLoss, type MarginOptions } from '../losses/ranking.js';
export type { Reduction } from '../losses/reduction.js';
