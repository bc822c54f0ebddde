/**
 * The NCHW 1x1 convolution (stride 1, no padding, groups 1) as a batched
 * matmul, W [O, C] @ x [N, C, H * W]: no NHWC transposes, which on these CPUs
 * cost more than the convolution itself (a Transpose of an 8x64x56x56 tensor
 * runs ~20 ms, the 1x1 conv's matmul ~4 ms). Forward: 4 kernels (Reshape x, w,
 * y; BatchMatMul) + BiasAdd; backward: BatchMatMul + Sum for the weight,
 * BatchMatMul for the input, 4 Reshapes, BiasAddGrad.
 */
import { tf } from '../../kernels/index.js';
import { record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import * as K from '../../kernels/nn.js';

export function pointwiseConv(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const o = weight.shape[0]!;
  const { y, x3, w2 } = tf().tidy(() => {
    const x3 = K.reshape(x._v(), [n, c, h * w]);
    const w2 = K.reshape(weight._v(), [o, c]);
    let y = K.reshape(K.batchMatMul(w2, x3), [n, o, h, w]);
    if (bias !== null) y = K.biasAdd(y, bias._v(), 'NCHW');
    return { y, x3, w2 };
  });
  const inputs = bias !== null ? [x, weight, bias] : [x, weight];
  return record(new Tensor(y), 'ConvolutionBackward', inputs, (g) => {
    const g3 = K.reshape(g, [n, o, h * w]);
    const grads = [
      x.requiresGrad ? K.reshape(K.batchMatMul(w2, g3, true, false), [n, c, h, w]) : null,
      weight.requiresGrad ? K.reshape(K.sum(K.batchMatMul(g3, x3, false, true), [0]), [o, c, 1, 1]) : null,
    ];
    if (bias !== null) grads.push(bias.requiresGrad ? K.biasAddGrad(g, 'NCHW') : null);
    return grads;
  }, [x3, w2]);
}
