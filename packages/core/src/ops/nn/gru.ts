/**
 * One layer and direction of PyTorch's GRU over a whole sequence, as one
 * autograd node with its own backward: where Duet's own kernels are built
 * (native/ops/gru.cc), one DuetGRUSequence kernel forward and one
 * DuetGRUSequenceGrad backward (`duetGru` below); otherwise on TensorFlow's
 * kernels as follows.
 *
 * TensorFlow's fused GRU kernels do not fit: `GRUBlockCell` applies the reset
 * gate before the recurrent matmul, c = tanh(x W_xc + (r * h) W_hc + b_c),
 * where PyTorch (like cuDNN) applies it after, n = tanh(x W_in + b_in +
 * r * (h W_hn + b_hn)); the two give different numbers. So the step runs on
 * plain kernels, but as few as the equations allow:
 * - the input projection of every step is one MatMul (+ BiasAdd) before the loop;
 * - forward, 12 kernels per step (MatMul, BiasAdd, SplitV, AddV2, Sigmoid,
 *   Split, Mul, AddV2, Tanh, Sub, Mul, AddV2), + 3 when recording: the
 *   factors the backward multiplies the gate gradients by, as one [N, 3H]
 *   tensor m = [gh_n r (1 - r), (h - n) z (1 - z), r] (ConcatV2, SigmoidGrad,
 *   ConcatV2);
 * - backward, 7 per step, written by hand: AddN of the output's and the two
 *   recurrent gradients, Mul, Sub, TanhGrad, ConcatV2 [da, dh, da], one Mul by
 *   m that gives the gradients of all three gates of h W_hh^T + b_hh, the
 *   recurrent MatMul; the weight and bias gradients of all steps in two
 *   MatMuls and two Sums after the loop, and the input gradient in one.
 * Down from ~90 kernels per step (forward and backward) when each step was
 * recorded op by op, and from 24 before m and AddN (measured in
 * bench/README.md).
 */
import { runKernel as runOp, runKernelN as runOpN, typeAttr, intAttr, boolAttr, tf, customKernel, unaryKernel as k1, binaryKernel as k2, type TfTensor } from '../../kernels/index.js';
import { ShapeError } from '../../errors.js';
import { isGradEnabled, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFloat } from './args.js';

export interface GruLayerOptions {
  /** Initial hidden state [N, H] (zeros if null or absent). */
  h0?: Tensor | null;
  /** Run from the last step to the first (the reverse direction of a bidirectional GRU); the output stays in time order. */
  reverse?: boolean;
}

/**
 * PyTorch's GRU equations (gates r, z, n) over x [T, N, I] with weight_ih
 * [3H, I], weight_hh [3H, H] and optional biases [3H]. Returns h of every
 * step, [T, N, H], in time order; the final state is its last step (its first
 * for `reverse`).
 *
 * @example
 * ```ts
 * import { randn, functional as F } from '@duet/core';
 * const out = F.gruLayer(randn([7, 3, 5]), randn([18, 5]), randn([18, 6]), null, null); // [7, 3, 6]
 * ```
 */
export function gruLayer(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, options: GruLayerOptions = {}): Tensor {
  const op = 'gruLayer';
  for (const [what, t] of [['input', x], ['weight_ih', wIh], ['weight_hh', wHh], ['bias_ih', bIh], ['bias_hh', bHh]] as const) {
    if (t !== null) checkFloat(op, what, t);
  }
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected an input of shape [T, N, I], received ${shapeStr(x.shape)}.`);
  const [len, n, inSize] = x.shape as [number, number, number];
  const h = wHh.shape[1]!;
  if (wHh.ndim !== 2 || wHh.shape[0] !== 3 * h) throw new ShapeError(`${op}: expected weight_hh of shape [3H, H], received ${shapeStr(wHh.shape)}.`);
  if (wIh.ndim !== 2 || wIh.shape[0] !== 3 * h || wIh.shape[1] !== inSize) {
    throw new ShapeError(`${op}: expected weight_ih of shape [${3 * h}, ${inSize}] (3H x input size), received ${shapeStr(wIh.shape)}.`);
  }
  if ((bIh === null) !== (bHh === null)) throw new ShapeError(`${op}: give both biases or neither.`);
  for (const b of [bIh, bHh]) {
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== 3 * h)) throw new ShapeError(`${op}: expected biases of shape [${3 * h}], received ${shapeStr(b.shape)}.`);
  }
  const h0 = options.h0 ?? null;
  if (h0 !== null) {
    checkFloat(op, 'h0', h0);
    if (h0.ndim !== 2 || h0.shape[0] !== n || h0.shape[1] !== h) throw new ShapeError(`${op}: expected h0 of shape [${n}, ${h}], received ${shapeStr(h0.shape)}.`);
  }
  if (len === 0) throw new ShapeError(`${op}: expected a sequence of at least one step, received ${shapeStr(x.shape)}.`);
  const reverse = options.reverse === true;
  const inputs = [x, wIh, wHh, ...(bIh !== null && bHh !== null ? [bIh, bHh] : []), ...(h0 !== null ? [h0] : [])];
  const grad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  if (customKernel('DuetGRUSequence') && customKernel('DuetGRUSequenceGrad')) return duetGru(x, wIh, wHh, bIh, bHh, h0, inputs, grad, reverse);
  // Read every value before the tidy (a variable-backed parameter's re-read must outlive it).
  const [xv, wIhV, wHhV, bIhV, bHhV, h0V] = [x, wIh, wHh, bIh, bHh, h0].map((v) => v?._v() ?? null);

  const fwd = tf().tidy(() => {
    let gx = matMul(K.reshape(xv!, [len * n, inSize]), wIhV!, false, true); // [T N, 3H]
    if (bIhV != null) gx = K.biasAdd(gx, bIhV);
    const [gxRz, gxN] = splitV(gx, [2 * h, h], 1) as [TfTensor, TfTensor];
    const gxRzs = unstack(K.reshape(gxRz, [len, n, 2 * h]));
    const gxNs = unstack(K.reshape(gxN, [len, n, h]));
    const hs = new Array<TfTensor>(len);
    const steps: Step[] = [];
    let hPrev = h0V ?? zeros([n, h]);
    for (let k = 0; k < len; k++) {
      const t = reverse ? len - 1 - k : k;
      let gh = matMul(hPrev, wHhV!, false, true); // [N, 3H]
      if (bHhV != null) gh = K.biasAdd(gh, bHhV);
      const [ghRz, ghN] = splitV(gh, [2 * h, h], 1) as [TfTensor, TfTensor];
      const rz = k1('Sigmoid', k2('AddV2', gxRzs[t]!, ghRz));
      const [r, z] = K.split(rz, 2, 1) as [TfTensor, TfTensor];
      const nGate = k1('Tanh', k2('AddV2', gxNs[t]!, K.mul(r, ghN)));
      const hMinusN = k2('Sub', hPrev, nGate);
      const hNext = k2('AddV2', nGate, K.mul(z, hMinusN));
      // What the backward multiplies the gradients of [r, z, gh_n] by: [gh_n r (1 - r), (h - n) z (1 - z), r].
      if (grad) steps.push({ t, hPrev, z, n: nGate, m: K.concat([k2('SigmoidGrad', rz, K.concat([ghN, hMinusN], 1)), r], 1) });
      hs[t] = hNext;
      hPrev = hNext;
    }
    const out = runOp('Pack', [typeAttr('T', 'float32'), intAttr('N', len), intAttr('axis', 0)], hs);
    // The first step's h_prev is h0 (or a cached zero): not ours to release.
    const saved = grad ? steps.flatMap((s, k) => [...(k > 0 ? [s.hPrev!] : []), s.z, s.n, s.m]) : [];
    return { out, saved };
  });
  const output = new Tensor(fwd.out);
  if (!grad) return output;
  // The backward uses the forward's weights (a free handle copy), whatever happens to the parameters meanwhile.
  const wIhF = tf().clone(wIhV!);
  const wHhF = tf().clone(wHhV!);
  const saved = [...fwd.saved, wIhF, wHhF];
  const steps: Step[] = [];
  for (let k = 0, i = 0; k < len; k++) {
    const hPrev = k > 0 ? saved[i++]! : null;
    const [z, nGate, m] = saved.slice(i, i + 3) as TfTensor[];
    i += 3;
    steps.push({ t: reverse ? len - 1 - k : k, hPrev, z: z!, n: nGate!, m: m! });
  }
  return record(output, 'GRUBackward', inputs, (g) => {
    const gs = unstack(g);
    const dA = new Array<TfTensor>(len); // gradient of the n gate's pre-activation
    const dGh = new Array<TfTensor>(len); // of h W_hh^T + b_hh: [r and z pre-activations, dGhN]
    const hPrevs = new Array<TfTensor>(len);
    let dhRec: [TfTensor, TfTensor] | null = null; // the two parts of the gradient step t passes to h_{t-1}
    for (let k = len - 1; k >= 0; k--) {
      const s = steps[k]!;
      const dh: TfTensor = dhRec === null ? gs[s.t]! : runOp('AddN', [typeAttr('T', 'float32'), intAttr('N', 3)], [gs[s.t]!, ...dhRec]);
      const dhz = K.mul(dh, s.z); // straight to h_prev
      const dn = k2('Sub', dh, dhz); // dh (1 - z)
      const da = k2('TanhGrad', s.n, dn);
      // [dr, dz, da] times m: the gradients of the r and z pre-activations and of gh_n.
      dGh[s.t] = K.mul(K.concat([da, dh, da], 1), s.m);
      dA[s.t] = da;
      hPrevs[s.t] = s.hPrev ?? h0?._v() ?? zeros([n, h]);
      dhRec = [dhz, matMul(dGh[s.t]!, wHhF, false, false)];
    }
    // [T N, 3H] in time order; x W_ih^T + b_ih shares the r and z gradients with h W_hh^T + b_hh.
    const dgh = K.concat(dGh, 0);
    const dgx = K.concat([K.slice(dgh, [0, 0], [len * n, 2 * h]), K.concat(dA, 0)], 1);
    const grads: (TfTensor | null)[] = [
      x.requiresGrad ? K.reshape(matMul(dgx, wIhF, false, false), [len, n, inSize]) : null,
      matMul(dgx, K.reshape(x._v(), [len * n, inSize]), true, false),
      matMul(dgh, K.concat(hPrevs, 0), true, false),
    ];
    if (bIh !== null) grads.push(K.sum(dgx, [0]), K.sum(dgh, [0]));
    if (h0 !== null) grads.push(k2('AddV2', ...dhRec!));
    return grads;
  }, saved);
}

/**
 * The layer on Duet's own kernels (native/ops/gru.cc): DuetGRUSequence forward
 * (the input projection of all steps in one product, then the recurrence in
 * C++), DuetGRUSequenceGrad backward (gate gradients step by step, then every
 * weight, bias and input gradient in one product or sum). One kernel each way.
 */
function duetGru(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, h0: Tensor | null, inputs: Tensor[], grad: boolean, reverse: boolean): Tensor {
  const [, n] = x.shape as [number, number];
  const h = wHh.shape[1]!;
  const attrs = [boolAttr('reverse', reverse)];
  const [wIhV, wHhV] = [wIh._v(), wHh._v()];
  const bias = (b: Tensor | null) => b?._v() ?? zeros([3 * h]);
  const [y, saved] = runOpN('DuetGRUSequence', attrs, [x._v(), wIhV, wHhV, bias(bIh), bias(bHh), h0?._v() ?? zeros([n, h])], 2) as [TfTensor, TfTensor];
  const output = new Tensor(y);
  if (!grad) {
    saved.dispose();
    return output;
  }
  // The backward uses the forward's weights and output (free handle copies), whatever happens to them meanwhile.
  const kept = [tf().clone(wIhV), tf().clone(wHhV), tf().clone(y), saved];
  return record(output, 'DuetGRUBackward', inputs, (g) => {
    const [wIhF, wHhF, yF] = kept as [TfTensor, TfTensor, TfTensor];
    const [dx, dwIh, dwHh, dbIh, dbHh, dh0] = runOpN('DuetGRUSequenceGrad', attrs, [x._v(), wIhF, wHhF, h0?._v() ?? zeros([n, h]), yF, saved, g], 6) as TfTensor[];
    const out: (TfTensor | null)[] = [dx!, dwIh!, dwHh!];
    if (bIh !== null) out.push(dbIh!, dbHh!);
    else for (const v of [dbIh!, dbHh!]) v.dispose();
    if (h0 !== null) out.push(dh0!);
    else dh0!.dispose();
    return out;
  }, kept);
}

/** What one forward step keeps for the backward. */
interface Step {
  /** Time index of the step. */
  t: number;
  /** null for the first step: h0 (or zeros), read again in the backward. */
  hPrev: TfTensor | null;
  z: TfTensor;
  n: TfTensor;
  /** [gh_n r (1 - r), (h - n) z (1 - z), r], [N, 3H]. */
  m: TfTensor;
}

function zeros(shape: readonly number[]): TfTensor {
  return K.floatConst(`zeros:${shape.join('x')}`, shape, () => new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

function matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor {
  return runOp('MatMul', [typeAttr('T', 'float32'), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
}

function unstack(v: TfTensor): TfTensor[] {
  return runOpN('Unpack', [typeAttr('T', 'float32'), intAttr('num', v.shape[0]!), intAttr('axis', 0)], [v], v.shape[0]!);
}

function splitV(v: TfTensor, sizes: readonly number[], axis: number): TfTensor[] {
  return runOpN('SplitV', [typeAttr('T', 'float32'), typeAttr('Tlen', 'int32'), intAttr('num_split', sizes.length)], [v, K.intConst(sizes), K.intConst([axis], [])], sizes.length);
}
