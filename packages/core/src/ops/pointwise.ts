/**
 * The fused pointwise ops that hand-written optimizers use, with PyTorch's
 * semantics: `addcmul`, `addcdiv`, `lerp`. Each is a short composite of
 * elementwise ops, so broadcasting, type promotion and gradients come from
 * those ops (elementwise.ts).
 */
import { DTypeError } from '../errors.js';
import { Tensor, type TensorLike } from '../tensor.js';
import * as E from './elementwise.js';

/** `input + value * t1 * t2` (`torch.addcmul`). */
export function addcmul(input: Tensor, t1: Tensor, t2: TensorLike, value = 1): Tensor {
  const prod = E.mul(t1, t2);
  return E.add(input, value === 1 ? prod : E.mul(prod, value));
}

/** `input + value * t1 / t2` (`torch.addcdiv`); true division, so integer operands are refused like PyTorch refuses them. */
export function addcdiv(input: Tensor, t1: Tensor, t2: TensorLike, value = 1): Tensor {
  const t2Int = t2 instanceof Tensor ? t2.dtype !== 'float32' : Number.isInteger(t2);
  if (t1.dtype !== 'float32' && t2Int) {
    throw new DTypeError(`addcdiv: integer division of tensors is not supported; expected a float32 tensor1 or tensor2, received ${t1.dtype} and ${t2 instanceof Tensor ? t2.dtype : 'a whole number'}.`);
  }
  const q = E.div(t1, t2);
  return E.add(input, value === 1 ? q : E.mul(q, value));
}

/**
 * `input + weight * (end - input)` (`torch.lerp`). With a number weight of
 * 0.5 or more, PyTorch's form `end - (end - input) * (1 - weight)`, which is
 * exact at weight 1.
 */
export function lerp(input: Tensor, end: Tensor, weight: number | Tensor): Tensor {
  if (input.dtype !== 'float32' || end.dtype !== 'float32') {
    throw new DTypeError(`lerp: expected float32 input and end, received ${input.dtype} and ${end.dtype}.`);
  }
  const diff = E.sub(end, input);
  if (typeof weight === 'number' && weight >= 0.5) return E.sub(end, E.mul(diff, 1 - weight));
  return E.add(input, E.mul(diff, weight));
}
