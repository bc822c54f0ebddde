/**
 * Single TensorFlow kernels called by name, straight through the binding:
 * the one way Duet's ops run a kernel (`runKernel`), and named wrappers for
 * the kernels every op file needs. They skip tfjs's op wrappers, which launch
 * extra kernels (tf.matMul reshapes 2-d operands to 3-d around BatchMatMulV2;
 * tf.mean casts first) and cost ~10 us of ~28 us for a 32x128 add.
 */
import { runOp, runOpN, typeAttr, boolAttr, type TfTensor, type OpAttr } from '../engine.js';
import { intConst } from './constants.js';
import { customKernel, oneDnnEnabled } from './custom.js';

/** Run the TensorFlow kernel `name` on `inputs` (one kernel, one output). */
export function runKernel(name: string, attrs: OpAttr[], inputs: TfTensor[]): TfTensor {
  return runOp(name, attrs, inputs);
}
/** Run the TensorFlow kernel `name` with `n` outputs (0 for kernels that only update variables). */
export function runKernelN(name: string, attrs: OpAttr[], inputs: TfTensor[], n: number): TfTensor[] {
  return runOpN(name, attrs, inputs, n);
}

const tAttrs = new Map<string, OpAttr[]>();
/** The `[T: dtype]` attribute list, made once per dtype. */
function tAttr(dtype: string): OpAttr[] {
  let a = tAttrs.get(dtype);
  if (a === undefined) {
    a = [typeAttr('T', dtype)];
    tAttrs.set(dtype, a);
  }
  return a;
}

/** A one-input kernel whose only attribute is `T` (Relu, Exp, Neg, ...). */
export function unaryKernel(op: string, x: TfTensor): TfTensor {
  return runOp(op, tAttr(x.dtype), [x]);
}
/** A two-input kernel whose only attribute is `T` (AddV2, Mul, ReluGrad, ...); TF broadcasts natively. */
export function binaryKernel(op: string, x: TfTensor, y: TfTensor): TfTensor {
  return runOp(op, tAttr(x.dtype), [x, y]);
}

/**
 * `a @ b` for 2-d float32 operands: one kernel. TensorFlow's MatMul, except
 * for small products, which run in Duet's DuetMatMul on the calling thread
 * (native/ops/matmul.cc) when it is built: up to 2^22 multiply-adds when
 * TensorFlow runs without oneDNN (its Eigen MatMul wakes the thread pool for
 * them), up to 2^16 with oneDNN (below that, only the dispatch differs).
 * Measured per shape in bench/README.md ("Duet's own kernels on the seed MLP").
 */
export function matMul2d(a: TfTensor, b: TfTensor, transposeA = false, transposeB = false): TfTensor {
  if (matMulKernel(a.shape[0]! * a.shape[1]! * b.shape[transposeB ? 0 : 1]!) === 'DuetMatMul') {
    return runOp('DuetMatMul', [boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
  }
  return runOp('MatMul', [typeAttr('T', 'float32'), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
}
/** The kernel `matMul2d` runs for a product of `macs` multiply-adds (for tests and benchmarks that count kernels). */
export function matMulKernel(macs: number): 'DuetMatMul' | 'MatMul' {
  return macs <= smallMatMulLimit() && customKernel('DuetMatMul') ? 'DuetMatMul' : 'MatMul';
}
let smallLimit: number | undefined;
function smallMatMulLimit(): number {
  return (smallLimit ??= oneDnnEnabled() === false ? 2 ** 22 : 2 ** 16);
}

/** `x + bias` over the last dim: one BiasAdd kernel. */
export function biasAdd(x: TfTensor, bias: TfTensor): TfTensor {
  return binaryKernel('BiasAdd', x, bias);
}

/** Gradient of BiasAdd: sum over all but the last dim, one kernel. */
export function biasAddGrad(g: TfTensor): TfTensor {
  return unaryKernel('BiasAddGrad', g);
}

/** A reduction kernel (Sum, Mean, Max, Min, Prod) without tfjs's casts; `axes` undefined = all. */
export function reduceKernel(op: 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod', x: TfTensor, axes: readonly number[] | undefined, keepDims = false): TfTensor {
  const ax = axes ?? [...Array(x.rank).keys()];
  return runOp(op, [typeAttr('T', x.dtype), typeAttr('Tidx', 'int32'), boolAttr('keep_dims', keepDims)], [x, intConst(ax)]);
}

/** Reshape with a cached int32 shape constant: one kernel, no upload, any dtype. */
export function reshapeKernel(x: TfTensor, shape: readonly number[]): TfTensor {
  return runOp('Reshape', [typeAttr('T', x.dtype), typeAttr('Tshape', 'int32')], [x, intConst(shape)]);
}

/** Permute the dims of `x` (any dtype): one Transpose kernel. */
export function transposeKernel(x: TfTensor, perm: readonly number[]): TfTensor {
  return runOp('Transpose', [typeAttr('T', x.dtype), typeAttr('Tperm', 'int32')], [x, intConst(perm)]);
}
