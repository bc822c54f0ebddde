/** Regression and probabilistic metrics: Mean-wrapped loss functions, and RootMeanSquaredError. */
import type { Tensor } from '@duet/core';
import { registerSerializable } from '../registry.js';
import * as L from '../losses/functions.js';
import { Mean, MeanMetricWrapper, Metric, type MetricOptions } from './metric.js';

/** A MeanMetricWrapper subclass named `name` over `fn` (default metric name `metricName`). */
function wrapped(name: string, metricName: string, fn: (t: Tensor, p: Tensor) => Tensor): (new (options?: MetricOptions) => MeanMetricWrapper) & { fromConfig(c: Record<string, unknown>): MeanMetricWrapper } {
  const C = class extends MeanMetricWrapper {
    constructor(options: MetricOptions = {}) {
      super(fn, { name: options.name ?? metricName });
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  registerSerializable('metric', C);
  return C as never;
}

export const MeanSquaredError = wrapped('MeanSquaredError', 'mean_squared_error', L.meanSquaredError);
export const MeanAbsoluteError = wrapped('MeanAbsoluteError', 'mean_absolute_error', L.meanAbsoluteError);
export const MeanAbsolutePercentageError = wrapped('MeanAbsolutePercentageError', 'mean_absolute_percentage_error', L.meanAbsolutePercentageError);
export const MeanSquaredLogarithmicError = wrapped('MeanSquaredLogarithmicError', 'mean_squared_logarithmic_error', L.meanSquaredLogarithmicError);
export const BinaryCrossentropy = wrapped('BinaryCrossentropy', 'binary_crossentropy', (t, p) => L.binaryCrossentropy(t, p));
export const CategoricalCrossentropy = wrapped('CategoricalCrossentropy', 'categorical_crossentropy', (t, p) => L.categoricalCrossentropy(t, p));
export const SparseCategoricalCrossentropy = wrapped('SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', (t, p) => L.sparseCategoricalCrossentropy(t, p));
export const KLDivergence = wrapped('KLDivergence', 'kl_divergence', L.klDivergence);
export const Poisson = wrapped('Poisson', 'poisson', L.poisson);
export const Hinge = wrapped('Hinge', 'hinge', L.hinge);
export const LogCoshError = wrapped('LogCoshError', 'logcosh', L.logCosh);

/** sqrt of the mean squared error over all elements. */
export class RootMeanSquaredError extends Metric {
  private readonly mean = new Mean();
  constructor(options: MetricOptions = {}) {
    super({ name: options.name ?? 'root_mean_squared_error' });
  }
  updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    const [t, p] = L.matchRank(yTrue.dtype === 'float32' ? yTrue : yTrue.float(), yPred);
    this.mean.update(p.sub(t).square(), sampleWeight ?? null);
  }
  result(): number {
    return Math.sqrt(this.mean.result());
  }
  resetState(): void {
    this.mean.resetState();
  }
}
registerSerializable('metric', RootMeanSquaredError);
