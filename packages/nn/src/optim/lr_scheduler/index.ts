/**
 * `optim.lrScheduler`: PyTorch's `torch.optim.lr_scheduler`.
 *
 * @example
 * ```ts
 * import { optim } from '@duet/nn';
 * const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const scheduler = new optim.lrScheduler.StepLR(optimizer, 10, { gamma: 0.5 });
 * for (let epoch = 0; epoch < 30; epoch++) {
 *   trainOneEpoch();
 *   scheduler.step();
 *   scheduler.getLastLr(); // [0.1] for epochs 0-8, [0.05] from epoch 9 on, ...
 * }
 * ```
 */
export { LRScheduler } from './base.js';
export { StepLR, MultiStepLR, ExponentialLR, LinearLR, LambdaLR, type LinearLROptions, type LastEpochOption } from './decay.js';
export { CosineAnnealingLR } from './cosine_annealing_lr.js';
export { OneCycleLR, type OneCycleLROptions } from './one_cycle_lr.js';
export { SequentialLR } from './sequential_lr.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce_lr_on_plateau.js';
