/**
 * @duet/tuner: KerasTuner's hyperparameter search for Duet, for Keras
 * `build(hp)` functions and for nn training functions.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { Hyperband, type HyperParameters } from '@duet/tuner';
 * function build(hp: HyperParameters): keras.Model {
 *   const model = new keras.Sequential([
 *     new keras.layers.Dense(hp.Int('units', 8, 64, { step: 8 })!, { activation: 'relu' }),
 *     new keras.layers.Dense(3, { activation: 'softmax' }),
 *   ]);
 *   model.compile({ optimizer: new keras.optimizers.Adam({ learningRate: hp.Float('lr', 1e-4, 1e-1, { sampling: 'log' })! }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
 *   return model;
 * }
 * const tuner = new Hyperband({ hypermodel: build, objective: 'val_accuracy', maxEpochs: 9, directory: 'out', projectName: 'demo' });
 * ```
 */
export { HyperParameters } from './hyperparameters/hyperparameters.js';
export {
  HyperParameter, Int, Float, Choice, BooleanHp, Fixed,
  type HpValue, type Sampling, type Condition, type NumericalOptions, type ChoiceOptions, type HyperParameterConfig,
} from './hyperparameters/hyperparameter.js';
export { Objective, toObjective, type Direction } from './objective.js';
export { Tuner, type TunerOptions, type SearchOptions } from './tuner.js';
export {
  RandomSearch, GridSearch, Hyperband, BayesianOptimization,
  type RandomSearchOptions, type GridSearchOptions, type HyperbandTunerOptions, type BayesianOptimizationOptions,
} from './tuners.js';
export { Oracle, type OracleOptions, type OracleState, type Populated, type Created } from './oracles/oracle.js';
export { RandomSearchOracle } from './oracles/random_search.js';
export { GridSearchOracle } from './oracles/grid_search.js';
export { HyperbandOracle, type HyperbandOptions } from './oracles/hyperband.js';
export { BayesianOptimizationOracle, type BayesianOptions } from './oracles/bayesian.js';
export { GaussianProcess } from './oracles/gaussian_process.js';
export { releaseModel, type HyperModel, type RunFunction, type ModuleRef, type TrialContext } from './execute.js';
export type { Trial, TrialStatus } from './trial.js';
export { SearchSpaceError, TunerValueError } from './errors.js';
