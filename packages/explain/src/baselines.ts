/** Baselines (references) for Integrated Gradients and Occlusion: a number, or a Tensor of the inputs' shape or of one example's shape. */
import { Tensor, full } from '@duet/core';
import { AttributionError } from './errors.js';

export type Baseline = number | Tensor;

/** The baseline as a tensor of `x`'s full shape. */
export function baselineLike(baseline: Baseline | undefined, x: Tensor, who: string): Tensor {
  if (baseline === undefined || typeof baseline === 'number') return full([...x.shape], baseline ?? 0);
  if (!(baseline instanceof Tensor)) throw new AttributionError(`${who}: baselines must be a number or a Tensor; received ${typeof baseline}.`);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (same(baseline.shape, x.shape)) return baseline.mul(1);
  if (same(baseline.shape, x.shape.slice(1)) || (baseline.shape[0] === 1 && same(baseline.shape.slice(1), x.shape.slice(1)))) {
    return baseline.reshape([1, ...x.shape.slice(1)]).expand([...x.shape]).mul(1);
  }
  throw new AttributionError(
    `${who}: baselines must have the inputs' shape [${x.shape.join(', ')}] or one example's shape [${x.shape.slice(1).join(', ')}]; received [${baseline.shape.join(', ')}].`,
  );
}
