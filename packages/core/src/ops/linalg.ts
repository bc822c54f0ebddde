/** matmul with PyTorch's rules for 1-d operands and batch broadcasting. */
import { tf, matMul2d } from '../kernels/index.js';
import { ShapeError } from '../errors.js';
import { record, unbroadcast } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { shapeStr } from './util.js';
import { requireFloat } from './util.js';


export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: both arguments need at least 1 dimension, received ${shapeStr(a.shape)} and ${shapeStr(b.shape)}.`);
  requireFloat(a, 'matmul');
  requireFloat(b, 'matmul');
  // 1-d operands: promote, multiply, remove the added dim (PyTorch's rule).
  if (a.ndim === 1 || b.ndim === 1) {
    const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
    const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
    let r = matmul(a2, b2);
    if (b.ndim === 1) r = r.squeeze(-1);
    if (a.ndim === 1) r = r.squeeze(a.ndim === 1 && b.ndim === 1 ? -1 : -2);
    return r;
  }
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2];
  if (k1 !== k2) {
    throw new ShapeError(`matmul: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be multiplied (${k1} != ${k2}).`);
  }
  if (a.ndim === 2 && b.ndim === 2) {
    // One MatMul kernel (tf.matMul would reshape to 3-d around BatchMatMulV2).
    const out2 = new Tensor(matMul2d(a._v(), b._v()));
    return record(out2, 'MmBackward', [a, b], (g) => [
      a.requiresGrad ? matMul2d(g, b._v(), false, true) : null,
      b.requiresGrad ? matMul2d(a._v(), g, true, false) : null,
    ]);
  }
  let v;
  try {
    v = tf().matMul(a._v(), b._v());
  } catch (e) {
    throw new ShapeError(`matmul: batch dims of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} cannot be broadcast (${(e as Error).message}).`);
  }
  const out = new Tensor(v);
  return record(out, 'MmBackward', [a, b], (g) => [
    a.requiresGrad ? unbroadcast(tf().matMul(g, b._v(), false, true), a.shape) : null,
    b.requiresGrad ? unbroadcast(tf().matMul(a._v(), g, true, false), b.shape) : null,
  ]);
}
