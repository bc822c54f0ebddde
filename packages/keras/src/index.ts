/**
 * @duet/keras: Keras 3's API over Duet's engine. Layers are thin: their
 * math is @duet/core's and @duet/nn's kernels, autograd and optimizer
 * updates.
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * const model = new keras.Sequential([
 *   new keras.layers.Dense(128, { activation: 'relu' }),
 *   new keras.layers.Dense(10, { activation: 'softmax' }),
 * ]);
 * model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
 * ```
 */
export { Model, Sequential, type ModelOptions, type SequentialOptions } from './models/index.js';
export { Input, InputLayer, Layer, Variable, type InputOptions } from './layers/index.js';
export { KerasTensor } from './graph/keras_tensor.js';
export * as layers from './layers/index.js';
export * as models from './models/index.js';
export * as optimizers from './optimizers/index.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export * as callbacks from './callbacks/index.js';
export * as datasets from './datasets/index.js';
export * as initializers from './initializers/index.js';
export * as regularizers from './regularizers/index.js';
export * as constraints from './constraints/index.js';
export * as activations from './activations/index.js';
export * as utils from './utils/index.js';
export * as ops from './ops/index.js';
export * as random from './random/index.js';
export * as saving from './saving/index.js';
export { registerSerializable, serialize, deserialize, type Serialized, type Category } from './registry.js';
export {
  KerasValueError, IncompatibleInputError, UnknownIdentifierError, NotReadyError, DataCardinalityError, NonFiniteLossError,
} from './errors.js';
export type { CompileOptions } from './trainers/compile.js';
export type { FitOptions } from './trainers/fit.js';
export type { StepData, StepLogs, ComputeLossArgs } from './trainers/train_step.js';
export type { EvaluateOptions } from './trainers/evaluate.js';
export type { PredictOptions } from './trainers/predict.js';
export * as distribute from './distribute/index.js';
