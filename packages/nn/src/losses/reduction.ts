/** PyTorch's `reduction` argument, shared by every loss. */
import { ArgumentError, ShapeError, type Reduction, type Tensor } from '@duet/core';

export type { Reduction };

/** Validate `reduction` (PyTorch's message: "... is not a valid value for reduction"). */
export function checkReduction<R extends string = Reduction>(reduction: unknown, fn: string, allowed: readonly R[] = ['mean', 'sum', 'none'] as unknown as R[]): R {
  if (!allowed.includes(reduction as R)) {
    throw new ArgumentError(`${fn}: ${JSON.stringify(reduction)} is not a valid value for reduction: expected one of ${allowed.map((r) => `'${r}'`).join(', ')}.`);
  }
  return reduction as R;
}

/** 'mean': the mean of all elements; 'sum': their sum; 'none': the elementwise loss. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

const warned = new Set<string>();
/**
 * PyTorch's elementwise losses broadcast a target of another shape, with a
 * warning (the classic `[N, 1]` vs `[N]` mistake). Same here, once per shapes.
 */
export function warnIfBroadcast(input: Tensor, target: Tensor, fn: string): void {
  if (sameShape(input.shape, target.shape)) return;
  const key = `${fn}:${input.shape.join(',')}:${target.shape.join(',')}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(
    `${fn}: using a target size ([${target.shape.join(', ')}]) that is different to the input size ([${input.shape.join(', ')}]). ` +
      'This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    { code: 'DUET_LOSS_BROADCAST' },
  );
}

/** Throw unless `a` and `b` have the same shape (the binary cross-entropies require it, like PyTorch). */
export function requireSameShape(input: Tensor, target: Tensor, fn: string): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(`${fn}: target size ([${target.shape.join(', ')}]) must be the same as input size ([${input.shape.join(', ')}]).`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
