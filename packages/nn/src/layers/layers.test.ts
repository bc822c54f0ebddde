import { describe, expect, it } from 'vitest';
import { Tensor, countKernels, manualSeed, memory, noGrad, ones, randn, scope, tensor } from '@duet/core';
import { nn } from '../index.js';

const keys = (m: nn.Module) => Object.keys(m.stateDict());
const shapes = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));

/** forward + backward inside scope() leaves the native tensor count unchanged (after one warm-up). */
function expectNoLeak(step: () => Tensor): void {
  const run = () => scope(() => void step().sum().backward());
  run();
  const before = memory().numTensors;
  run();
  expect(memory().numTensors).toBe(before);
}

describe('state-dict names and shapes follow PyTorch', () => {
  it('LSTM', () => {
    expect(shapes(new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true }))).toEqual({
      weight_ih_l0: [24, 5], weight_hh_l0: [24, 6], bias_ih_l0: [24], bias_hh_l0: [24],
      weight_ih_l0_reverse: [24, 5], weight_hh_l0_reverse: [24, 6], bias_ih_l0_reverse: [24], bias_hh_l0_reverse: [24],
      weight_ih_l1: [24, 12], weight_hh_l1: [24, 6], bias_ih_l1: [24], bias_hh_l1: [24],
      weight_ih_l1_reverse: [24, 12], weight_hh_l1_reverse: [24, 6], bias_ih_l1_reverse: [24], bias_hh_l1_reverse: [24],
    });
    expect(keys(new nn.GRU(3, 4, { bias: false }))).toEqual(['weight_ih_l0', 'weight_hh_l0']);
  });

  it('BatchNorm, MultiheadAttention, TransformerEncoder', () => {
    expect(keys(new nn.BatchNorm2d(3))).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(keys(new nn.BatchNorm1d(3, { trackRunningStats: false }))).toEqual(['weight', 'bias']);
    expect(shapes(new nn.MultiheadAttention(8, 2))).toEqual({ in_proj_weight: [24, 8], in_proj_bias: [24], 'out_proj.weight': [8, 8], 'out_proj.bias': [8] });
    expect(keys(new nn.MultiheadAttention(8, 2, { kdim: 3, vdim: 4, bias: false }))).toEqual(['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight']);
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, { norm: new nn.LayerNorm(8) });
    expect(keys(enc).filter((k) => k.startsWith('layers.1.'))).toEqual([
      'layers.1.self_attn.in_proj_weight', 'layers.1.self_attn.in_proj_bias', 'layers.1.self_attn.out_proj.weight', 'layers.1.self_attn.out_proj.bias',
      'layers.1.linear1.weight', 'layers.1.linear1.bias', 'layers.1.linear2.weight', 'layers.1.linear2.bias',
      'layers.1.norm1.weight', 'layers.1.norm1.bias', 'layers.1.norm2.weight', 'layers.1.norm2.bias',
    ]);
    expect(keys(enc).slice(-2)).toEqual(['norm.weight', 'norm.bias']);
  });

  it('TransformerEncoder copies its layer: same values, separate tensors', () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2);
    const sd = enc.stateDict();
    expect(sd['layers.0.linear1.weight']).not.toBe(sd['layers.1.linear1.weight']);
    expect(sd['layers.0.linear1.weight']!.toArray()).toEqual(sd['layers.1.linear1.weight']!.toArray());
  });
});

describe('default initialisation follows PyTorch', () => {
  it('Linear and Conv2d: kaiming_uniform(a=sqrt(5)) and bias in +-1/sqrt(fanIn)', () => {
    manualSeed(0);
    const fc = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    expect(fc.weight.abs().max().item()).toBeLessThanOrEqual(bound);
    expect(fc.weight.abs().max().item()).toBeGreaterThan(bound * 0.99);
    expect(fc.weight.std().item()).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(fc.bias!.abs().max().item()).toBeLessThanOrEqual(bound);
    const conv = new nn.Conv2d(8, 16, 3);
    expect(conv.weight.abs().max().item()).toBeLessThanOrEqual(1 / Math.sqrt(72));
  });

  it('Embedding: N(0, 1) with the padding row zero; norms: ones and zeros', () => {
    manualSeed(0);
    const emb = new nn.Embedding(1000, 16, { paddingIdx: 3 });
    expect(emb.weight.std().item()).toBeCloseTo(1, 1);
    expect(emb.weight.select(0, 3).abs().sum().item()).toBe(0);
    const ln = new nn.LayerNorm(4);
    expect(ln.weight!.toArray()).toEqual([1, 1, 1, 1]);
    expect(ln.bias!.toArray()).toEqual([0, 0, 0, 0]);
  });

  it('init.orthogonal_ gives orthonormal rows', () => {
    const w = nn.init.orthogonal_(randn([3, 5]));
    const g = w.matmul(w.t()).toArray() as number[][];
    g.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 5)));
  });
});

describe('train / eval behaviour', () => {
  it('Dropout zeroes about p of the values and scales the rest in training, identity in eval', () => {
    manualSeed(1);
    const d = new nn.Dropout(0.3);
    const y = d.forward(ones([10000]));
    const v = Array.from(y.dataSync());
    const zeros = v.filter((x) => x === 0).length / v.length;
    expect(zeros).toBeGreaterThan(0.27);
    expect(zeros).toBeLessThan(0.33);
    expect(v.filter((x) => x !== 0).every((x) => Math.abs(x - 1 / 0.7) < 1e-5)).toBe(true);
    d.eval();
    const x = randn([4, 4]);
    expect(d.forward(x)).toBe(x);
  });

  it('Dropout2d zeroes whole channels', () => {
    manualSeed(2);
    const y = new nn.Dropout2d(0.5).forward(ones([4, 8, 3, 3]));
    const sums = y.sum([2, 3]).toArray() as number[][];
    for (const row of sums) for (const s of row) expect([0, 18]).toContain(Math.round(s));
  });

  it('BatchNorm normalises with batch statistics in training, running ones in eval', () => {
    const bn = new nn.BatchNorm1d(2, { momentum: 0.5 });
    const x = tensor([[1, 10], [3, 30]]);
    const y = bn.forward(x).toArray() as number[][];
    expect(y[0]![0]).toBeCloseTo(-1, 3);
    expect(y[1]![1]).toBeCloseTo(1, 3);
    // running = 0.5 * init + 0.5 * batch (unbiased variance)
    expect(bn.runningMean!.toArray()).toEqual([1, 10]);
    expect(bn.runningVar!.toArray()).toEqual([1.5, 100.5]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    bn.eval();
    const e = bn.forward(tensor([[1, 10]])).toArray() as number[][];
    expect(e[0]![0]).toBeCloseTo(0, 4);
    expect(bn.numBatchesTracked!.item()).toBe(1);
  });

  it('LSTM dropout applies between layers only in training', () => {
    manualSeed(3);
    const lstm = new nn.LSTM(4, 8, { numLayers: 2, dropout: 0.9 });
    const x = randn([5, 2, 4]);
    lstm.eval();
    const a = lstm.forward(x)[0].toArray();
    expect(lstm.forward(x)[0].toArray()).toEqual(a);
    lstm.train();
    expect(lstm.forward(x)[0].toArray()).not.toEqual(a);
  });
});

describe('layers release every native tensor in training mode too', () => {
  it.each([
    ['Dropout', () => new nn.Dropout(0.5), () => randn([4, 8], { requiresGrad: true })],
    ['BatchNorm2d', () => new nn.BatchNorm2d(3), () => randn([2, 3, 4, 4], { requiresGrad: true })],
    ['BatchNorm1d cumulative', () => new nn.BatchNorm1d(3, { momentum: null }), () => randn([4, 3], { requiresGrad: true })],
    ['Dropout2d', () => new nn.Dropout2d(0.5), () => randn([2, 4, 3, 3], { requiresGrad: true })],
    ['Conv2d reflect', () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect' }), () => randn([1, 2, 5, 5], { requiresGrad: true })],
    ['LSTM with dropout', () => new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5 }), () => randn([5, 2, 3], { requiresGrad: true })],
    ['MultiheadAttention with dropout', () => new nn.MultiheadAttention(8, 2, { dropout: 0.3 }), () => randn([5, 2, 8], { requiresGrad: true })],
    ['TransformerEncoderLayer with dropout', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), () => randn([5, 2, 8], { requiresGrad: true })],
  ] as [string, () => nn.Module, () => Tensor][])('%s', (_name, make, input) => {
    const m = make().train();
    const x = input();
    expectNoLeak(() => {
      const y = m instanceof nn.MultiheadAttention ? m.forward(x, x, x) : (m as unknown as { forward(x: Tensor): Tensor | [Tensor, unknown] }).forward(x);
      return Array.isArray(y) ? y[0] : y;
    });
  });
});

describe('channels-last options (for the Keras front end) agree with PyTorch layout', () => {
  it('Conv2d, ConvTranspose2d and MaxPool2d with dataFormat channelsLast', () => {
    const x = randn([2, 3, 6, 6]);
    const xl = x.permute([0, 2, 3, 1]);
    const a = new nn.Conv2d(3, 4, 3, { padding: 1, stride: 2 });
    const b = new nn.Conv2d(3, 4, 3, { padding: 1, stride: 2, dataFormat: 'channelsLast' });
    expect(b.weight.shape).toEqual([3, 3, 3, 4]);
    noGrad(() => {
      b.weight.copy_(a.weight.permute([2, 3, 1, 0]));
      b.bias!.copy_(a.bias!.clone());
    });
    const ya = a.forward(x).permute([0, 2, 3, 1]).toArray() as number[][][][];
    const yb = b.forward(xl).toArray() as number[][][][];
    ya.flat(3).forEach((v, i) => expect(yb.flat(3)[i]).toBeCloseTo(v, 5));
    const t = new nn.ConvTranspose2d(3, 2, 2, { stride: 2, dataFormat: 'channelsLast' });
    expect(t.weight.shape).toEqual([2, 2, 2, 3]);
    expect(t.forward(xl).shape).toEqual([2, 12, 12, 2]);
    const p = new nn.MaxPool2d(2, { dataFormat: 'channelsLast' }).forward(xl).permute([0, 3, 1, 2]).toArray();
    expect(p).toEqual(new nn.MaxPool2d(2).forward(x).toArray());
  });

  it('BatchNorm with channelAxis -1 matches the channels-first result', () => {
    const x = randn([4, 5, 3]);
    const a = new nn.BatchNorm1d(3, { channelAxis: -1 });
    const b = new nn.BatchNorm1d(3);
    const ya = a.forward(x).toArray() as number[][][];
    const yb = b.forward(x.permute([0, 2, 1])).permute([0, 2, 1]).toArray() as number[][][];
    ya.flat(2).forEach((v, i) => expect(yb.flat(2)[i]).toBeCloseTo(v, 5));
    (a.runningVar!.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo((b.runningVar!.toArray() as number[])[i]!, 6));
  });
});

describe('speed: the seed MLP stays lean', () => {
  it('Linear + relu forward is 2 kernels (fused linear, relu)', () => {
    const fc = new nn.Linear(784, 128);
    const x = randn([32, 784]);
    fc.forward(x).relu();
    const { kernels } = countKernels(() => fc.forward(x).relu());
    expect(kernels).toBeLessThanOrEqual(3);
  });
});

describe('module prints', () => {
  it('match PyTorch for common layers', () => {
    expect(String(new nn.Conv2d(1, 8, 3, { padding: 'same' }))).toBe('Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)');
    expect(String(new nn.Conv1d(1, 8, 3))).toBe('Conv1d(1, 8, kernel_size=(3,), stride=(1,))');
    expect(String(new nn.LSTM(5, 6, { numLayers: 2, batchFirst: true, dropout: 0.5 }))).toBe('LSTM(5, 6, num_layers=2, batch_first=True, dropout=0.5)');
    expect(String(new nn.BatchNorm1d(3, { momentum: null }))).toBe('BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)');
    expect(String(new nn.LayerNorm(10))).toBe('LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)');
    expect(String(new nn.MaxPool1d(2))).toBe('MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
    expect(String(new nn.AdaptiveAvgPool2d([null, 2]))).toBe('AdaptiveAvgPool2d(output_size=(None, 2))');
    expect(String(new nn.Embedding(10, 3, { paddingIdx: 0 }))).toBe('Embedding(10, 3, padding_idx=0)');
    expect(String(new nn.MultiheadAttention(8, 2))).toBe(
      'MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)',
    );
    expect(String(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }))).toBe(
      'TransformerEncoderLayer(\n  (self_attn): MultiheadAttention(\n    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n  )\n' +
        '  (linear1): Linear(in_features=8, out_features=16, bias=True)\n  (dropout): Dropout(p=0.1, inplace=False)\n' +
        '  (linear2): Linear(in_features=16, out_features=8, bias=True)\n' +
        '  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n' +
        '  (dropout1): Dropout(p=0.1, inplace=False)\n  (dropout2): Dropout(p=0.1, inplace=False)\n)',
    );
  });
});

describe('Sequential by position (model[0], model.at(0))', () => {
  it('indexes its children as PyTorch does, with the exact type from at()', () => {
    const model = new nn.Sequential(new nn.Linear(3, 1), new nn.Flatten(0, 1));
    const linear = model.at(0); // typed nn.Linear: .weight and .bias need no cast
    expect(linear).toBeInstanceOf(nn.Linear);
    expect(linear.weight.shape).toEqual([1, 3]);
    expect(model[0]).toBe(linear);
    expect(model[1]).toBeInstanceOf(nn.Flatten);
    expect(model.at(-1)).toBe(model[1]);
    expect(model[2]).toBeUndefined();
    expect(() => model.at(2)).toThrow(/Sequential.at: index 2 is out of range \(length 2\)/);
    const named = new nn.Sequential({ fc: new nn.Linear(2, 2) });
    expect(named.at(0)).toBeInstanceOf(nn.Linear);
    const typed: nn.Sequential = model; // the generic form is still an nn.Sequential
    expect(typed.length).toBe(2);
  });
});
