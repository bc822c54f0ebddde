/**
 * Integrated Gradients (Sundararajan et al. 2017, https://arxiv.org/abs/1703.01365):
 * (x - baseline) times the path integral of the gradient along the straight
 * line from the baseline to x, by Gauss-Legendre quadrature or a Riemann sum
 * (Captum's `IntegratedGradients.attribute(inputs, baselines, target,
 * n_steps=50, method='gausslegendre', internal_batch_size,
 * return_convergence_delta)`).
 *
 * Completeness: the attributions of an example sum to
 * f(x)[t] - f(baseline)[t]; `returnConvergenceDelta` gives the difference
 * per example.
 *
 * @example
 * ```ts
 * import { IntegratedGradients } from '@duet/explain';
 * const ig = new IntegratedGradients(model);
 * const { attributions, delta } = ig.attribute(x, { target: 3, returnConvergenceDelta: true });
 * ```
 */
import { cat, scope, tensor, type Tensor } from '@duet/core';
import { approximationParameters, type ApproximationMethod } from './approximation.js';
import { baselineLike, type Baseline } from './baselines.js';
import { AttributionError } from './errors.js';
import { inputGradients } from './gradients.js';
import { checkInputs, evalTarget, outputShape, repeatTargets, resolveModel, targetIndices, withFrozen, type AttributionModel, type ResolvedModel, type Target } from './model.js';

export interface IntegratedGradientsOptions {
  target?: Target;
  /** Number or Tensor (inputs' shape or one example's shape); default 0. */
  baselines?: Baseline;
  /** Points on the path (default 50). */
  nSteps?: number;
  /** 'gausslegendre' (default), 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'. */
  method?: ApproximationMethod | string;
  /** Rows per forward/backward pass (path points x examples); default all in one pass. */
  internalBatchSize?: number;
  returnConvergenceDelta?: boolean;
}

export interface AttributionWithDelta {
  attributions: Tensor;
  /** Per example: sum of attributions - (f(x)[t] - f(baseline)[t]). */
  delta: Tensor;
}

export class IntegratedGradients {
  protected readonly model: ResolvedModel;
  constructor(model: AttributionModel) {
    this.model = resolveModel(model, 'IntegratedGradients');
  }

  attribute(inputs: Tensor, options: IntegratedGradientsOptions & { returnConvergenceDelta: true }): AttributionWithDelta;
  attribute(inputs: Tensor, options?: IntegratedGradientsOptions): Tensor;
  attribute(inputs: Tensor, options: IntegratedGradientsOptions = {}): Tensor | AttributionWithDelta {
    const who = 'IntegratedGradients.attribute';
    const x = checkInputs(inputs, who);
    const n = x.shape[0]!;
    const { stepSizes, alphas } = approximationParameters(options.method ?? 'gausslegendre', options.nSteps ?? 50);
    const ibs = options.internalBatchSize;
    if (ibs !== undefined && (!Number.isInteger(ibs) || ibs < 1)) throw new AttributionError(`${who}: internalBatchSize must be a positive integer; received ${ibs}.`);
    // Captum: at least one path point per pass.
    const perPass = ibs === undefined ? alphas.length : Math.max(1, Math.floor(ibs / n));
    const { forward } = this.model;
    return scope(() =>
      withFrozen(this.model, () => {
        const base = baselineLike(options.baselines, x, who);
        const diff = x.sub(base);
        const indices = targetIndices(options.target, outputShape(forward, x), n, who);
        let total: Tensor | null = null;
        for (let start = 0; start < alphas.length; start += perPass) {
          const a = alphas.slice(start, start + perPass);
          const s = stepSizes.slice(start, start + perPass);
          const part = scope(() => {
            const points = cat(a.map((alpha) => base.add(diff.mul(alpha))), 0);
            const { grads } = inputGradients(forward, points, () => repeatTargets(indices, a.length));
            const stepShape = [a.length, 1, ...x.shape.slice(1).map(() => 1)];
            return grads.reshape([a.length, ...x.shape]).mul(tensor(s, { shape: stepShape })).sum(0);
          });
          const next: Tensor = total === null ? part : total.add(part);
          if (total !== null) {
            total.dispose();
            part.dispose();
          }
          total = next;
        }
        const attributions = total!.mul(diff);
        if (options.returnConvergenceDelta !== true) return attributions;
        const delta = convergenceDelta(attributions, evalTarget(forward, x, indices), evalTarget(forward, base, indices));
        return { attributions, delta };
      }),
    );
  }
}

/** sum over non-batch dims of the attributions - (end - start). */
export function convergenceDelta(attributions: Tensor, end: Tensor, start: Tensor): Tensor {
  return attributions.reshape([attributions.shape[0]!, -1]).sum(1).sub(end.sub(start));
}
