/**
 * @duet/nn's layers and functional ops against PyTorch (nn_layers.json,
 * written by gen_nn_layers.py): each layer is built here by the case's name,
 * loads torch's state_dict (strict: same keys and shapes), and must give
 * torch's outputs, the gradients of sum_i (out_i * upstream_i).sum() for its
 * inputs and parameters, and (train-mode BatchNorm) its buffers afterwards.
 * Every case also runs twice inside scope(): no native tensor may leak.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor, type DType } from '@duet/core';
import { F, nn } from '@duet/nn';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';

interface Stored {
  shape: number[];
  dtype: DType;
  values: number[];
}
interface Case {
  name: string;
  train: boolean;
  tol: [number, number];
  state_dict: Record<string, Stored>;
  inputs: Stored[];
  outputs: Stored[];
  upstream: Stored[];
  grads: Record<string, Stored>;
  buffers_after?: Record<string, Stored>;
}
const golden = JSON.parse(readFileSync(new URL('./nn_layers.json', import.meta.url), 'utf8')) as { torch_version: string; cases: Case[] };

type Out = Tensor | null | Out[];
interface Spec {
  make?: () => nn.Module;
  /** Default: `m.forward(...inputs)`. */
  run?: (m: any, x: Tensor[]) => Out;
}

const act = (m: () => nn.Module): Spec => ({ make: m });
const fn = (run: (x: Tensor[]) => Out): Spec => ({ run: (_m, x) => run(x) });

const SPECS: Record<string, Spec> = {
  Linear: { make: () => new nn.Linear(5, 4) },
  Linear_nobias_3d: { make: () => new nn.Linear(5, 4, { bias: false }) },
  Bilinear: { make: () => new nn.Bilinear(3, 4, 2) },
  Identity_Flatten: { make: () => new nn.Sequential(new nn.Identity(), new nn.Flatten(), new nn.Unflatten(1, [3, 4])) },
  Conv1d: { make: () => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1 }) },
  Conv1d_same_dilated_groups: { make: () => new nn.Conv1d(2, 4, 3, { padding: 'same', dilation: 2, groups: 2 }) },
  Conv2d: { make: () => new nn.Conv2d(3, 4, 3, { padding: 1 }) },
  Conv2d_stride_dilation_groups: { make: () => new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }) },
  Conv2d_same_even_kernel: { make: () => new nn.Conv2d(2, 3, 4, { padding: 'same', bias: false }) },
  Conv2d_reflect: { make: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }) },
  Conv2d_circular: { make: () => new nn.Conv2d(2, 3, 3, { padding: 2, paddingMode: 'circular' }) },
  Conv2d_replicate: { make: () => new nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: 'replicate' }) },
  ConvTranspose2d: { make: () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }) },
  MaxPool1d: { make: () => new nn.MaxPool1d(3, { stride: 2, padding: 1 }) },
  MaxPool2d: { make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }) },
  AvgPool1d: { make: () => new nn.AvgPool1d(3, { stride: 2 }) },
  AvgPool2d: { make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }) },
  AdaptiveAvgPool2d: { make: () => new nn.AdaptiveAvgPool2d([2, 3]) },
  BatchNorm1d_train: { make: () => new nn.BatchNorm1d(4) },
  BatchNorm1d_eval_3d: { make: () => new nn.BatchNorm1d(4) },
  BatchNorm2d_train: { make: () => new nn.BatchNorm2d(3, { momentum: 0.3 }) },
  BatchNorm2d_cumulative: { make: () => new nn.BatchNorm2d(3, { momentum: null }) },
  BatchNorm2d_eval: { make: () => new nn.BatchNorm2d(3) },
  BatchNorm2d_no_affine: { make: () => new nn.BatchNorm2d(3, { affine: false }) },
  LayerNorm: { make: () => new nn.LayerNorm([4, 5]) },
  GroupNorm: { make: () => new nn.GroupNorm(2, 6) },
  Embedding_padding: { make: () => new nn.Embedding(6, 3, { paddingIdx: 1 }) },
  Dropout_eval: { make: () => new nn.Dropout(0.5) },
  ReLU: act(() => new nn.ReLU()),
  LeakyReLU: act(() => new nn.LeakyReLU(0.2)),
  GELU: act(() => new nn.GELU()),
  GELU_tanh: act(() => new nn.GELU({ approximate: 'tanh' })),
  SiLU: act(() => new nn.SiLU()),
  ELU: act(() => new nn.ELU(0.5)),
  Sigmoid: act(() => new nn.Sigmoid()),
  Tanh: act(() => new nn.Tanh()),
  Softmax: act(() => new nn.Softmax(1)),
  LogSoftmax: act(() => new nn.LogSoftmax(-1)),
  Softplus: act(() => new nn.Softplus(2, 3)),

  RNN_tanh_2layer_bidir_batchfirst_h0: { make: () => new nn.RNN(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }) },
  RNN_relu: { make: () => new nn.RNN(3, 4, { nonlinearity: 'relu', bias: false }) },
  LSTM_2layer_batchfirst_h0c0: { make: () => new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true }), run: (m, [x, h, c]) => m.forward(x, [h, c]) },
  LSTM_bidir: { make: () => new nn.LSTM(3, 4, { bidirectional: true }) },
  LSTM_unbatched: { make: () => new nn.LSTM(3, 4) },
  GRU_2layer_bidir: { make: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }) },
  GRU_h0_batchfirst: { make: () => new nn.GRU(3, 4, { batchFirst: true }) },
  MHA_self_batchfirst_kpm: { make: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }), run: (m, [x, k]) => m.forward(x, x, x, { keyPaddingMask: k }) },
  MHA_cross_kdim_vdim_floatmask: { make: () => new nn.MultiheadAttention(8, 4, { kdim: 6, vdim: 5 }), run: (m, [q, k, v, mask]) => m.forward(q, k, v, { attnMask: mask }) },
  MHA_causal_per_head_weights: { make: () => new nn.MultiheadAttention(6, 3, { bias: false }), run: (m, [x, mask]) => m.forward(x, x, x, { attnMask: mask, averageAttnWeights: false }) },
  MHA_kv_same_no_weights: { make: () => new nn.MultiheadAttention(8, 2), run: (m, [q, kv]) => m.forward(q, kv, kv, { needWeights: false }) },
  TransformerEncoderLayer_post_relu_kpm: {
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }),
    run: (m, [x, k]) => m.forward(x, { srcKeyPaddingMask: k }),
  },
  TransformerEncoderLayer_pre_gelu_causal: {
    make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: 'gelu', normFirst: true, batchFirst: true }),
    run: (m, [x, mask]) => m.forward(x, { srcMask: mask }),
  },
  TransformerEncoder_2layers_norm: {
    make: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2, { norm: new nn.LayerNorm(8) }),
  },
  TransformerDecoderLayer_causal_memkpm: {
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }),
    run: (m, [t, mem, mask, k]) => m.forward(t, mem, { tgtMask: mask, memoryKeyPaddingMask: k }),
  },
  TransformerDecoderLayer_prenorm: {
    make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, normFirst: true, batchFirst: true }),
  },

  'F.pad_constant': fn(([x]) => F.pad(x!, [1, 2, 0, 1], { value: 0.5 })),
  'F.pad_constant_negative': fn(([x]) => F.pad(x!, [-1, 2])),
  'F.pad_reflect': fn(([x]) => F.pad(x!, [2, 1, 1, 3], { mode: 'reflect' })),
  'F.pad_replicate': fn(([x]) => F.pad(x!, [2, 1, 1, 3], { mode: 'replicate' })),
  'F.pad_circular': fn(([x]) => F.pad(x!, [2, 1, 1, 3], { mode: 'circular' })),
  'F.interpolate_nearest_scale': fn(([x]) => F.interpolate(x!, { scaleFactor: 2, mode: 'nearest' })),
  'F.interpolate_nearest_size': fn(([x]) => F.interpolate(x!, { size: [3, 7], mode: 'nearest' })),
  'F.interpolate_nearest_exact': fn(([x]) => F.interpolate(x!, { size: [3, 7], mode: 'nearest-exact' })),
  'F.interpolate_bilinear': fn(([x]) => F.interpolate(x!, { size: [5, 7], mode: 'bilinear' })),
  'F.interpolate_bilinear_scale': fn(([x]) => F.interpolate(x!, { scaleFactor: 1.5, mode: 'bilinear' })),
  'F.interpolate_bilinear_align': fn(([x]) => F.interpolate(x!, { size: [5, 7], mode: 'bilinear', alignCorners: true })),
  'F.interpolate_linear': fn(([x]) => F.interpolate(x!, { size: 9, mode: 'linear' })),
  'F.normalize': fn(([x]) => F.normalize(x!, { dim: 1 })),
  'F.cosine_similarity': fn(([a, b]) => F.cosineSimilarity(a!, b!, { dim: 1 })),
  'F.sdpa_boolmask': fn(([q, k, v, mask]) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: mask })),
  'F.sdpa_causal_scale': fn(([q, k, v]) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true, scale: 0.3 })),
  'F.sdpa_floatmask': fn(([q, k, v, mask]) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: mask })),
  'F.layer_norm_no_affine': fn(([x]) => F.layerNorm(x!, [5])),
  'F.batch_norm_channels_last': fn(([x, w, b]) => F.batchNorm(x!, null, null, { weight: w, bias: b, training: true, channelAxis: -1 })),

  LSTM_2layer_bidir_h0c0: { make: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }), run: (m, [x, h, c]) => m.forward(x, [h, c]) },
  LSTM_bidir_batchfirst_nobias: { make: () => new nn.LSTM(3, 5, { bias: false, batchFirst: true, bidirectional: true }) },
  LSTM_2layer_long_h0c0: { make: () => new nn.LSTM(4, 8, { numLayers: 2 }), run: (m, [x, h, c]) => m.forward(x, [h, c]) },
  LSTM_final_states_only: { make: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }), run: (m, [x]) => m.forward(x)[1] },
  LSTM_one_step_unbatched_h0c0: { make: () => new nn.LSTM(3, 4), run: (m, [x, h, c]) => m.forward(x, [h, c]) },
  GRU_2layer_bidir_batchfirst_h0: { make: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }) },
  GRU_unbatched_nobias: { make: () => new nn.GRU(3, 4, { bias: false }) },
  RNN_relu_2layer_bidir_h0: { make: () => new nn.RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', bidirectional: true }) },
  RNN_tanh_long_batchfirst_h0: { make: () => new nn.RNN(4, 8, { batchFirst: true }) },
  RNN_tanh_unbatched_nobias_h0: { make: () => new nn.RNN(3, 5, { bias: false }) },
  RNN_relu_bidir_final_state_only: { make: () => new nn.RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', bidirectional: true }), run: (m, [x]) => m.forward(x)[1] },
  RNN_tanh_one_step_bidir_h0: { make: () => new nn.RNN(3, 4, { bidirectional: true }) },
};

const load = (s: Stored, requiresGrad = false): Tensor =>
  s.dtype === 'float32'
    ? tensor(Float32Array.from(s.values), { shape: s.shape, requiresGrad })
    : tensor(s.dtype === 'int32' ? Int32Array.from(s.values) : Uint8Array.from(s.values), { shape: s.shape, dtype: s.dtype });

const flatOut = (o: Out): Tensor[] => (o === null ? [] : Array.isArray(o) ? o.flatMap(flatOut) : [o]);

function build(c: Case): nn.Module | null {
  const spec = SPECS[c.name];
  if (spec === undefined) throw new Error(`no Duet spec for golden case '${c.name}'`);
  if (spec.make === undefined) return null;
  const m = spec.make();
  const sd = Object.fromEntries(Object.entries(c.state_dict).map(([k, s]) => [k, load(s)]));
  m.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return c.train ? m.train() : m.eval();
}

/** Forward, then backward of sum_i (out_i * upstream_i).sum(). */
function run(c: Case, m: nn.Module | null, inputs: Tensor[]): Tensor[] {
  const spec = SPECS[c.name]!;
  const outs = flatOut(spec.run !== undefined ? spec.run(m, inputs) : (m as any).forward(...inputs));
  outs.map((o, i) => o.mul(load(c.upstream[i]!)).sum()).reduce((a, b) => a.add(b)).backward();
  return outs;
}

describe(`nn layers match PyTorch ${golden.torch_version}`, () => {
  it.each(golden.cases)('$name', (c) => {
    const m = build(c);
    const inputs = c.inputs.map((s) => load(s, s.dtype === 'float32'));
    const outs = run(c, m, inputs);
    const [ftol, gtol] = c.tol;
    expect(outs.length, 'number of outputs').toBe(c.outputs.length);
    outs.forEach((o, i) => expectClose(o, c.outputs[i]!, { atol: ftol, rtol: ftol, message: `output ${i}` }));
    const params = Object.fromEntries(m?.namedParameters() ?? []);
    for (const [k, g] of Object.entries(c.grads)) {
      const t = k.startsWith('input') ? inputs[Number(k.slice(5))]! : params[k];
      expect(t, `tensor for grad '${k}'`).toBeDefined();
      expectClose(t!.grad ?? new Float32Array(g.values.length), g, { atol: gtol, rtol: gtol, message: `grad of ${k}` });
    }
    if (c.buffers_after !== undefined) {
      const sd = m!.stateDict();
      for (const [k, b] of Object.entries(c.buffers_after)) expectClose(sd[k]!, b, { atol: ftol, rtol: ftol, message: `buffer ${k} after forward` });
    }
    disposeWithGrads(inputs);
  });
});

describe('nn layers release every native tensor (forward + backward inside scope)', () => {
  it.each(golden.cases)('$name', (c) => {
    const m = build(c);
    const inputs = c.inputs.map((s) => load(s, s.dtype === 'float32'));
    expectNoLeaks(() => void run(c, m, inputs));
    disposeWithGrads(inputs);
  });
});
