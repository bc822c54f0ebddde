/**
 * The losses as modules (`new nn.CrossEntropyLoss()`, `lossFn.forward(yPred, y)`),
 * PyTorch's `torch.nn.*Loss`: each stores its options and calls the
 * functional form. Class weights are registered buffers (`weight`,
 * `pos_weight`), as in PyTorch.
 */
import type { Tensor } from '@duet/core';
import { Module } from '../module.js';
import { crossEntropy, nllLoss, type CrossEntropyOptions, type NLLLossOptions } from './cross_entropy.js';
import { huberLoss, l1Loss, mseLoss, smoothL1Loss, type ReductionOptions } from './regression.js';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, type BCEOptions, type BCEWithLogitsOptions } from './binary.js';
import { klDiv, type KLDivOptions } from './kl_div.js';
import { cosineEmbeddingLoss, marginRankingLoss, type MarginOptions } from './ranking.js';
import { checkReduction, type Reduction } from './reduction.js';

/** A loss with a `reduction` ('mean' by default). */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = checkReduction(reduction ?? 'mean', this.constructor.name);
  }
}

/** A loss with a per-class `weight` buffer. */
abstract class WeightedLoss extends Loss {
  declare readonly weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }
}

/**
 * Cross-entropy of logits against class indices (int32) or class
 * probabilities. See `F.crossEntropy`.
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const loss = lossFn.forward(model.forward(x), y);
 * ```
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Negative log-likelihood of log-probabilities. See `F.nllLoss`.
 *
 * @example
 * ```ts
 * const lossFn = new nn.NLLLoss();
 * lossFn.forward(logits.logSoftmax(1), y);
 * ```
 */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(options: NLLLossOptions = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Mean squared error. @example `new nn.MSELoss().forward(yPred, y)` */
export class MSELoss extends Loss {
  constructor(options: ReductionOptions = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error. @example `new nn.L1Loss({ reduction: 'sum' }).forward(yPred, y)` */
export class L1Loss extends Loss {
  constructor(options: ReductionOptions = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Smooth L1 loss (quadratic below `beta`, default 1). @example `new nn.SmoothL1Loss({ beta: 0.5 })` */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: ReductionOptions & { beta?: number } = {}) {
    super(options.reduction);
    this.beta = options.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Huber loss (quadratic below `delta`, default 1). @example `new nn.HuberLoss({ delta: 2 })` */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: ReductionOptions & { delta?: number } = {}) {
    super(options.reduction);
    this.delta = options.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Binary cross-entropy of probabilities. @example `new nn.BCELoss().forward(logits.sigmoid(), y)` */
export class BCELoss extends WeightedLoss {
  constructor(options: BCEOptions = {}) {
    super(options.weight, options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Binary cross-entropy of logits (sigmoid included, stable).
 *
 * @example
 * ```ts
 * const lossFn = new nn.BCEWithLogitsLoss({ posWeight: tensor([3]) });
 * lossFn.forward(logits, y);
 * ```
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  constructor(options: BCEWithLogitsOptions = {}) {
    super(options.weight, options.reduction);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  /** The `pos_weight` buffer. */
  get posWeight(): Tensor | null {
    return this._get<Tensor | null>('pos_weight');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/**
 * Kullback-Leibler divergence of log-probabilities from a target.
 *
 * @example
 * ```ts
 * const lossFn = new nn.KLDivLoss({ reduction: 'batchmean' });
 * lossFn.forward(logits.logSoftmax(1), targetProbs);
 * ```
 */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: KLDivOptions = {}) {
    super();
    this.reduction = checkReduction(options.reduction ?? 'mean', 'KLDivLoss', ['mean', 'batchmean', 'sum', 'none'] as const);
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** Cosine embedding loss on pairs with a +1/-1 target. @example `new nn.CosineEmbeddingLoss({ margin: 0.5 }).forward(a, b, y)` */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(options: MarginOptions = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Margin ranking loss on pairs with a +1/-1 target. @example `new nn.MarginRankingLoss({ margin: 0.1 }).forward(a, b, y)` */
export class MarginRankingLoss extends Loss {
  readonly margin: number;
  constructor(options: MarginOptions = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}
