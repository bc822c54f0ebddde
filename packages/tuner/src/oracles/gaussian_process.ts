/**
 * A Gaussian-process regressor with a Matern(nu = 2.5) kernel, as
 * KerasTuner's Bayesian oracle builds with scikit-learn
 * (`GaussianProcessRegressor(kernel=Matern(nu=2.5), alpha, normalize_y=True)`).
 * The linear algebra (Cholesky factor and triangular solves) is ml-matrix's.
 * The isotropic length scale is chosen by the log marginal likelihood over
 * a log-spaced grid (scikit-learn runs L-BFGS from random restarts instead).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

const SQRT5 = Math.sqrt(5);

function matern52(a: readonly number[], b: readonly number[], lengthScale: number): number {
  let d2 = 0;
  for (let i = 0; i < a.length; i++) d2 += (a[i]! - b[i]!) ** 2;
  const r = Math.sqrt(d2) / lengthScale;
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

/** Length scales tried when fitting (the inputs live in the unit cube). */
const LENGTH_SCALES = Array.from({ length: 25 }, (_, i) => 10 ** (-2 + (3 * i) / 24));

export class GaussianProcess {
  private x: number[][] = [];
  private chol: CholeskyDecomposition | null = null;
  private alphaVec: Matrix | null = null;
  private yMean = 0;
  private yStd = 1;
  lengthScale = 1;

  /** `alpha` is added to the kernel's diagonal (observation noise and jitter). */
  constructor(readonly alpha = 1e-4) {}

  fit(x: number[][], y: number[]): this {
    this.x = x.map((r) => [...r]);
    const n = y.length;
    this.yMean = y.reduce((s, v) => s + v, 0) / n;
    const variance = y.reduce((s, v) => s + (v - this.yMean) ** 2, 0) / n;
    this.yStd = variance > 0 ? Math.sqrt(variance) : 1;
    const yn = Matrix.columnVector(y.map((v) => (v - this.yMean) / this.yStd));
    let best = -Infinity;
    for (const l of LENGTH_SCALES) {
      const chol = new CholeskyDecomposition(this.kernel(this.x, this.x, l, true));
      if (!chol.isPositiveDefinite()) continue;
      const a = chol.solve(yn);
      const L = chol.lowerTriangularMatrix;
      let logDet = 0;
      for (let i = 0; i < n; i++) logDet += Math.log(L.get(i, i));
      const lml = -0.5 * yn.dot(a) - logDet - (n / 2) * Math.log(2 * Math.PI);
      if (lml > best) {
        best = lml;
        this.lengthScale = l;
        this.chol = chol;
        this.alphaVec = a;
      }
    }
    if (this.chol === null) throw new Error('GaussianProcess.fit: the kernel matrix is not positive definite for any length scale; raise alpha.');
    return this;
  }

  private kernel(a: number[][], b: number[][], l: number, diag: boolean): Matrix {
    const k = new Matrix(a.length, b.length);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) k.set(i, j, matern52(a[i]!, b[j]!, l));
    if (diag) for (let i = 0; i < a.length; i++) k.set(i, i, k.get(i, i) + this.alpha);
    return k;
  }

  /** Posterior mean and standard deviation at each row of `x`, on the scale of the fitted `y`. */
  predict(x: number[][]): { mean: number[]; std: number[] } {
    if (this.chol === null || this.alphaVec === null) throw new Error('GaussianProcess.predict before fit');
    const ks = this.kernel(x, this.x, this.lengthScale, false); // m x n
    const mean = ks.mmul(this.alphaVec).getColumn(0).map((m) => m * this.yStd + this.yMean);
    const L = this.chol.lowerTriangularMatrix;
    const std = x.map((_, i) => {
      // v = L^-1 k*, by forward substitution
      const n = this.x.length;
      const v = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        let s = ks.get(i, r);
        for (let c = 0; c < r; c++) s -= L.get(r, c) * v[c]!;
        v[r] = s / L.get(r, r);
      }
      let vv = 0;
      for (let r = 0; r < n; r++) vv += v[r]! ** 2;
      return Math.sqrt(Math.max(0, 1 - vv)) * this.yStd;
    });
    return { mean, std };
  }
}
