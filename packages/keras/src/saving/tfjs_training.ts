/**
 * A tfjs model.json's `trainingConfig` (written by tfjs-layers'
 * `model.save(url, { includeOptimizer: true })`), read as tfjs-layers'
 * `loadLayersModel` reads it (`LayersModel.loadTrainingConfig`, then
 * `optimizer.setWeights` with the manifest's group 'optimizer'): the model
 * is compiled with the file's optimizer, loss and metrics, and the
 * optimizer continues from its saved state.
 *
 * tfjs's optimizers become Duet's Keras ones: `SGD`, `Momentum` (SGD with
 * momentum; tfjs keeps `sum g` where Keras keeps `-lr sum g`), `Adam`,
 * `Adagrad` and `RMSProp` (`decay` is Keras's `rho`) update as tfjs does.
 * `Adadelta` and `Adamax` have no Duet class: the model loads uncompiled,
 * with a warning. Where tfjs refuses (`loss_weights`, `weighted_metrics`),
 * Duet compiles with them; `sample_weight_mode` (Keras 2's 'temporal') is
 * refused as tfjs refuses it.
 */
import { noGrad, tensor } from '@duet/core';
import type { Variable } from '../layers/variable.js';
import type { Model } from '../models/model.js';
import { Adagrad } from '../optimizers/adagrad.js';
import { Adam } from '../optimizers/adam.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { RMSprop } from '../optimizers/rmsprop.js';
import { SGD } from '../optimizers/sgd.js';
import type { CompileOptions } from '../trainers/compile.js';
import { SavingError } from './errors.js';
import { isJsonObject, type Json, type JsonObject } from './keras_json.js';
import { slot } from './weights.js';

/** One weight of the manifest's group 'optimizer', decoded (in the file's order). */
export interface OptimizerWeight {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

interface TfjsOptimizer {
  /** Duet's optimizer for tfjs's `getConfig()`. */
  make(c: (key: string, fallback: number | boolean) => number | boolean): Optimizer;
  /** tfjs's slot groups in `getWeights()` order after `iter` (each one value per trainable variable): [tfjs's suffix, Duet's slot]. */
  slots(opt: Optimizer): [string, string][];
  /** tfjs's slot value as Duet's (only Momentum's differs). */
  scale?(opt: Optimizer): number;
}

const OPTIMIZERS: Record<string, TfjsOptimizer> = {
  SGD: { make: (c) => new SGD({ learningRate: c('learningRate', 0.01) as number }), slots: () => [] },
  Momentum: {
    make: (c) => new SGD({ learningRate: c('learningRate', 0.01) as number, momentum: c('momentum', 0) as number, nesterov: c('useNesterov', false) as boolean }),
    slots: () => [['momentum', 'momentum']],
    scale: (opt) => -opt.learningRate,
  },
  Adam: {
    make: (c) => new Adam({ learningRate: c('learningRate', 0.001) as number, beta1: c('beta1', 0.9) as number, beta2: c('beta2', 0.999) as number, epsilon: c('epsilon', 1e-7) as number }),
    slots: () => [['m', 'momentum'], ['v', 'velocity']],
  },
  Adagrad: {
    make: (c) => new Adagrad({ learningRate: c('learningRate', 0.01) as number, initialAccumulatorValue: c('initialAccumulatorValue', 0.1) as number }),
    slots: () => [['accumulator', 'accumulator']],
  },
  RMSProp: {
    make: (c) => new RMSprop({ learningRate: c('learningRate', 0.001) as number, rho: c('decay', 0.9) as number, momentum: c('momentum', 0) as number, epsilon: c('epsilon', 1e-7) as number, centered: c('centered', false) as boolean }),
    slots: (opt) => [['rms', 'velocity'], ['momentum', 'momentum'], ...((opt as RMSprop).centered ? [['mg', 'averageGradient'] as [string, string]] : [])],
  },
};

/** Duet's compile options for tfjs's `trainingConfig`, or null (with a warning) when its optimizer has no Duet class. */
function compileOptions(tc: JsonObject, where: string): CompileOptions | null {
  if (tc.sample_weight_mode !== undefined && tc.sample_weight_mode !== null) {
    throw new SavingError('ERR_TFJS_MODEL', `${where}: trainingConfig.sample_weight_mode ${JSON.stringify(tc.sample_weight_mode)} is not supported (tfjs-layers refuses it too); expected null.`);
  }
  const oc = tc.optimizer_config;
  if (!isJsonObject(oc) || typeof oc.class_name !== 'string' || (oc.config !== undefined && !isJsonObject(oc.config))) {
    throw new SavingError('ERR_TFJS_MODEL', `${where}: trainingConfig.optimizer_config must be { class_name, config }, received ${JSON.stringify(oc)?.slice(0, 200)}.`);
  }
  const kind = OPTIMIZERS[oc.class_name];
  if (kind === undefined) {
    process.emitWarning(`${where}: the model was saved with tfjs's ${oc.class_name} optimizer, which Duet does not have (it has ${Object.keys(OPTIMIZERS).join(', ')}); the model loads uncompiled: call compile() before training.`);
    return null;
  }
  const config = (oc.config ?? {}) as JsonObject;
  const value = (key: string, fallback: number | boolean) => {
    const v = config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== typeof fallback) throw new SavingError('ERR_TFJS_MODEL', `${where}: trainingConfig.optimizer_config.config.${key} must be a ${typeof fallback}, received ${JSON.stringify(v)}.`);
    return v as number | boolean;
  };
  const options: CompileOptions = { optimizer: kind.make(value) };
  // tfjs writes the loss and metrics in snake_case, which Duet reads as they are; `{}` is "no metrics".
  const given = (v: Json | undefined) => v !== undefined && v !== null && !(isJsonObject(v) && Object.keys(v).length === 0);
  if (given(tc.loss)) options.loss = tc.loss as CompileOptions['loss'];
  if (given(tc.metrics)) options.metrics = tc.metrics as CompileOptions['metrics'];
  if (given(tc.weighted_metrics)) options.weightedMetrics = tc.weighted_metrics as CompileOptions['weightedMetrics'];
  if (given(tc.loss_weights)) options.lossWeights = tc.loss_weights as CompileOptions['lossWeights'];
  return options;
}

/**
 * Compile `model` from tfjs's `trainingConfig` and give its optimizer the
 * state in `weights` (tfjs's `getWeights()`: `iter`, then each slot group
 * over the trainable variables, in their order). Shapes are checked before
 * anything is set.
 */
export function compileFromTrainingConfig(model: Model, trainingConfig: Json, weights: OptimizerWeight[], where: string): void {
  if (!isJsonObject(trainingConfig)) throw new SavingError('ERR_TFJS_MODEL', `${where}: trainingConfig must be an object, received ${JSON.stringify(trainingConfig)?.slice(0, 200)}.`);
  const options = compileOptions(trainingConfig, where);
  if (options === null) return;
  model.compile(options);
  if (weights.length === 0) return;
  const opt = model.optimizer!;
  const kind = OPTIMIZERS[(trainingConfig.optimizer_config as JsonObject).class_name as string]!;
  const variables = model.trainableWeights;
  const groups = kind.slots(opt);
  const expected = 1 + groups.length * variables.length;
  const [iter, ...rest] = weights;
  if (weights.length !== expected || iter!.shape.length !== 0) {
    throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: the manifest's optimizer group has ${weights.length} weight(s) (${weights.slice(0, 6).map((w) => `'${w.name}'`).join(', ')}...); a ${opt.constructor.name} of this model's ${variables.length} trainable variables has ${expected}: a scalar 'iter', then ${groups.map(([s]) => `'<variable>/${s}'`).join(', ') || 'nothing'} for each.`);
  }
  const plan: [Variable, string, OptimizerWeight][] = [];
  groups.forEach(([suffix, name], g) => variables.forEach((v, i) => {
    const w = rest[g * variables.length + i]!;
    // tfjs names a slot after its variable's unique name, which may carry a `_<n>` suffix (`dense/kernel_2/m`).
    const of = w.name.endsWith(`/${suffix}`) ? w.name.slice(0, -suffix.length - 1) : null;
    if ((of !== v.path && of?.replace(/_\d+$/, '') !== v.path) || w.shape.length !== v.shape.length || w.shape.some((d, j) => d !== v.shape[j])) {
      throw new SavingError('ERR_TFJS_WEIGHTS', `${where}: optimizer weight '${w.name}' [${w.shape.join(', ')}] is not the ${suffix} of variable '${v.path}' [${v.shape.join(', ')}] (tfjs lists each slot group in the order of the trainable variables).`);
    }
    plan.push([v, name, w]);
  }));
  if (!opt.built) opt.build(variables);
  const scale = kind.scale?.(opt) ?? 1;
  noGrad(() => {
    for (const [v, name, w] of plan) {
      const t = tensor(Float32Array.from(w.values, (x) => x * scale), { shape: [...v.shape] });
      slot(opt, name, v).copy_(t);
      t.dispose();
    }
  });
  opt.iterations = Number(iter!.values[0]);
}
