/**
 * The functional losses (`F.crossEntropy`, `F.mseLoss`, ...), PyTorch's
 * `torch.nn.functional` losses in camelCase. Each runs as a core library call
 * (docs/design/memory.md): its intermediates are freed, not moved to
 * JavaScript memory, once the graph is used.
 *
 * @example
 * ```ts
 * import { F } from '@duet/nn';
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * ```
 */
import { libraryCall, type Tensor } from '@duet/core';
import * as CE from '../losses/cross_entropy.js';
import * as R from '../losses/regression.js';
import * as B from '../losses/binary.js';
import * as K from '../losses/kl_div.js';
import * as M from '../losses/ranking.js';

export type { CrossEntropyOptions, NLLLossOptions } from '../losses/cross_entropy.js';
export type { ReductionOptions } from '../losses/regression.js';
export type { BCEOptions, BCEWithLogitsOptions } from '../losses/binary.js';
export type { KLDivOptions } from '../losses/kl_div.js';
export type { MarginOptions } from '../losses/ranking.js';
export type { Reduction } from '../losses/reduction.js';

/** `f` as a library call named `F.<name>()` in error messages. */
function call<A extends unknown[]>(name: string, f: (...args: A) => Tensor): (...args: A) => Tensor {
  return (...args: A) => libraryCall('F', name, () => f(...args));
}

export const crossEntropy = call('crossEntropy', CE.crossEntropy);
export const nllLoss = call('nllLoss', CE.nllLoss);
export const mseLoss = call('mseLoss', R.mseLoss);
export const l1Loss = call('l1Loss', R.l1Loss);
export const smoothL1Loss = call('smoothL1Loss', R.smoothL1Loss);
export const huberLoss = call('huberLoss', R.huberLoss);
export const binaryCrossEntropy = call('binaryCrossEntropy', B.binaryCrossEntropy);
export const binaryCrossEntropyWithLogits = call('binaryCrossEntropyWithLogits', B.binaryCrossEntropyWithLogits);
export const klDiv = call('klDiv', K.klDiv);
export const cosineEmbeddingLoss = call('cosineEmbeddingLoss', M.cosineEmbeddingLoss);
export const marginRankingLoss = call('marginRankingLoss', M.marginRankingLoss);
