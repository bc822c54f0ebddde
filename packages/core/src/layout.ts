/**
 * Physical memory format of 4-d tensors (PyTorch's `torch.channels_last`).
 * A Tensor always has its logical NCHW shape; its native value may be stored
 * as the NHWC permutation, which TF's CPU convolution and pooling kernels
 * need. These two functions convert a native value between the two; a
 * permutation that moves only unit dims (C = 1, or H = W = 1) is a Reshape,
 * which does not copy. See docs/design/layout.md.
 */
import { runOp, typeAttr, type TfTensor } from './engine.js';
import { intConst, reshapeRaw } from './ops/raw.js';

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function permute(x: TfTensor, perm: number[], shape: number[], moveOnlyUnitDims: boolean): TfTensor {
  if (moveOnlyUnitDims) return reshapeRaw(x, shape);
  return runOp('Transpose', [typeAttr('T', x.dtype), typeAttr('Tperm', 'int32')], [x, intConst(perm)]);
}

/** Logical [N, C, H, W] -> physical [N, H, W, C]. */
export function toNHWC(x: TfTensor): TfTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return permute(x, TO_NHWC, [n, h, w, c], c === 1 || h * w === 1);
}

/** Physical [N, H, W, C] -> logical [N, C, H, W]. */
export function toNCHW(x: TfTensor): TfTensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return permute(x, TO_NCHW, [n, c, h, w], c === 1 || h * w === 1);
}
