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
  type CreateOptions, type TensorData, type SizeArgs,
} from './creation.js';
export { cat, stack, lazyRows } from './ops/shape.js';
export {
  add, sub, mul, div, pow, maximum, minimum, neg, abs, exp, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, sign,
  floor, ceil, round, clamp, addcmul, addcdiv, lerp, maskedFill, relu, sigmoid, tanh, softmax, logSoftmax,
  eq, ne, lt, le, gt, ge, sum, mean, prod, amax, amin, argmax, argmin, variance, std, logsumexp, norm, all, any, max, min,
  matmul, mm, reshape, flatten, unflatten, transpose, permute, squeeze, unsqueeze, split, chunk, narrow, flip, gather,
  indexSelect, clone, numel,
} from './functions.js';
export { Int64RangeError, type DTypeLike } from './dtypes.js';
export { cuda, accelerator, setDefaultDevice, getDefaultDevice, checkDevice, DeviceError, type DeviceLike } from './device.js';
export type { ToTarget, NewOptions } from './ops/convert.js';
export { where, broadcastShapes } from './ops/elementwise.js';
export { linear, softmaxCrossEntropy, useFusedKernels, fusedKernelsSupported, type LinearOptions, type Reduction } from './ops/nn/fused.js';
export { useCustomKernels, customKernelStatus, type CustomKernelStatus } from './kernels/custom.js';
export { useOneDnnPooling, oneDnnPoolingSupported, useFusedConv, fusedConvSupported, useArgmaxPooling, useOneChannelConv } from './kernels/nn.js';
export {
  toVariable_, slotLike, adamStep_, sgdStep_, momentumStep_, adagradStep_, rmspropStep_, adadeltaStep_, kerasMomentumStep_, centeredRmspropStep_,
  type AdamKernelOptions,
} from './ops/variables.js';
export { isGradEnabled, GradFn, AccumulateGrad, type BackwardOptions } from './autograd.js';
/** `torch.autograd.grad`: gradients of an output with respect to inputs, without touching `.grad`. */
export { grad, type GradOptions } from './grad.js';
/** `torch.autograd.Function`: `class MyOp extends autograd.Function { static forward(ctx, x) {...} static backward(ctx, g) {...} }`. */
export * as autograd from './autograd_function.js';
// noGrad / enableGrad in both forms: a callback, or `using _ = noGrad()` (installs Symbol.dispose where missing).
export { noGrad, enableGrad, setGradEnabled, GradMode } from './grad_mode.js';
export { scope, markStep, memory, type MemoryInfo } from './memory.js';
/** @internal library-call frames for @duet/nn and @duet/keras (docs/design/memory.md). */
export { libraryCall, enterLibraryCall, exitLibraryCall, runUserCode, markUserReachable, inLibraryCall } from './memory.js';
export { manualSeed, Generator, randomUniform, randomNormal } from './random.js';
/** Python's `random` module (`random.randint(4, 6)`), its own seeded stream. */
export { random } from './py_random.js';
export { decodeImage, type DecodedImage } from './image.js';
export { backendInfo, initBackend, countKernels, type BackendInfo, type Device, type KernelCount } from './engine.js';
export {
  DuetError, NativeEngineError, ShapeError, DTypeError, ArgumentError, IndexError, OutOfMemoryError, AutogradError, TensorReleasedError,
} from './errors.js';
/** The one data-format type, and the spellings ops accept for it (normalised by each op). */
export type { DataFormat, DataFormatLike, DataFormat2dLike, DataFormat1dLike } from './layout.js';
export * as functional from './ops/nn/index.js';
export * as distributed from './distributed/index.js';
