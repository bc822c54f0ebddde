/**
 * Loss modules, re-exported by `nn` (`new nn.CrossEntropyLoss()`); their
 * functional forms are in `F` (`F.crossEntropy`). PyTorch's formulas and
 * reduction rules.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * import { randn, randint } from '@duet/core';
 * const lossFn = new nn.CrossEntropyLoss();
 * const loss = lossFn.forward(randn([8, 10], { requiresGrad: true }), randint(0, 10, [8]));
 * loss.backward();
 * ```
 */
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
  CosineEmbeddingLoss, MarginRankingLoss,
} from './modules.js';
