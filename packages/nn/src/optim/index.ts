/**
 * `optim`: PyTorch's `torch.optim`. Each optimizer runs one TensorFlow kernel
 * per parameter per step where TensorFlow has the matching update
 * (SGD, momentum, Adagrad, Adam, AdamW, RMSprop without momentum).
 *
 * @example
 * ```ts
 * import { nn, optim } from '@duet/nn';
 * const model = new nn.Linear(4, 2);
 * const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
 * const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, 100);
 * // per step: optimizer.zeroGrad(); loss.backward(); optimizer.step();
 * // per epoch: scheduler.step();
 * ```
 */
export {
  Optimizer, type BaseOptions, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState, type Params,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export * as lrScheduler from './lr_scheduler/index.js';
