/**
 * One time step of PyTorch's RNN and GRU cells, on [N, G] pre-activations
 * (the LSTM runs whole sequences in one kernel: core's functional.lstmLayer).
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

/**
 * Gates in PyTorch's order r, z, n: r, z = sigmoid(gx + gh), n = tanh(gx_n +
 * r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.
 */
export function gruStep(gx: Tensor, h: Tensor | null, w: CellWeights): Tensor {
  const hs = w.wHh.shape[1]!;
  const gh = h === null ? w.bHh : linear(h, w.wHh, w.bHh);
  const rzx = gx.narrow(1, 0, 2 * hs);
  const rz = (gh === null ? rzx : rzx.add(gh.narrow(gh.ndim - 1, 0, 2 * hs))).sigmoid();
  const r = rz.narrow(1, 0, hs);
  const z = rz.narrow(1, hs, hs);
  const nx = gx.narrow(1, 2 * hs, hs);
  const n = (gh === null ? nx : nx.add(r.mul(gh.narrow(gh.ndim - 1, 2 * hs, hs)))).tanh();
  // (1 - z) n + z h = n + z (h - n); with h = 0: n - z n.
  return h === null ? n.sub(z.mul(n)) : n.add(z.mul(h.sub(n)));
}

/** gx + h W_hh^T + b_hh (just gx + b_hh when h is zero). */
function hiddenPart(gx: Tensor, h: Tensor | null, w: CellWeights): Tensor {
  if (h !== null) return gx.add(linear(h, w.wHh, w.bHh));
  return w.bHh === null ? gx : gx.add(w.bHh);
}
