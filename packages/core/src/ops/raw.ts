/**
 * Single TensorFlow kernels called by name, for hot paths where tfjs's op
 * wrappers launch extra kernels (tf.matMul reshapes 2-d operands to 3-d around
 * BatchMatMulV2; tf.mean casts first; tf.fused.matMul is matmul + add + act).
 */
import { runOp, typeAttr, boolAttr, tf, type TfTensor, type OpAttr } from '../engine.js';
import { ConstCache } from './const_cache.js';

/** `a @ b` for 2-d float32 operands: one MatMul kernel. */
export function matMul2d(a: TfTensor, b: TfTensor, transposeA = false, transposeB = false): TfTensor {
  return runOp('MatMul', [typeAttr('T', 'float32'), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
}

/** `x + bias` over the last dim: one BiasAdd kernel. */
export function biasAdd(x: TfTensor, bias: TfTensor): TfTensor {
  return k2('BiasAdd', x, bias);
}

/** Gradient of BiasAdd: sum over all but the last dim, one kernel. */
export function biasAddGrad(g: TfTensor): TfTensor {
  return k1('BiasAddGrad', g);
}

const ints = new ConstCache(1024);
/** A cached int32 constant (axes, split sizes, shapes), uploaded once (see ConstCache). */
export function intConst(v: number | number[]): TfTensor {
  const key = typeof v === 'number' ? `s${v}` : v.join(',');
  return ints.get(key, () => (typeof v === 'number' ? tf().scalar(v, 'int32') : tf().tensor1d(v, 'int32')));
}

/** A reduction kernel (Sum, Mean, Max, Min, Prod) without tfjs's casts; `axes` undefined = all. */
export function reduce(op: 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod', x: TfTensor, axes: number[] | undefined, keepDims = false): TfTensor {
  const ax = axes ?? [...Array(x.rank).keys()];
  return runOp(op, [typeAttr('T', x.dtype), typeAttr('Tidx', 'int32'), boolAttr('keep_dims', keepDims)], [x, intConst(ax)]);
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

/**
 * A unary or binary TF kernel straight through the binding, skipping tfjs's op
 * wrapper (measured ~10 us of ~28 us for a 32x128 add). TF broadcasts natively.
 */
export function k1(op: string, x: TfTensor): TfTensor {
  return runOp(op, tAttr(x.dtype), [x]);
}
export function k2(op: string, x: TfTensor, y: TfTensor): TfTensor {
  return runOp(op, tAttr(x.dtype), [x, y]);
}

/** Reshape with a cached int32 shape constant: one kernel, no upload. */
export function reshapeRaw(x: TfTensor, shape: readonly number[]): TfTensor {
  return runOp('Reshape', [typeAttr('T', x.dtype), typeAttr('Tshape', 'int32')], [x, intConst(shape as number[])]);
}
