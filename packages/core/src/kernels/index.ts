/**
 * The kernel layer: everything in @duet/core that touches only native
 * handles, below the Tensor. It imports nothing from tensor.ts, autograd.ts
 * or memory.ts (test/dependencies.test.ts checks it); above it, ops take and
 * return Tensors and record gradients. See docs/design/core-layers.md.
 *
 * - basic.ts: `runKernel` (the one way to run a TensorFlow kernel by name)
 *   and named single kernels (MatMul, BiasAdd, reductions, Reshape, ...);
 * - nn.ts: the nn primitives' kernels (NHWC convolutions, pooling, ...);
 * - constants.ts: the one cache of native constants (scalars, shapes, axes);
 * - layout.ts: NCHW <-> NHWC conversion of native values;
 * - variables.ts: resource variables (make, read, assign);
 * - custom.ts: Duet's own TensorFlow kernels (native/ops), loaded when built.
 *
 * `tf` (tfjs's namespace) is re-exported for the composite ops tfjs already
 * has (`tf().where`, `tf().tidy`); those run through the same backend as
 * `runKernel`, so engine.ts's typed errors and `countKernels` see them too.
 */
export { tf, nodeBackend, typeAttr, boolAttr, intAttr, floatAttr, shapeAttr, stringAttr, type TfTensor, type OpAttr } from '../engine.js';
export { runKernel, runKernelN, unaryKernel, binaryKernel, matMul2d, matMulKernel, biasAdd, biasAddGrad, reduceKernel, reshapeKernel, transposeKernel } from './basic.js';
export { ConstSection, scalarConst, slotScalar, intConst, floatConst, constantCount } from './constants.js';
export { toNHWC, toNCHW, convertLayout } from './layout.js';
export { newVariable, readVariable, assignVariable } from './variables.js';
export { customKernel, useCustomKernels, customKernelStatus, oneDnnEnabled, type CustomKernelStatus } from './custom.js';
