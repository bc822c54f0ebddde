/**
 * `keras.metrics`: classes, per-sample functions, and `get()` for the
 * identifiers `compile({ metrics })` accepts (Keras's names in Python
 * spelling or camelCase, Metric instances, functions `(yTrue, yPred) =>
 * perSampleValues`). `'accuracy'` / `'acc'` are resolved against the data's
 * shapes by the trainer (trainers/compile_metrics.ts).
 */
import type { Tensor } from '@duet/core';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { deserialize, type Serialized } from '../registry.js';
import { identifierKey } from '../utils/naming.js';
import * as A from './accuracy.js';
import * as C from './confusion.js';
import * as R from './regression.js';
import { MeanMetricWrapper, Metric } from './metric.js';

export { Metric, Mean, MeanMetricWrapper, type MetricOptions } from './metric.js';
export { DeviceSum } from './device_sum.js';
export {
  Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
  accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
} from './accuracy.js';
export { Precision, Recall, AUC } from './confusion.js';
export {
  MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError,
  BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, LogCoshError,
} from './regression.js';

export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
export type MetricIdentifier = string | Metric | MetricFn | Serialized;

const BY_NAME: Record<string, () => Metric> = {
  binary_accuracy: () => new A.BinaryAccuracy(), categorical_accuracy: () => new A.CategoricalAccuracy(),
  sparse_categorical_accuracy: () => new A.SparseCategoricalAccuracy(), top_k_categorical_accuracy: () => new A.TopKCategoricalAccuracy(),
  sparse_top_k_categorical_accuracy: () => new A.SparseTopKCategoricalAccuracy(),
  auc: () => new C.AUC(), precision: () => new C.Precision(), recall: () => new C.Recall(),
  mean_squared_error: () => new R.MeanSquaredError(), mse: () => new R.MeanSquaredError(),
  mean_absolute_error: () => new R.MeanAbsoluteError(), mae: () => new R.MeanAbsoluteError(),
  mean_absolute_percentage_error: () => new R.MeanAbsolutePercentageError(), mape: () => new R.MeanAbsolutePercentageError(),
  mean_squared_logarithmic_error: () => new R.MeanSquaredLogarithmicError(), msle: () => new R.MeanSquaredLogarithmicError(),
  root_mean_squared_error: () => new R.RootMeanSquaredError(), rmse: () => new R.RootMeanSquaredError(),
  binary_crossentropy: () => new R.BinaryCrossentropy(), categorical_crossentropy: () => new R.CategoricalCrossentropy(),
  sparse_categorical_crossentropy: () => new R.SparseCategoricalCrossentropy(),
  kl_divergence: () => new R.KLDivergence(), kld: () => new R.KLDivergence(), poisson: () => new R.Poisson(), hinge: () => new R.Hinge(),
  logcosh: () => new R.LogCoshError(), log_cosh_error: () => new R.LogCoshError(),
};
const KEYS = new Map(Object.entries(BY_NAME).map(([k, v]) => [identifierKey(k), v]));

/** A Metric from an identifier (not 'accuracy', which needs the data's shapes). */
export function get(identifier: MetricIdentifier): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === 'function') return new MeanMetricWrapper(identifier, { name: identifier.name || 'metric' });
  if (typeof identifier === 'string') {
    const make = KEYS.get(identifierKey(identifier));
    if (make === undefined) throw new UnknownIdentifierError('metric', identifier, ['accuracy', 'acc', ...Object.keys(BY_NAME)]);
    return make();
  }
  if (identifier !== null && typeof identifier === 'object' && typeof identifier.className === 'string') return deserialize<Metric>('metric', identifier);
  throw new KerasValueError(`Could not interpret metric identifier: ${String(identifier)}`);
}
