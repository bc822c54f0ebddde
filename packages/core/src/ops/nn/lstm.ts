/**
 * One layer and direction of PyTorch's LSTM over a whole sequence, in one
 * TensorFlow kernel each way: `BlockLSTMV2` forward, `BlockLSTMGradV2`
 * backward (the CPU kernels behind tf.raw_ops; both in TensorFlow since
 * before 2.6, so in the 2.9.1 library tfjs-node downloads and in 2.21).
 *
 * Why it matches PyTorch's numbers exactly:
 * - BlockLSTMV2 computes gates = [x_t, h_{t-1}] W + b with W [I + H, 4H] in
 *   the IFCO layout (input, forget, cell, output), which is PyTorch's i, f, g,
 *   o order (the V1 op, BlockLSTM, uses ICFO and adds a forget_bias; V2 has no
 *   forget_bias). So W = [W_ih, W_hh]^T and b = b_ih + b_hh: one ConcatV2, one
 *   Transpose, one AddV2 per call; no gate permutation.
 * - No peepholes (zero peephole weights, use_peephole false), no cell clip
 *   (cell_clip -1: the kernel clips only for a positive value).
 *
 * Autograd: the fused node sits on an internal tensor `hc` = [h_1..h_T,
 * c_1..c_T] ([2T, N, H]: the kernel's h and cell-state outputs of every step);
 * the layer's output, hN and cN hang off it with one-kernel rules (ConcatV2
 * with zeros, Pad), so one BlockLSTMGradV2 receives the gradients of all three.
 * Its weight gradient [I + H, 4H] goes back to PyTorch's layout with one
 * Transpose and one SplitV; b's gradient is the gradient of both biases.
 *
 * Kernels per call: forward 5 (+1 ReverseV2 of x and of the output for the
 * reverse direction, +1 ConcatV2 when recording); backward 5 (Split, the grad
 * kernel, Transpose, SplitV, and the output's ConcatV2; + Pads where hN or cN
 * get a gradient; + ReverseV2 for the reverse direction).
 */
import { runOp, runOpN, typeAttr, intAttr, boolAttr, floatAttr, tf, type TfTensor } from '../../engine.js';
import { ShapeError } from '../../errors.js';
import { isGradEnabled, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { ConstCache } from '../const_cache.js';
import { shapeStr } from '../util.js';
import { k2 } from '../raw.js';
import * as K from './kernels.js';
import { checkFloat } from './args.js';

export interface LstmLayerOptions {
  /** Initial hidden state [N, H] (zeros if null or absent). */
  h0?: Tensor | null;
  /** Initial cell state [N, H] (zeros if null or absent). */
  c0?: Tensor | null;
  /** Run from the last step to the first (the reverse direction of a bidirectional LSTM); the output stays in time order. */
  reverse?: boolean;
}

export interface LstmLayerResult {
  /** h of every step, [T, N, H], in time order. */
  output: Tensor;
  /** The final hidden state, [1, N, H] (one slot of PyTorch's [layers * dirs, N, H]). */
  hN: Tensor;
  /** The final cell state, [1, N, H]. */
  cN: Tensor;
}

/**
 * PyTorch's LSTM equations over x [T, N, I] with weight_ih [4H, I], weight_hh
 * [4H, H] and optional biases [4H] (gates i, f, g, o).
 *
 * @example
 * ```ts
 * import { randn, functional as F } from '@duet/core';
 * const [wIh, wHh] = [randn([24, 5], { requiresGrad: true }), randn([24, 6], { requiresGrad: true })];
 * const { output, hN, cN } = F.lstmLayer(randn([7, 3, 5]), wIh, wHh, null, null); // [7, 3, 6], [1, 3, 6], [1, 3, 6]
 * output.sum().backward();
 * ```
 */
export function lstmLayer(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, options: LstmLayerOptions = {}): LstmLayerResult {
  const op = 'lstmLayer';
  for (const [what, t] of [['input', x], ['weight_ih', wIh], ['weight_hh', wHh], ['bias_ih', bIh], ['bias_hh', bHh]] as const) {
    if (t !== null) checkFloat(op, what, t);
  }
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected an input of shape [T, N, I], received ${shapeStr(x.shape)}.`);
  const [len, n, inSize] = x.shape as [number, number, number];
  const h = wHh.shape[1]!;
  if (wHh.ndim !== 2 || wHh.shape[0] !== 4 * h) throw new ShapeError(`${op}: expected weight_hh of shape [4H, H], received ${shapeStr(wHh.shape)}.`);
  if (wIh.ndim !== 2 || wIh.shape[0] !== 4 * h || wIh.shape[1] !== inSize) {
    throw new ShapeError(`${op}: expected weight_ih of shape [${4 * h}, ${inSize}] (4H x input size), received ${shapeStr(wIh.shape)}.`);
  }
  if ((bIh === null) !== (bHh === null)) throw new ShapeError(`${op}: give both biases or neither.`);
  for (const b of [bIh, bHh]) {
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== 4 * h)) throw new ShapeError(`${op}: expected biases of shape [${4 * h}], received ${shapeStr(b.shape)}.`);
  }
  const h0 = options.h0 ?? null;
  const c0 = options.c0 ?? null;
  for (const [what, s] of [['h0', h0], ['c0', c0]] as const) {
    if (s === null) continue;
    checkFloat(op, what, s);
    if (s.ndim !== 2 || s.shape[0] !== n || s.shape[1] !== h) throw new ShapeError(`${op}: expected ${what} of shape [${n}, ${h}], received ${shapeStr(s.shape)}.`);
  }
  if (len === 0) throw new ShapeError(`${op}: expected a sequence of at least one step, received ${shapeStr(x.shape)}.`);
  const reverse = options.reverse === true;

  const inputs = [x, wIh, wHh, ...(bIh !== null && bHh !== null ? [bIh, bHh] : []), ...(h0 !== null ? [h0] : []), ...(c0 !== null ? [c0] : [])];
  const grad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const state = [n, h];
  const t = tf();
  // w [I + H, 4H], b [4H], x in processing order, the kernel's seven outputs.
  const fwd = t.tidy(() => {
    const w = K.transpose(K.concat([wIh._v(), wHh._v()], 1), [1, 0]);
    const b = bIh !== null && bHh !== null ? k2('AddV2', bIh._v(), bHh._v()) : undefined;
    const xs = reverse ? reverseTime(x._v()) : x._v();
    const h0v = h0?._v() ?? zeros(state);
    const c0v = c0?._v() ?? zeros(state);
    const outs = runOpN('BlockLSTMV2', [f32(), floatAttr('cell_clip', -1), boolAttr('use_peephole', false)], [seqLen(len), xs, c0v, h0v, w, ...peepholes(h), b ?? zeros([4 * h])], 7);
    return { w, b, xs, outs };
  });
  const [gi, cs, gf, go, ci, co, hs] = fwd.outs as [TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor];
  const last = (v: TfTensor) => K.slice(v, [len - 1, 0, 0], [1, n, h]);
  const outV = reverse ? reverseTime(hs) : t.clone(hs);
  const hNV = last(hs);
  const cNV = last(cs);
  if (!grad) {
    for (const v of [fwd.w, fwd.b, ...fwd.outs]) v?.dispose();
    if (fwd.xs !== x._v()) fwd.xs.dispose();
    return { output: new Tensor(outV), hN: new Tensor(hNV), cN: new Tensor(cNV) };
  }

  // The fused node: hc = [h; c] over all steps, [2T, N, H].
  const hc = new Tensor(K.concat([hs, cs], 0));
  const xsSaved = fwd.xs === x._v() ? null : fwd.xs;
  const saved = [fwd.w, ...(fwd.b !== undefined ? [fwd.b] : []), ...fwd.outs, ...(xsSaved !== null ? [xsSaved] : [])];
  record(hc, 'BlockLSTMBackward', inputs, (g) => {
    const [gh, gcs] = K.split(g, 2, 0) as [TfTensor, TfTensor];
    const xs = xsSaved ?? x._v();
    const grads = runOpN('BlockLSTMGradV2', [f32(), boolAttr('use_peephole', false)], [
      seqLen(len), xs, c0?._v() ?? zeros(state), h0?._v() ?? zeros(state), fwd.w, ...peepholes(h), fwd.b ?? zeros([4 * h]),
      gi, cs, gf, go, ci, co, hs, gcs, gh,
    ], 8);
    const [dx, dc0, dh0, dw, , , , db] = grads as [TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor];
    const [dwIh, dwHh] = splitV(K.transpose(dw, [1, 0]), [inSize, h], 1);
    const out: (TfTensor | null)[] = [reverse && x.requiresGrad ? reverseTime(dx) : dx, dwIh!, dwHh!];
    if (bIh !== null) out.push(db, db); // the autograd gives the second use its own copy
    if (h0 !== null) out.push(dh0);
    if (c0 !== null) out.push(dc0);
    return out;
  }, saved);

  // The three results, each a view of hc with a one-kernel rule into hc's gradient.
  const zerosSeq = [len, n, h];
  const output = record(new Tensor(outV), 'BlockLSTMOutputBackward', [hc], (g) => [K.concat([reverse ? reverseTime(g) : g, zeros(zerosSeq)], 0)]);
  const hN = record(new Tensor(hNV), 'BlockLSTMStateBackward', [hc], (g) => [K.pad(g, [[len - 1, len], [0, 0], [0, 0]])]);
  const cN = record(new Tensor(cNV), 'BlockLSTMStateBackward', [hc], (g) => [K.pad(g, [[2 * len - 1, 0], [0, 0], [0, 0]])]);
  return { output, hN, cN };
}

const f32 = () => typeAttr('T', 'float32');

/** Cached zeros of `shape` (initial states, peephole weights, the unused half of hc's gradient). */
function zeros(shape: readonly number[]): TfTensor {
  return K.floatConst(`zeros:${shape.join('x')}`, shape, () => new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/** BlockLSTMV2's peephole weights wci, wcf, wco: zeros, unused with use_peephole false. */
function peepholes(h: number): TfTensor[] {
  const z = zeros([h]);
  return [z, z, z];
}

function reverseTime(v: TfTensor): TfTensor {
  return runOp('ReverseV2', [typeAttr('T', v.dtype), typeAttr('Tidx', 'int32')], [v, K.intConst([0])]);
}

function splitV(v: TfTensor, sizes: readonly number[], axis: number): TfTensor[] {
  return runOpN('SplitV', [f32(), typeAttr('Tlen', 'int32'), intAttr('num_split', sizes.length)], [v, K.intConst(sizes), K.intConst([axis], [])], sizes.length);
}

/**
 * The int64 scalar `seq_len_max` (tfjs has no int64 dtype): one Cast from
 * int32 per sequence length, cached. tfjs-node warns on every int64 result it
 * wraps; that warning is about reading the values, which Duet never does, so
 * it is silenced for this one call.
 */
const seqLens = new ConstCache(64);
function seqLen(len: number): TfTensor {
  return seqLens.get(String(len), () => {
    const warn = console.warn;
    console.warn = () => {};
    try {
      return runOp('Cast', [typeAttr('SrcT', 'int32'), { ...typeAttr('DstT', 'int32'), value: TF_INT64 } /* typeAttr knows tfjs's dtypes only */, boolAttr('Truncate', false)], [K.intConst([len], [])]);
    } finally {
      console.warn = warn;
    }
  });
}
/** TensorFlow's DT_INT64 enum value (types.proto). */
const TF_INT64 = 9;
