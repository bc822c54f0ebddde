/**
 * Step sizes and points on [0, 1] for the path integral of Integrated
 * Gradients (Captum's `approximation_methods.approximation_parameters`):
 * Gauss-Legendre quadrature (Captum's default) or Riemann sums.
 */
import { AttributionError } from './errors.js';

export const APPROXIMATION_METHODS = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'] as const;
export type ApproximationMethod = (typeof APPROXIMATION_METHODS)[number];

export interface Approximation {
  stepSizes: number[];
  alphas: number[];
}

export function approximationParameters(method: string, nSteps: number): Approximation {
  if (!Number.isInteger(nSteps) || nSteps < 1) throw new AttributionError(`IntegratedGradients: nSteps must be a positive integer; received ${nSteps}.`);
  const n = nSteps;
  switch (method) {
    case 'gausslegendre':
      return gaussLegendre(n);
    case 'riemann_trapezoid': {
      if (n < 2) throw new AttributionError(`IntegratedGradients: method 'riemann_trapezoid' needs nSteps >= 2; received ${n}.`);
      const stepSizes = Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 / (2 * (n - 1)) : 1 / (n - 1)));
      return { stepSizes, alphas: linspace(0, 1, n) };
    }
    case 'riemann_left':
      return { stepSizes: new Array<number>(n).fill(1 / n), alphas: linspace(0, 1 - 1 / n, n) };
    case 'riemann_right':
      return { stepSizes: new Array<number>(n).fill(1 / n), alphas: linspace(1 / n, 1, n) };
    case 'riemann_middle':
      return { stepSizes: new Array<number>(n).fill(1 / n), alphas: linspace(1 / (2 * n), 1 - 1 / (2 * n), n) };
    default:
      throw new AttributionError(`IntegratedGradients: unknown method '${method}'; expected one of ${APPROXIMATION_METHODS.map((m) => `'${m}'`).join(', ')}.`);
  }
}

function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/**
 * Gauss-Legendre nodes and weights on [-1, 1] (Newton's method on the
 * Legendre polynomial P_n, as numpy's `leggauss`), mapped to [0, 1]:
 * alpha = (x + 1) / 2, step = w / 2. Nodes ascending.
 */
function gaussLegendre(n: number): Approximation {
  const alphas = new Array<number>(n);
  const stepSizes = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5)); // i-th largest root, first guess
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pm)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    // recompute the derivative at the converged root
    let p0 = 1;
    let p1 = x;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n === 1 ? 1 : (n * (x * p1 - p0)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * dp * dp);
    // x is the i-th largest root; -x the i-th smallest.
    alphas[n - 1 - i] = (1 + x) / 2;
    alphas[i] = (1 - x) / 2;
    stepSizes[n - 1 - i] = w / 2;
    stepSizes[i] = w / 2;
  }
  return { stepSizes, alphas };
}
