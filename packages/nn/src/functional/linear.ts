/** `F.linear` (core's fused kernel) and `F.bilinear`. */
import { ShapeError, linear, type Tensor } from '@duet/core';

export { linear };

/**
 * y = x1^T A x2 + b for weight A of shape [out, in1, in2] (PyTorch's
 * `F.bilinear`); x1: [..., in1], x2: [..., in2] -> [..., out].
 */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const [out, in1, in2] = weight.shape as [number, number, number];
  if (weight.ndim !== 3 || x1.shape[x1.ndim - 1] !== in1 || x2.shape[x2.ndim - 1] !== in2) {
    throw new ShapeError(`bilinear: expected x1 [..., ${in1}] and x2 [..., ${in2}] for weight [${weight.shape.join(', ')}], received [${x1.shape.join(', ')}] and [${x2.shape.join(', ')}].`);
  }
  const lead = x1.shape.slice(0, -1);
  // (x1 @ A') with A' = A as [in1, out*in2], then contract with x2 over in2.
  const a = weight.permute([1, 0, 2]).reshape([in1, out * in2]);
  const t = x1.reshape([-1, in1]).matmul(a).reshape([-1, out, in2]);
  let y = t.mul(x2.reshape([-1, 1, in2])).sum(2);
  if (bias != null) y = y.add(bias);
  return y.reshape([...lead, out]);
}
