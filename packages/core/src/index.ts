/**
 * @duet/core: the Tensor with autograd that both Duet front ends use; every
 * kernel runs in TensorFlow's native C library.
 *
 * @example
 * ```ts
 * import { tensor } from '@duet/core';
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.matmul(x).sum().backward();
 * x.grad!.toArray(); // [[7, 11], [9, 13]]
 * ```
 */
export { Tensor, type DType, type TensorLike, type DimOptions } from './tensor.js';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye,
  randn, rand, randint, randnLike, randLike, randperm, fromTf, toTf,
  type CreateOptions, type TensorData,
} from './creation.js';
export { cat, stack } from './ops/shape.js';
export { where, broadcastShapes } from './ops/elementwise.js';
export { linear, softmaxCrossEntropy, type LinearOptions, type Reduction } from './ops/fused.js';
export {
  toVariable_, slotLike, adamStep_, sgdStep_, momentumStep_, adagradStep_, rmspropStep_, kerasMomentumStep_, centeredRmspropStep_,
  type AdamKernelOptions,
} from './ops/variables.js';
export { noGrad, enableGrad, isGradEnabled, type BackwardOptions } from './autograd.js';
export { scope, markStep, memory, type MemoryInfo } from './memory.js';
export { manualSeed, Generator, randomUniform, randomNormal } from './random.js';
export { decodeImage, type DecodedImage } from './image.js';
export { backendInfo, initBackend, countKernels, type BackendInfo, type Device, type KernelCount } from './engine.js';
export {
  DuetError, NativeEngineError, ShapeError, DTypeError, ArgumentError, AutogradError, TensorReleasedError,
} from './errors.js';
export * as functional from './ops/nn_ops.js';
