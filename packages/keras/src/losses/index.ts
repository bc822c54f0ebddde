/**
 * `keras.losses`: classes, functions, and `get()` for the identifiers
 * `compile({ loss })` accepts: Keras's names in Python spelling
 * (`'sparse_categorical_crossentropy'`, `'mse'`) or camelCase, a Loss
 * instance, or a function `(yTrue, yPred) => perSampleLosses`.
 */
import type { Tensor } from '@duet/core';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { deserialize, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';
import * as C from './classes.js';
import { Loss, LossFunctionWrapper } from './loss.js';

export { Loss, LossFunctionWrapper, reduceWeighted, type LossOptions, type Reduction } from './loss.js';
export {
  MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCosh, KLDivergence, Poisson, Hinge,
  SquaredHinge, CategoricalHinge, CosineSimilarity, Huber, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
  type CrossentropyLossOptions,
} from './classes.js';
export {
  meanSquaredError, meanAbsoluteError, meanAbsolutePercentageError, meanSquaredLogarithmicError, huber, logCosh, klDivergence, poisson,
  hinge, squaredHinge, categoricalHinge, cosineSimilarity, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
  type CrossentropyOptions,
} from './functions.js';

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
export type LossIdentifier = string | Loss | LossFn | Serialized;

/** Keras's loss names (and aliases) -> a new Loss with defaults. */
const BY_NAME: Record<string, () => Loss> = {
  mean_squared_error: () => new C.MeanSquaredError(), mse: () => new C.MeanSquaredError(),
  mean_absolute_error: () => new C.MeanAbsoluteError(), mae: () => new C.MeanAbsoluteError(),
  mean_absolute_percentage_error: () => new C.MeanAbsolutePercentageError(), mape: () => new C.MeanAbsolutePercentageError(),
  mean_squared_logarithmic_error: () => new C.MeanSquaredLogarithmicError(), msle: () => new C.MeanSquaredLogarithmicError(),
  log_cosh: () => new C.LogCosh(), logcosh: () => new C.LogCosh(),
  kl_divergence: () => new C.KLDivergence(), kld: () => new C.KLDivergence(), kullback_leibler_divergence: () => new C.KLDivergence(),
  poisson: () => new C.Poisson(), hinge: () => new C.Hinge(), squared_hinge: () => new C.SquaredHinge(), categorical_hinge: () => new C.CategoricalHinge(),
  cosine_similarity: () => new C.CosineSimilarity(), huber: () => new C.Huber(), huber_loss: () => new C.Huber(),
  binary_crossentropy: () => new C.BinaryCrossentropy(), categorical_crossentropy: () => new C.CategoricalCrossentropy(),
  sparse_categorical_crossentropy: () => new C.SparseCategoricalCrossentropy(),
};
const KEYS = new Map(Object.entries(BY_NAME).map(([k, v]) => [identifierKey(k), v]));

/** A Loss from an identifier. */
export function get(identifier: LossIdentifier): Loss {
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === 'function') return new LossFunctionWrapper(identifier);
  if (typeof identifier === 'string') {
    const make = KEYS.get(identifierKey(identifier));
    if (make === undefined) throw new UnknownIdentifierError('loss', identifier, Object.keys(BY_NAME));
    return make();
  }
  if (identifier !== null && typeof identifier === 'object' && typeof identifier.className === 'string') return deserialize<Loss>('loss', identifier);
  throw new KerasValueError(`Could not interpret loss identifier: ${String(identifier)}`);
}
