/** The loss classes of `keras.losses`, each a `Loss` over a function of losses/functions.ts. */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { registerSerializable } from '../registry.js';
import * as L from './functions.js';
import { Loss, reduceWeighted, type LossOptions } from './loss.js';
import { getKerasMask } from '../layers/masking.js';

/** A class over a loss function without options. */
function simple(name: string, fn: (t: Tensor, p: Tensor) => Tensor) {
  const C = class extends Loss {
    call(yTrue: Tensor, yPred: Tensor): Tensor {
      return fn(yTrue, yPred);
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return C;
}

export const MeanSquaredError = simple('MeanSquaredError', L.meanSquaredError);
export const MeanAbsoluteError = simple('MeanAbsoluteError', L.meanAbsoluteError);
export const MeanAbsolutePercentageError = simple('MeanAbsolutePercentageError', L.meanAbsolutePercentageError);
export const MeanSquaredLogarithmicError = simple('MeanSquaredLogarithmicError', L.meanSquaredLogarithmicError);
export const LogCosh = simple('LogCosh', L.logCosh);
export const KLDivergence = simple('KLDivergence', L.klDivergence);
export const Poisson = simple('Poisson', L.poisson);
export const Hinge = simple('Hinge', L.hinge);
export const SquaredHinge = simple('SquaredHinge', L.squaredHinge);
export const CategoricalHinge = simple('CategoricalHinge', L.categoricalHinge);
export const CosineSimilarity = simple('CosineSimilarity', L.cosineSimilarity);
export type MeanSquaredError = InstanceType<typeof MeanSquaredError>;

/** Huber loss with threshold `delta` (default 1). */
export class Huber extends Loss {
  readonly delta: number;
  constructor(options: LossOptions & { delta?: number } = {}) {
    super({ ...options, name: options.name ?? 'huber_loss' });
    this.delta = options.delta ?? 1;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return L.huber(yTrue, yPred, this.delta);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), delta: this.delta };
  }
}

function checkSmoothing(ls: unknown): number {
  if (typeof ls !== 'number' || ls < 0 || ls > 1) throw new KerasValueError(`\`label_smoothing\` must be a float between 0 and 1. Received: label_smoothing=${String(ls)}`);
  return ls;
}

export interface CrossentropyLossOptions extends LossOptions {
  /** Predictions are logits. Default false. */
  fromLogits?: boolean;
  /** Default 0. */
  labelSmoothing?: number;
}

/** The options and config both probability crossentropies share; `call` picks the formula. */
abstract class ProbabilityCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(options: CrossentropyLossOptions) {
    super(options);
    this.fromLogits = options.fromLogits ?? false;
    this.labelSmoothing = checkSmoothing(options.labelSmoothing ?? 0);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

export class BinaryCrossentropy extends ProbabilityCrossentropy {
  constructor(options: CrossentropyLossOptions = {}) {
    super(options);
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return L.binaryCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing });
  }
}

export class CategoricalCrossentropy extends ProbabilityCrossentropy {
  constructor(options: CrossentropyLossOptions = {}) {
    super(options);
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return L.categoricalCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Integer class targets. From logits (or a softmax output's remembered
 * logits) with the default reduction and no sample weights, the whole loss
 * is `SparseSoftmaxCrossEntropyWithLogits` + one mean: loss and gradient in
 * one kernel.
 */
export class SparseCategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  constructor(options: LossOptions & { fromLogits?: boolean; ignoreClass?: number | null } = {}) {
    super(options);
    this.fromLogits = options.fromLogits ?? false;
    this.ignoreClass = options.ignoreClass ?? null;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return L.sparseCategoricalCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, ignoreClass: this.ignoreClass });
  }
  override compute(yTrue: Tensor | number[], yPred: Tensor, sampleWeight?: Tensor | null): Tensor {
    if (sampleWeight == null && this.reduction === 'sum_over_batch_size' && this.ignoreClass === null && !Array.isArray(yTrue) && getKerasMask(yPred) === null) {
      const fast = L.sparseCategoricalCrossentropyMean(yTrue, yPred, this.fromLogits);
      if (fast !== null) return fast;
    }
    return super.compute(yTrue, yPred, sampleWeight);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, ignoreClass: this.ignoreClass };
  }
}

export { reduceWeighted };
for (const c of [
  MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCosh, KLDivergence, Poisson, Hinge,
  SquaredHinge, CategoricalHinge, CosineSimilarity, Huber, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
]) registerSerializable('loss', c as unknown as { name: string; fromConfig(c: Record<string, unknown>): Loss });
