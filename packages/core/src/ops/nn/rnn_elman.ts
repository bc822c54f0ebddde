/**
 * One layer and direction of PyTorch's Elman RNN (`nn.RNN`, tanh or relu) over
 * a whole sequence, as one autograd node with its own backward.
 *
 * TensorFlow has no fused kernel for it, so the step runs on plain kernels,
 * as few as the equations allow:
 * - the input projection of every step is one MatMul, with both biases added
 *   once (b_ih + b_hh, one AddV2) in one BiasAdd;
 * - forward, 3 kernels per step: MatMul h W_hh^T, AddV2, Tanh (or Relu); the
 *   first step without h0 is only the activation;
 * - backward, 3 per step: AddV2 of the output's and the recurrent gradient,
 *   TanhGrad (or ReluGrad), the recurrent MatMul; the weight and bias
 *   gradients of all steps then come from two MatMuls and one Sum, the input
 *   gradient from one MatMul, as PyTorch computes them.
 * Kernels per call: forward 6 + 3 T (Reshape x, MatMul, AddV2 of the biases,
 * BiasAdd, Unpack, Pack); backward 3 T + 7.
 */
import { runKernel, runKernelN, unaryKernel, binaryKernel, typeAttr, intAttr, boolAttr, tf, type TfTensor } from '../../kernels/index.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { isGradEnabled, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFloat } from './args.js';

export interface RnnLayerOptions {
  /** Initial hidden state [N, H] (zeros if null or absent). */
  h0?: Tensor | null;
  /** Run from the last step to the first (the reverse direction of a bidirectional RNN); the output stays in time order. */
  reverse?: boolean;
  /** PyTorch's `nonlinearity`: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * PyTorch's Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
 * over x [T, N, I] with weight_ih [H, I], weight_hh [H, H] and optional biases
 * [H]. Returns h of every step, [T, N, H], in time order; the final state is
 * its last step (its first for `reverse`).
 *
 * @example
 * ```ts
 * import { randn, functional as F } from '@duet/core';
 * const wIh = randn([6, 5], { requiresGrad: true });
 * const out = F.rnnLayer(randn([7, 3, 5]), wIh, randn([6, 6]), null, null, { nonlinearity: 'relu' }); // [7, 3, 6]
 * out.sum().backward();
 * ```
 */
export function rnnLayer(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, options: RnnLayerOptions = {}): Tensor {
  const op = 'rnnLayer';
  for (const [what, t] of [['input', x], ['weight_ih', wIh], ['weight_hh', wHh], ['bias_ih', bIh], ['bias_hh', bHh]] as const) {
    if (t !== null) checkFloat(op, what, t);
  }
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected an input of shape [T, N, I], received ${shapeStr(x.shape)}.`);
  const [len, n, inSize] = x.shape as [number, number, number];
  const h = wHh.shape[1]!;
  if (wHh.ndim !== 2 || wHh.shape[0] !== h) throw new ShapeError(`${op}: expected weight_hh of shape [H, H], received ${shapeStr(wHh.shape)}.`);
  if (wIh.ndim !== 2 || wIh.shape[0] !== h || wIh.shape[1] !== inSize) {
    throw new ShapeError(`${op}: expected weight_ih of shape [${h}, ${inSize}] (H x input size), received ${shapeStr(wIh.shape)}.`);
  }
  if ((bIh === null) !== (bHh === null)) throw new ShapeError(`${op}: give both biases or neither.`);
  for (const b of [bIh, bHh]) {
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== h)) throw new ShapeError(`${op}: expected biases of shape [${h}], received ${shapeStr(b.shape)}.`);
  }
  const h0 = options.h0 ?? null;
  if (h0 !== null) {
    checkFloat(op, 'h0', h0);
    if (h0.ndim !== 2 || h0.shape[0] !== n || h0.shape[1] !== h) throw new ShapeError(`${op}: expected h0 of shape [${n}, ${h}], received ${shapeStr(h0.shape)}.`);
  }
  if (len === 0) throw new ShapeError(`${op}: expected a sequence of at least one step, received ${shapeStr(x.shape)}.`);
  const act = options.nonlinearity ?? 'tanh';
  if (act !== 'tanh' && act !== 'relu') throw new ArgumentError(`${op}: unknown nonlinearity '${String(act)}'. Select from 'tanh' or 'relu'.`);
  const reverse = options.reverse === true;
  const inputs = [x, wIh, wHh, ...(bIh !== null && bHh !== null ? [bIh, bHh] : []), ...(h0 !== null ? [h0] : [])];
  const grad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  // Read every value before the tidy (a variable-backed parameter's re-read must outlive it).
  const [xv, wIhV, wHhV, bIhV, bHhV, h0V] = [x, wIh, wHh, bIh, bHh, h0].map((v) => v?._v() ?? null);
  const activation = act === 'tanh' ? 'Tanh' : 'Relu';

  const fwd = tf().tidy(() => {
    let gx = matMul(K.reshape(xv!, [len * n, inSize]), wIhV!, false, true); // [T N, H]
    if (bIhV != null && bHhV != null) gx = K.biasAdd(gx, binaryKernel('AddV2', bIhV, bHhV));
    const gxs = len === 1 ? [K.reshape(gx, [n, h])] : unstack(K.reshape(gx, [len, n, h]));
    const hs = new Array<TfTensor>(len);
    let hPrev: TfTensor | null = h0V ?? null;
    for (let k = 0; k < len; k++) {
      const t = reverse ? len - 1 - k : k;
      const pre = hPrev === null ? gxs[t]! : binaryKernel('AddV2', gxs[t]!, matMul(hPrev, wHhV!, false, true));
      hs[t] = unaryKernel(activation, pre);
      hPrev = hs[t]!;
    }
    const out = len === 1 ? K.reshape(hs[0]!, [1, n, h]) : runKernel('Pack', [typeAttr('T', 'float32'), intAttr('N', len), intAttr('axis', 0)], hs);
    return { out, hs: grad ? hs : [] };
  });
  const output = new Tensor(fwd.out);
  if (!grad) return output;
  // The backward uses the forward's weights (a free handle copy), whatever happens to the parameters meanwhile.
  const wIhF = tf().clone(wIhV!);
  const wHhF = tf().clone(wHhV!);
  const saved = [...fwd.hs, wIhF, wHhF];
  return record(output, 'RNNBackward', inputs, (g) => {
    const gs = len === 1 ? [K.reshape(g, [n, h])] : unstack(g);
    const dA = new Array<TfTensor>(len); // gradient of step t's pre-activation, in time order
    const hPrevs = new Array<TfTensor>(len); // the state step t started from, in time order
    let dhRec: TfTensor | null = null;
    for (let k = len - 1; k >= 0; k--) {
      const t = reverse ? len - 1 - k : k;
      const dh: TfTensor = dhRec === null ? gs[t]! : binaryKernel('AddV2', gs[t]!, dhRec);
      const da = act === 'tanh' ? binaryKernel('TanhGrad', fwd.hs[t]!, dh) : binaryKernel('ReluGrad', dh, fwd.hs[t]!);
      dA[t] = da;
      const prev = k > 0 ? fwd.hs[reverse ? t + 1 : t - 1]! : null;
      hPrevs[t] = prev ?? h0?._v() ?? zeros([n, h]);
      // The first step's recurrent gradient goes to h0 only.
      dhRec = k > 0 || h0 !== null ? matMul(da, wHhF, false, false) : null;
    }
    const dAll = K.concat(dA, 0); // [T N, H]
    const grads: (TfTensor | null)[] = [
      x.requiresGrad ? K.reshape(matMul(dAll, wIhF, false, false), [len, n, inSize]) : null,
      matMul(dAll, K.reshape(x._v(), [len * n, inSize]), true, false),
      matMul(dAll, K.concat(hPrevs, 0), true, false),
    ];
    if (bIh !== null) {
      const db = K.sum(dAll, [0]);
      grads.push(db, db); // the autograd gives the second use its own copy
    }
    if (h0 !== null) grads.push(dhRec);
    return grads;
  }, saved);
}

function zeros(shape: readonly number[]): TfTensor {
  return K.floatConst(`zeros:${shape.join('x')}`, shape, () => new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

function matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor {
  return runKernel('MatMul', [typeAttr('T', 'float32'), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
}

function unstack(v: TfTensor): TfTensor[] {
  return runKernelN('Unpack', [typeAttr('T', 'float32'), intAttr('num', v.shape[0]!), intAttr('axis', 0)], [v], v.shape[0]!);
}
