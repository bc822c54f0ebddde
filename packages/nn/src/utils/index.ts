/**
 * `nn.utils`: gradient clipping and parameter/vector conversion (PyTorch's
 * `torch.nn.utils`).
 *
 * @example
 * ```ts
 * import { nn } from '@duet/nn';
 * loss.backward();
 * nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * optimizer.step();
 * ```
 */
export { clipGradNorm_, clipGradValue_, type TensorOrTensors } from './clip_grad.js';
export { parametersToVector, vectorToParameters } from './convert_parameters.js';
export * as prune from './prune.js';
