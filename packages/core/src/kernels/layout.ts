/**
 * Layout conversion of native values: a 4-d tensor's logical NCHW value and
 * its physical NHWC form (PyTorch's `torch.channels_last`), which TF's CPU
 * convolution and pooling kernels need. A permutation that moves only unit
 * dims (C = 1, or H = W = 1) is a Reshape, which does not copy. Which layout
 * an op works in is decided above this layer (../layout.ts); see
 * docs/design/layout.md.
 */
import type { TfTensor } from '../engine.js';
import { reshapeKernel, transposeKernel } from './basic.js';

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function permute(x: TfTensor, perm: number[], shape: number[], moveOnlyUnitDims: boolean): TfTensor {
  return moveOnlyUnitDims ? reshapeKernel(x, shape) : transposeKernel(x, perm);
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

/** A value moved from one layout to another (true = NHWC); the same handle if they agree. */
export function convertLayout(x: TfTensor, fromNhwc: boolean, toNhwc: boolean): TfTensor {
  if (fromNhwc === toNhwc) return x;
  return toNhwc ? toNHWC(x) : toNCHW(x);
}
