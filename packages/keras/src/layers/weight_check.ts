/**
 * Checks `Layer.addWeight` runs before it allocates a weight. A loader that
 * knows what its file holds (a tfjs weights manifest) refuses a weight the
 * file does not have, or has with another shape, before any memory is
 * taken: a config declaring a 1e12-unit Dense fails at once instead of
 * allocating (or trying to allocate) the kernel it describes.
 */

/** Throws if a weight `path` of `shape` may not be created now. */
export type WeightCheck = (path: string, shape: readonly number[]) => void;

const active: WeightCheck[] = [];

/** Run `fn` with `check` applied to every weight created inside it. */
export function withWeightCheck<T>(check: WeightCheck, fn: () => T): T {
  active.push(check);
  try {
    return fn();
  } finally {
    active.pop();
  }
}

/** Run the active checks on a weight about to be created. */
export function checkWeight(path: string, shape: readonly number[]): void {
  for (const c of active) c(path, shape);
}
