/**
 * One layer and direction of PyTorch's LSTM over a whole sequence. Where Duet's
 * own kernels are built (native/ops/lstm.cc; core's kernels/custom.ts), one
 * DuetLSTMSequence kernel forward and one DuetLSTMSequenceGrad backward
 * (`duetLstm` below). Otherwise, TensorFlow's kernels: one
 * `BlockLSTMV2` kernel forward; backward one `BlockLSTMGradV2`, or
 * `LSTMBlockCellGrad` step by step for large weights (TensorFlow's CPU
 * kernels behind tf.raw_ops, all in TensorFlow since before 2.6, so in the
 * 2.9.1 library tfjs-node downloads and in 2.21). See docs/design/rnn.md.
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
 * Autograd: the node sits on an internal tensor `hc` = [h_1 .. h_T, c_T]
 * ([T + 1, N, H]); the layer's output, hN and cN hang off it with one-kernel
 * rules (ConcatV2 with zeros, Pad), so one backward receives the gradients of
 * all three. The backward is either one BlockLSTMGradV2 (its weight gradient
 * [I + H, 4H] goes back to PyTorch's two matrices with a Transpose and a
 * SplitV) or, for large weights where that kernel is slow, LSTMBlockCellGrad
 * step by step with the weight gradients of all steps in three MatMuls
 * (`stepsBackward`; measured crossover at STEPWISE_MIN_WEIGHTS).
 *
 * Kernels per call: forward 6 (ConcatV2 + Transpose of the weights, AddV2 of
 * the biases, BlockLSTMV2, Slice of hN and cN) + 1 ConcatV2 when recording
 * (+ ReverseV2 of x and of the output for the reverse direction; + 2 row
 * Gathers of the weights for the step-by-step backward). Backward
 * 'sequence': 6 (SplitV, Pad, BlockLSTMGradV2, Transpose, SplitV, the
 * output's ConcatV2); 'steps': 3 per step + ~20; + a Pad per final state used,
 * + ReverseV2 for the reverse direction.
 */
import { runKernel as runOp, runKernelN as runOpN, typeAttr, intAttr, boolAttr, floatAttr, tf, customKernel, type TfTensor } from '../../kernels/index.js';
import { ShapeError } from '../../errors.js';
import { isGradEnabled, record } from '../../autograd.js';
import { Tensor } from '../../tensor.js';
import { ConstSection as ConstCache, binaryKernel as k2 } from '../../kernels/index.js';
import { shapeStr } from '../util.js';
import * as K from '../../kernels/nn.js';
import { checkFloat } from './args.js';

export interface LstmLayerOptions {
  /** Initial hidden state [N, H] (zeros if null or absent). */
  h0?: Tensor | null;
  /** Initial cell state [N, H] (zeros if null or absent). */
  c0?: Tensor | null;
  /** Run from the last step to the first (the reverse direction of a bidirectional LSTM); the output stays in time order. */
  reverse?: boolean;
  /**
   * How it runs: 'auto' (default) = Duet's own DuetLSTMSequence /
   * DuetLSTMSequenceGrad kernels when they are built and on (core's
   * kernels/custom.ts), else TensorFlow's BlockLSTMV2 forward with the backward
   * 'steps' for large weights (measured, see STEPWISE_MIN_WEIGHTS), 'sequence'
   * below. 'sequence' and 'steps' always run BlockLSTMV2: 'sequence' = one
   * BlockLSTMGradV2 kernel backward; 'steps' = LSTMBlockCellGrad + MatMul per
   * step, then the weight gradients of all steps in three MatMuls. All give
   * PyTorch's gradients.
   */
  backward?: 'auto' | 'sequence' | 'steps';
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
  if ((options.backward ?? 'auto') === 'auto' && customKernel('DuetLSTMSequence') && customKernel('DuetLSTMSequenceGrad')) {
    return duetLstm(x, wIh, wHh, bIh, bHh, h0, c0, inputs, grad, reverse);
  }
  const t = tf();
  // Read every value before the tidy: a variable-backed parameter re-reads its
  // value on first use after an optimizer step, and that read must outlive the tidy.
  const [xv, wIhV, wHhV, bIhV, bHhV, h0V, c0V] = [x, wIh, wHh, bIh, bHh, h0, c0].map((v) => v?._v() ?? null);
  const backward = options.backward ?? 'auto';
  const stepwise = grad && (backward === 'auto' ? 4 * h * (inSize + h) >= STEPWISE_MIN_WEIGHTS : backward === 'steps');
  // w [I + H, 4H], b [4H], x in processing order, the kernel's seven outputs.
  const fwd = t.tidy(() => {
    const w = K.transpose(K.concat([wIhV!, wHhV!], 1), [1, 0]); // [I + H, 4H]
    // The step-by-step backward wants the weights with their rows in LSTMBlockCellGrad's gate order.
    const wIcfo = stepwise ? [gather(wIhV!, icfo(h), 0), gather(wHhV!, icfo(h), 0)] : undefined;
    const b = bIhV !== null && bHhV !== null ? k2('AddV2', bIhV!, bHhV!) : undefined;
    const xs = reverse ? reverseTime(xv!) : xv!;
    const h0v = h0V ?? zeros(state);
    const c0v = c0V ?? zeros(state);
    const outs = runOpN('BlockLSTMV2', [f32(), floatAttr('cell_clip', -1), boolAttr('use_peephole', false)], [seqLen(len), xs, c0v, h0v, w, ...peepholes(h), b ?? zeros([4 * h])], 7);
    return { w, wIcfo, b, xs, outs };
  });
  const [gi, cs, gf, go, ci, co, hs] = fwd.outs as [TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor];
  const last = (v: TfTensor) => K.slice(v, [len - 1, 0, 0], [1, n, h]);
  const outV = reverse ? reverseTime(hs) : t.clone(hs);
  const hNV = last(hs);
  const cNV = last(cs);
  if (!grad) {
    for (const v of [fwd.w, ...(fwd.wIcfo ?? []), fwd.b, ...fwd.outs]) v?.dispose();
    if (fwd.xs !== xv) fwd.xs.dispose();
    return { output: new Tensor(outV), hN: new Tensor(hNV), cN: new Tensor(cNV) };
  }

  // The fused node: hc = [h_1 .. h_T, c_T], [T + 1, N, H].
  const hc = new Tensor(K.concat([hs, cNV], 0));
  const xsSaved = fwd.xs === xv ? null : fwd.xs;
  const saved = [fwd.w, ...(fwd.wIcfo ?? []), ...[fwd.b, xsSaved].filter((v): v is TfTensor => v != null), ...fwd.outs];
  record(hc, stepwise ? 'LSTMBackward' : 'BlockLSTMBackward', inputs, (g) => {
    const [gh, gcN] = splitV(g, [len, 1], 0) as [TfTensor, TfTensor];
    const a: Activations = { xs: xsSaved ?? x._v(), h0: h0?._v() ?? zeros(state), c0: c0?._v() ?? zeros(state), w: fwd.w, b: fwd.b ?? zeros([4 * h]), gates: [gi, cs, gf, go, ci, co], hs };
    const d = fwd.wIcfo !== undefined ? stepsBackward(a, gh, gcN, fwd.wIcfo) : sequenceBackward(a, gh, gcN, inSize);
    const out: (TfTensor | null)[] = [reverse && x.requiresGrad ? reverseTime(d.dx) : d.dx, d.dwIh, d.dwHh];
    if (bIh !== null) out.push(d.db, d.db); // the autograd gives the second use its own copy
    if (h0 !== null) out.push(d.dh0);
    if (c0 !== null) out.push(d.dc0);
    return out;
  }, saved);

  return viewsOf(hc, outV, hNV, cNV, len - 1, reverse);
}

/**
 * The layer on Duet's own kernels (native/ops/lstm.cc): DuetLSTMSequence
 * forward (the input projection of all steps in one product, then the
 * recurrence in C++) and DuetLSTMSequenceGrad backward. The kernel writes
 * `hc` = [h_1 .. h_T in time order, c of the last processed step] directly,
 * the autograd node sits on it as on the stock path's, and its gradient is the
 * backward kernel's input as it is (no SplitV). Kernels: forward 1 + 3 Slices
 * (output, hN, cN); backward 1 + the one-kernel rules of the views used.
 */
function duetLstm(x: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, h0: Tensor | null, c0: Tensor | null, inputs: Tensor[], grad: boolean, reverse: boolean): LstmLayerResult {
  const [len, n] = x.shape as [number, number];
  const h = wHh.shape[1]!;
  const state = [n, h];
  const bias = (b: Tensor | null) => b?._v() ?? zeros([4 * h]);
  const [wIhV, wHhV] = [wIh._v(), wHh._v()];
  const [hcV, gates, cs] = runOpN('DuetLSTMSequence', [boolAttr('reverse', reverse)], [
    x._v(), wIhV, wHhV, bias(bIh), bias(bHh), h0?._v() ?? zeros(state), c0?._v() ?? zeros(state),
  ], 3) as [TfTensor, TfTensor, TfTensor];
  const outV = K.slice(hcV, [0, 0, 0], [len, n, h]);
  const hNV = K.slice(hcV, [reverse ? 0 : len - 1, 0, 0], [1, n, h]);
  const cNV = K.slice(hcV, [len, 0, 0], [1, n, h]);
  if (!grad) {
    for (const v of [hcV, gates, cs]) v.dispose();
    return { output: new Tensor(outV), hN: new Tensor(hNV), cN: new Tensor(cNV) };
  }
  const hc = new Tensor(hcV);
  // The backward uses the forward's weights (free handle copies), whatever happens to the parameters meanwhile.
  const kept = [tf().clone(wIhV), tf().clone(wHhV), gates, cs];
  record(hc, 'DuetLSTMBackward', inputs, (g) => {
    const [dx, dwIh, dwHh, db, dh0, dc0] = runOpN('DuetLSTMSequenceGrad', [boolAttr('reverse', reverse)], [
      x._v(), kept[0]!, kept[1]!, h0?._v() ?? zeros(state), c0?._v() ?? zeros(state), hc._v(), gates, cs, g,
    ], 6) as TfTensor[];
    const out: (TfTensor | null)[] = [dx!, dwIh!, dwHh!];
    if (bIh !== null) out.push(db!, db!); // the autograd gives the second use its own copy
    else db!.dispose();
    out.push(...(h0 !== null ? [dh0!] : []), ...(c0 !== null ? [dc0!] : []));
    if (h0 === null) dh0!.dispose();
    if (c0 === null) dc0!.dispose();
    return out;
  }, kept);
  return viewsOf(hc, outV, hNV, cNV, reverse ? 0 : len - 1, false);
}

/** The layer's three results, each a view of hc ([h_1 .. h_T, c_T]) with a one-kernel rule into hc's gradient. */
function viewsOf(hc: Tensor, outV: TfTensor, hNV: TfTensor, cNV: TfTensor, hNRow: number, reverseOutGrad: boolean): LstmLayerResult {
  const [len1, n, h] = hc.shape as [number, number, number];
  const len = len1 - 1;
  const output = record(new Tensor(outV), 'LSTMOutputBackward', [hc], (g) => [K.concat([reverseOutGrad ? reverseTime(g) : g, zeros([1, n, h])], 0)]);
  const hN = record(new Tensor(hNV), 'LSTMStateBackward', [hc], (g) => [K.pad(g, [[hNRow, len - hNRow], [0, 0], [0, 0]])]);
  const cN = record(new Tensor(cNV), 'LSTMStateBackward', [hc], (g) => [K.pad(g, [[len, 0], [0, 0], [0, 0]])]);
  return { output, hN, cN };
}

/**
 * Above this many weights in W ([I + H, 4H]) the backward runs step by step
 * (`stepsBackward`), below it in one BlockLSTMGradV2. BlockLSTMGradV2 adds
 * x_t^T dgates_t into the weight gradient at every step, a GEMM whose inner
 * dimension is the batch: measured here (T 35, N 20, I = H, 2 threads),
 * BlockLSTMGradV2 vs steps: H 32: 0.5 vs 4.5 ms; H 100: 8.8 vs 7.5 ms; H 200:
 * 22 vs 14 ms; H 400 (N 32): 107 vs 40 ms.
 */
const STEPWISE_MIN_WEIGHTS = 64 * 1024;

/** What the forward kept for the backward; `gates` = BlockLSTMV2's i, cs, f, o, ci, co ([T, N, H] each). */
interface Activations {
  xs: TfTensor;
  h0: TfTensor;
  c0: TfTensor;
  w: TfTensor;
  b: TfTensor;
  gates: TfTensor[];
  hs: TfTensor;
}
interface LstmGrads {
  dx: TfTensor;
  dwIh: TfTensor;
  dwHh: TfTensor;
  db: TfTensor;
  dh0: TfTensor;
  dc0: TfTensor;
}

/** The whole backward in one BlockLSTMGradV2; its weight gradient [I + H, 4H] back to PyTorch's two matrices. */
function sequenceBackward(a: Activations, gh: TfTensor, gcN: TfTensor, inSize: number): LstmGrads {
  const [len, , h] = gh.shape as [number, number, number];
  const gcs = K.pad(gcN, [[len - 1, 0], [0, 0], [0, 0]]);
  const grads = runOpN('BlockLSTMGradV2', [f32(), boolAttr('use_peephole', false)], [
    seqLen(len), a.xs, a.c0, a.h0, a.w, ...peepholes(h), a.b, ...a.gates, a.hs, gcs, gh,
  ], 8);
  const [dx, dc0, dh0, dw, , , , db] = grads as [TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor, TfTensor];
  const [dwIh, dwHh] = splitV(K.transpose(dw, [1, 0]), [inSize, h], 1) as [TfTensor, TfTensor];
  return { dx, dwIh, dwHh, db, dh0, dc0 };
}

/**
 * The backward one step at a time, from last to first: LSTMBlockCellGrad gives
 * the gate gradients of step t (in its ICFO layout) and the cell-state
 * gradient of step t - 1, one MatMul the hidden-state gradient (3 kernels per
 * step). The weight, bias and input gradients then come from all steps at once:
 * three large MatMuls and a Sum, as PyTorch computes them.
 */
function stepsBackward(a: Activations, gh: TfTensor, gcN: TfTensor, wIcfo: TfTensor[]): LstmGrads {
  const [len, n, h] = gh.shape as [number, number, number];
  const inSize = a.xs.shape[2]!;
  const [gi, cs, gf, go, ci, co] = a.gates.map((v) => unstack(v)) as [TfTensor[], TfTensor[], TfTensor[], TfTensor[], TfTensor[], TfTensor[]];
  const ghs = unstack(gh);
  const [wxIcfo, whIcfo] = wIcfo as [TfTensor, TfTensor]; // [4H, I], [4H, H], rows i, c, f, o
  const shapeOnly = [zeros([n, inSize]), zeros([n, h])]; // LSTMBlockCellGrad reads x and h_prev for their shapes only
  const dGates = new Array<TfTensor>(len);
  let dcs = K.reshape(gcN, [n, h]);
  let dh: TfTensor | null = null;
  for (let t = len - 1; t >= 0; t--) {
    const hGrad: TfTensor = dh === null ? ghs[t]! : k2('AddV2', ghs[t]!, dh);
    const csPrev = t > 0 ? cs[t - 1]! : a.c0;
    const [dcsPrev, dicfo] = runOpN('LSTMBlockCellGrad', [f32(), boolAttr('use_peephole', false)], [
      shapeOnly[0]!, csPrev, shapeOnly[1]!, a.w, ...peepholes(h), a.b, gi[t]!, cs[t]!, gf[t]!, go[t]!, ci[t]!, co[t]!, dcs, hGrad,
    ], 5) as [TfTensor, TfTensor];
    dGates[t] = dicfo;
    dcs = dcsPrev;
    dh = matMul(dicfo, whIcfo, false, false);
  }
  // Gate gradients of all steps, [T N, 4H] in the i, c, f, o order; the products
  // with it come out in that order too, and one row Gather puts them back in
  // PyTorch's (the permutation is its own inverse).
  const dg = K.concat(dGates, 0);
  const hPrev = K.reshape(K.concat([K.reshape(a.h0, [1, n, h]), K.slice(a.hs, [0, 0, 0], [len - 1, n, h])], 0), [len * n, h]);
  const toPyTorch = (v: TfTensor) => gather(v, icfo(h), 0);
  return {
    dx: K.reshape(matMul(dg, wxIcfo, false, false), [len, n, inSize]),
    dwIh: toPyTorch(matMul(dg, K.reshape(a.xs, [len * n, inSize]), true, false)),
    dwHh: toPyTorch(matMul(dg, hPrev, true, false)),
    db: toPyTorch(K.sum(dg, [0])),
    dh0: dh!,
    dc0: dcs,
  };
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

function unstack(v: TfTensor): TfTensor[] {
  return runOpN('Unpack', [f32(), intAttr('num', v.shape[0]!), intAttr('axis', 0)], [v], v.shape[0]!);
}

function gather(v: TfTensor, indices: TfTensor, axis: number): TfTensor {
  return runOp('GatherV2', [typeAttr('Tparams', 'float32'), typeAttr('Tindices', 'int32'), typeAttr('Taxis', 'int32'), intAttr('batch_dims', 0)], [v, indices, K.intConst([axis], [])]);
}

function matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor {
  return runOp('MatMul', [f32(), boolAttr('transpose_a', transposeA), boolAttr('transpose_b', transposeB)], [a, b]);
}

/** Indices that swap the middle two gate blocks of [4H]: PyTorch's i, f, g, o <-> LSTMBlockCell's i, c(g), f, o. */
const perms = new ConstCache(16);
function icfo(h: number): TfTensor {
  return perms.get(String(h), () => {
    const idx = new Int32Array(4 * h);
    for (let k = 0; k < 4 * h; k++) idx[k] = [0, 2, 1, 3][Math.floor(k / h)]! * h + (k % h);
    return tf().tensor(idx, [4 * h], 'int32');
  });
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
