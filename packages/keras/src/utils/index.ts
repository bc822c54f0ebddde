/** `keras.utils`. */
import { Tensor, manualSeed, noGrad, tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { resetUniqueNames } from './naming.js';
export { Progbar } from './progbar.js';
export { PyDataset, type PyDatasetOptions } from './py_dataset.js';

/** Reset Keras's global state: the automatic layer names start again at `dense`, `dense_1`, ... */
export function clearSession(): void {
  resetUniqueNames();
}

/** Seed every random draw (initializers, Dropout, shuffling): core's `manualSeed` (Keras's `set_random_seed`). */
export function setRandomSeed(seed: number): void {
  manualSeed(seed);
}

/**
 * Class indices -> one-hot float32 rows (Keras's `to_categorical`): `[N]`
 * (or `[N, 1]`) integers in `[0, numClasses)` give `[N, numClasses]`.
 * `numClasses` defaults to the largest index + 1.
 */
export function toCategorical(y: Tensor | number[], numClasses?: number): Tensor {
  const t = y instanceof Tensor ? y : tensor(y, { dtype: 'int32' });
  return noGrad(() => {
    let idx = t.dtype === 'int32' ? t : t.int();
    if (idx.ndim > 1 && idx.shape[idx.ndim - 1] === 1) idx = idx.squeeze(-1);
    const n = numClasses ?? (idx.numel() === 0 ? 0 : (idx.max().item() as number) + 1);
    if (!Number.isInteger(n) || n <= 0) throw new KerasValueError(`\`num_classes\` must be a positive integer. Received: num_classes=${String(numClasses)}`);
    return idx.oneHot(n).float();
  });
}
