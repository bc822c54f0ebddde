/**
 * One time step of PyTorch's Elman RNN cell, on [N, H] pre-activations
 * (LSTM and GRU run whole sequences as one op: core's functional.lstmLayer
 * and functional.gruLayer).
 * `gx` is the input projection x W_ih^T + b_ih of this step (computed for all
 * steps in one matmul by the caller); a null state means zeros, and skips
 * the kernels that would multiply by it.
 */
import { linear, type Tensor } from '@duet/core';

export interface CellWeights {
  wHh: Tensor;
  bHh: Tensor | null;
}

/** h' = act(gx + h W_hh^T + b_hh). */
export function rnnStep(gx: Tensor, h: Tensor | null, w: CellWeights, nonlinearity: 'tanh' | 'relu'): Tensor {
  const pre = hiddenPart(gx, h, w);
  return nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
}

/** gx + h W_hh^T + b_hh (just gx + b_hh when h is zero). */
function hiddenPart(gx: Tensor, h: Tensor | null, w: CellWeights): Tensor {
  if (h !== null) return gx.add(linear(h, w.wHh, w.bHh));
  return w.bHh === null ? gx : gx.add(w.bHh);
}
