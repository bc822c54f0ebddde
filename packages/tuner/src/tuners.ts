/**
 * The tuners users construct (KerasTuner's `RandomSearch`, `Hyperband`,
 * `BayesianOptimization`, `GridSearch`): a `Tuner` with its oracle.
 */
import { BayesianOptimizationOracle, type BayesianOptions } from './oracles/bayesian.js';
import { GridSearchOracle } from './oracles/grid_search.js';
import { HyperbandOracle, type HyperbandOptions } from './oracles/hyperband.js';
import { RandomSearchOracle } from './oracles/random_search.js';
import { Tuner, type TunerOptions } from './tuner.js';

export interface RandomSearchOptions extends TunerOptions {
  /** Trials to run. Default 10. */
  maxTrials?: number;
}

export class RandomSearch extends Tuner {
  constructor(options: RandomSearchOptions) {
    super(options, (objective, seed) => new RandomSearchOracle({ objective, seed, maxTrials: options.maxTrials ?? 10, maxConsecutiveFailedTrials: options.maxConsecutiveFailedTrials }));
  }
}

export interface GridSearchOptions extends TunerOptions {
  /** Stop after this many trials (default: the whole grid). */
  maxTrials?: number | null;
}

export class GridSearch extends Tuner {
  constructor(options: GridSearchOptions) {
    super(options, (objective, seed) => new GridSearchOracle({ objective, seed, maxTrials: options.maxTrials ?? null, maxConsecutiveFailedTrials: options.maxConsecutiveFailedTrials }));
  }
}

export type HyperbandTunerOptions = TunerOptions & Pick<HyperbandOptions, 'maxEpochs' | 'factor' | 'hyperbandIterations'>;

export class Hyperband extends Tuner {
  constructor(options: HyperbandTunerOptions) {
    super(options, (objective, seed) => new HyperbandOracle({ objective, seed, maxEpochs: options.maxEpochs, factor: options.factor, hyperbandIterations: options.hyperbandIterations, maxConsecutiveFailedTrials: options.maxConsecutiveFailedTrials }));
  }
}

export interface BayesianOptimizationOptions extends TunerOptions, Pick<BayesianOptions, 'numInitialPoints' | 'alpha' | 'beta'> {
  /** Trials to run. Default 10. */
  maxTrials?: number;
}

export class BayesianOptimization extends Tuner {
  constructor(options: BayesianOptimizationOptions) {
    super(options, (objective, seed) => new BayesianOptimizationOracle({ objective, seed, maxTrials: options.maxTrials ?? 10, numInitialPoints: options.numInitialPoints, alpha: options.alpha, beta: options.beta, maxConsecutiveFailedTrials: options.maxConsecutiveFailedTrials }));
  }
}
