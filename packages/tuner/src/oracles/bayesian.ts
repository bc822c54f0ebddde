/**
 * Bayesian optimisation with a Gaussian process (KerasTuner's
 * `BayesianOptimizationOracle`): after `numInitialPoints` random trials,
 * fit a GP to the completed trials' scores over the unit cube of the
 * hyperparameters' cumulative probabilities, and pick the point that
 * minimises the lower confidence bound `mean - beta * std` (KerasTuner's
 * "upper confidence bound" on the minimisation-framed score). Running
 * trials are "hallucinated" at a pessimistic mean + std, as KerasTuner does,
 * so parallel workers do not all get the same point.
 *
 * The acquisition is minimised over random candidates plus local moves
 * around the best of them (KerasTuner runs L-BFGS-B from 50 random seeds).
 * A proposal that was already tried falls back to a random point.
 */
import { Fixed, type HpValue } from '../hyperparameters/hyperparameter.js';
import type { Trial } from '../trial.js';
import { GaussianProcess } from './gaussian_process.js';
import { Oracle, type OracleOptions, type Populated } from './oracle.js';
import { TunerValueError } from '../errors.js';

export interface BayesianOptions extends OracleOptions {
  /** Random trials before the GP is used. Default max(3 * dimensions, 3). */
  numInitialPoints?: number | null;
  /** Added to the kernel diagonal. Default 1e-4. */
  alpha?: number;
  /** Exploration weight of the confidence bound. Default 2.6. */
  beta?: number;
}

const CANDIDATES = 1000;
const LOCAL_STARTS = 5;
const LOCAL_MOVES = 60;

export class BayesianOptimizationOracle extends Oracle {
  readonly numInitialPoints: number | null;
  readonly alpha: number;
  readonly beta: number;

  constructor(options: BayesianOptions) {
    super(options);
    this.numInitialPoints = options.numInitialPoints ?? null;
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 2.6;
    if (this.numInitialPoints !== null && (!Number.isInteger(this.numInitialPoints) || this.numInitialPoints < 1)) throw new TunerValueError(`numInitialPoints must be a positive integer. Received: numInitialPoints=${String(options.numInitialPoints)}`);
    if (!(this.alpha > 0)) throw new TunerValueError(`alpha must be > 0. Received: alpha=${String(options.alpha)}`);
    if (!(this.beta >= 0)) throw new TunerValueError(`beta must be >= 0. Received: beta=${String(options.beta)}`);
  }

  private get tuned() {
    return this.space.space.filter((h) => !(h instanceof Fixed));
  }

  protected populateSpace(): Populated {
    const dims = this.tuned.length;
    const completed = this.completed.filter((t) => t.score !== null && Number.isFinite(t.score));
    if (dims === 0 || completed.length < (this.numInitialPoints ?? Math.max(3 * dims, 3))) return this.random();
    const sign = this.objective.direction === 'max' ? -1 : 1;
    const x = completed.map((t) => this.vectorize(t));
    const y = completed.map((t) => sign * t.score!);
    let gp = new GaussianProcess(this.alpha).fit(x, y);
    const ongoing = this.ongoing;
    if (ongoing.length > 0) {
      const xo = ongoing.map((t) => this.vectorize(t));
      const p = gp.predict(xo);
      gp = new GaussianProcess(this.alpha).fit([...x, ...xo], [...y, ...p.mean.map((m, i) => m + p.std[i]!)]);
    }
    const acq = (pts: number[][]) => {
      const p = gp.predict(pts);
      return p.mean.map((m, i) => m - this.beta * p.std[i]!);
    };
    const cands = Array.from({ length: CANDIDATES }, () => Array.from({ length: dims }, () => this.rng.next()));
    const scores = acq(cands);
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
    let bestX = cands[order[0]![1]]!;
    let bestS = order[0]![0];
    for (const [s0, i0] of order.slice(0, LOCAL_STARTS)) {
      let cur = cands[i0]!;
      let curS = s0;
      let radius = 0.1;
      for (let m = 0; m < LOCAL_MOVES; m++) {
        const moved = cur.map((v) => Math.min(1 - 1e-9, Math.max(0, v + radius * (2 * this.rng.next() - 1))));
        const s = acq([moved])[0]!;
        if (s < curS) {
          cur = moved;
          curS = s;
        } else radius = Math.max(0.005, radius * 0.9);
      }
      if (curS < bestS) {
        bestS = curS;
        bestX = cur;
      }
    }
    const values = this.vectorToValues(bestX);
    if (this.triedSoFar.has(this.valuesHash(values))) return this.random();
    return { status: 'RUNNING', values };
  }

  private random(): Populated {
    const values = this.randomValues();
    if (values === null) return this.ongoing.length > 0 ? { status: 'IDLE' } : { status: 'STOPPED' };
    return { status: 'RUNNING', values };
  }

  /** A trial's point in the unit cube; an inactive or newer hyperparameter sits at its default, as in KerasTuner. */
  private vectorize(t: Trial): number[] {
    return this.tuned.map((hp) => {
      const active = hp.conditions.every((c) => c.name in t.values && c.values.includes(t.values[c.name]!));
      const v = active && hp.name in t.values ? t.values[hp.name]! : hp.default;
      return hp.valueToProb(v);
    });
  }

  private vectorToValues(vector: number[]): Record<string, HpValue> {
    const values: Record<string, HpValue> = {};
    let i = 0;
    for (const hp of this.space.space) {
      const value = hp instanceof Fixed ? hp.value : hp.probToValue(vector[i++]!);
      const active = hp.conditions.every((c) => c.name in values && c.values.includes(values[c.name]!));
      if (active && !(hp.name in values)) values[hp.name] = value;
    }
    return values;
  }
}
