/**
 * What a search optimises and in which direction (KerasTuner's `Objective`).
 * A metric name alone infers the direction as KerasTuner does: names with
 * "loss" or an error in them are minimised, accuracies/AUC/... maximised.
 */
import { TunerValueError } from './errors.js';

export type Direction = 'min' | 'max';

export class Objective {
  constructor(
    readonly name: string,
    readonly direction: Direction,
  ) {
    if (typeof name !== 'string' || name === '') throw new TunerValueError(`An Objective needs a metric name. Received: name=${JSON.stringify(name)}`);
    if (direction !== 'min' && direction !== 'max') throw new TunerValueError(`An Objective's direction must be 'min' or 'max'. Received: direction=${JSON.stringify(direction)}`);
  }

  /** True when `a` is a better score than `b`. */
  better(a: number, b: number): boolean {
    return this.direction === 'min' ? a < b : a > b;
  }

  /** The best of `values` (NaN and infinities skipped), or null. */
  best(values: readonly number[]): { value: number; step: number } | null {
    let out: { value: number; step: number } | null = null;
    values.forEach((v, step) => {
      if (Number.isFinite(v) && (out === null || this.better(v, out.value))) out = { value: v, step };
    });
    return out;
  }
}

const MAX_METRICS = ['acc', 'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy', 'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy', 'auc', 'precision', 'recall', 'f1_score', 'r2_score', 'cosine_similarity'];
const MIN_METRICS = ['loss', 'mse', 'mae', 'mape', 'msle', 'rmse', 'mean_squared_error', 'mean_absolute_error', 'mean_absolute_percentage_error', 'mean_squared_logarithmic_error', 'root_mean_squared_error', 'crossentropy', 'hinge', 'logcosh', 'kl_divergence'];

/** `'val_accuracy'` -> max, `'val_loss'` -> min; anything else needs an explicit `new Objective(name, direction)`. */
export function toObjective(objective: string | Objective | undefined, fallback = 'val_loss'): Objective {
  if (objective instanceof Objective) return objective;
  const name = objective ?? fallback;
  if (typeof name !== 'string') throw new TunerValueError(`objective must be a metric name or an Objective. Received: ${JSON.stringify(objective)}`);
  const base = name.replace(/^val_/, '');
  if (MAX_METRICS.includes(base)) return new Objective(name, 'max');
  if (MIN_METRICS.includes(base) || base.endsWith('_loss') || base.endsWith('crossentropy')) return new Objective(name, 'min');
  throw new TunerValueError(`Could not infer the direction of objective "${name}". Pass new Objective("${name}", 'min') or new Objective("${name}", 'max').`);
}
