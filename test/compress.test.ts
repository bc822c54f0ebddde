/**
 * Compression against PyTorch (test/golden/compress.json, written by
 * test/golden/gen_compress.py): nn.utils.prune's masks, parameter and
 * buffer names and effective weights; torch.ao's per-channel symmetric int8
 * values and scales; the distillation loss and its gradient. Plus
 * invariants: masks survive optimizer steps (fine-tuning), the int8 file
 * round-trips for nn and Keras models and is smaller, typed errors, leaks.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, randn, randint, scope, tensor } from '@duet/core';
import { F, nn, optim } from '@duet/nn';
import * as keras from '@duet/keras';
import {
  Distiller, QuantizationError, dequantizePerChannel, distillationLoss, loadQuantized, pruneLowMagnitude, quantizePerChannel, saveQuantized, softTargetLoss,
} from '@duet/compress';
import { expectClose, expectNoLeaks, type Shaped } from './helpers.js';
import { readFileSync } from 'node:fs';

const prune = nn.utils.prune;
const golden = JSON.parse(readFileSync(new URL('./golden/compress.json', import.meta.url), 'utf8'));
const load = (s: Shaped): Tensor => tensor(Float32Array.from(s.values.map(Number)), { shape: [...s.shape] });
const dir = mkdtempSync(join(tmpdir(), 'duet-compress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function layers(): { linear: nn.Linear; conv: nn.Conv2d } {
  const linear = new nn.Linear(6, 5);
  const conv = new nn.Conv2d(2, 3, 3);
  for (const [m, key] of [[linear, 'linear'], [conv, 'conv']] as const) {
    const sd: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(golden.weights[key] as Record<string, Shaped>)) sd[k] = load(v);
    m.loadStateDict(sd);
  }
  return { linear, conv };
}

interface Snap {
  params: string[];
  buffers: string[];
  mask: Shaped;
  weight: Shaped;
}
function expectSnap(m: nn.Module, want: Snap, name = 'weight'): void {
  expect(m.namedParameters().map(([n]) => n)).toEqual(want.params);
  expect(m.namedBuffers().map(([n]) => n)).toEqual(want.buffers);
  const s = m as unknown as Record<string, Tensor>;
  expectClose(s[`${name}_mask`]!, want.mask, { atol: 0, message: 'mask' });
  expectClose(s[name]!, want.weight, { atol: 1e-7, message: 'weight' });
}

describe(`nn.utils.prune vs torch.nn.utils.prune (torch ${golden.versions.torch})`, () => {
  for (const c of golden.prune) {
    it(c.id, () => {
      const l = layers();
      const m = l[c.layer as 'linear' | 'conv'];
      c.steps.forEach((step: Record<string, any>, i: number) => {
        const amount = step.count !== undefined ? { count: step.count } : step.amount;
        prune.l1Unstructured(m, 'weight', { amount, ...(step.importanceScores ? { importanceScores: load(step.importanceScores) } : {}) });
        expectSnap(m, c.after[i]);
      });
      expect(prune.isPruned(m)).toBe(true);
    });
  }

  it(golden.global[0].id, () => {
    const c = golden.global[0];
    const { linear, conv } = layers();
    const params: [nn.Module, string][] = [[linear, 'weight'], [conv, 'weight'], [linear, 'bias']];
    c.amounts.forEach((amount: number, i: number) => {
      prune.globalUnstructured(params, { pruningMethod: prune.L1Unstructured, amount });
      expectSnap(conv, c.after[i].conv);
      expectClose((linear as unknown as Record<string, Tensor>).weight_mask!, c.after[i].linear.mask, { atol: 0 });
      expectClose((linear as unknown as Record<string, Tensor>).bias_mask!, c.after[i].linear_bias.mask, { atol: 0 });
    });
    prune.remove(linear, 'weight');
    expect(linear.namedParameters().map(([n]) => n).sort()).toEqual([...c.removed.params].sort());
    expect(linear.namedBuffers().map(([n]) => n)).toEqual(c.removed.buffers);
    expect(linear.weight).toBeInstanceOf(nn.Parameter);
    expectClose(linear.weight, c.removed.weight, { atol: 1e-7 });
  });

  it('the mask survives optimizer steps (fine-tuning) and the forward uses weight_orig * weight_mask', () => {
    manualSeed(0);
    const net = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const fc1 = net.at(0) as nn.Linear;
    prune.l1Unstructured(fc1, 'weight', { amount: 0.75 });
    const mask = Array.from((fc1 as unknown as Record<string, Tensor>).weight_mask!.dataSync());
    const before = Array.from((fc1 as unknown as Record<string, Tensor>).weight_orig!.dataSync());
    const opt = new optim.Adam(net.parameters(), { lr: 0.05 });
    expect(net.parameters().length).toBe(4); // weight_orig replaces weight
    const x = randn([32, 8]);
    const y = randint(0, 3, [32]);
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(net.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[19]!).toBeLessThan(losses[0]!);
    const orig = Array.from((fc1 as unknown as Record<string, Tensor>).weight_orig!.dataSync());
    expect(orig.some((v, i) => mask[i] === 1 && v !== before[i])).toBe(true); // kept weights trained
    net.forward(x); // the pre-hook recomputes weight
    const w = Array.from(fc1.weight.dataSync());
    w.forEach((v, i) => (mask[i] === 0 ? expect(Math.abs(v)).toBe(0) : expect(v).toBeCloseTo(orig[i]!, 6)));
    expect(prune.sparsity(fc1.weight)).toBeCloseTo(0.75, 6);
    prune.remove(fc1, 'weight');
    expect(prune.isPruned(net)).toBe(false);
    expect(prune.sparsity(fc1.weight)).toBeCloseTo(0.75, 6);
  });

  it('iterative pruning prunes the remaining entries; no native tensors leak', () => {
    const fc = new nn.Linear(10, 10);
    prune.l1Unstructured(fc, 'weight', { amount: 0.5 });
    prune.l1Unstructured(fc, 'weight', { amount: 0.5 });
    expect(prune.sparsity(fc.weight)).toBeCloseTo(0.75, 6);
    prune.remove(fc, 'weight');
    expectNoLeaks(() => {
      const m = new nn.Linear(10, 10);
      prune.l1Unstructured(m, 'weight', { amount: 0.3 });
      m.forward(randn([2, 10]));
      prune.remove(m, 'weight');
      for (const p of m.parameters()) p.dispose();
    });
  });

  it('bad input: typed errors say what is allowed', () => {
    const fc = new nn.Linear(4, 4);
    expect(() => prune.l1Unstructured(fc, 'weight', { amount: -0.1 })).toThrow(/amount must be a fraction in \[0, 1\]/);
    expect(() => prune.l1Unstructured(fc, 'weight', { amount: 2.5 })).toThrow(/amount must be/);
    expect(() => prune.l1Unstructured(fc, 'weight', { amount: 17 })).toThrow(/only 16 are left/);
    expect(() => prune.l1Unstructured(fc, 'kernel', { amount: 0.5 })).toThrow(/no parameter 'kernel'.*\["weight","bias"\]/);
    expect(() => prune.remove(fc, 'weight')).toThrow(/is not pruned/);
    expect(() => prune.globalUnstructured([[fc, 'weight']], { pruningMethod: 'ln_structured' as never, amount: 0.5 })).toThrow(/unknown pruningMethod/);
  });
});

describe('int8 per-channel symmetric quantization vs torch.ao', () => {
  for (const c of golden.quantize) {
    it(`${c.id}: int8 values and scales`, () => {
      const q = quantizePerChannel(Float32Array.from(c.weight.values), c.weight.shape, 0);
      expectClose(Array.from(q.scales), c.scale.values, { atol: 0, rtol: 1e-7, message: 'scales' });
      expect(Array.from(q.values)).toEqual(c.int8);
      expectClose(Array.from(dequantizePerChannel(q)), c.dequantized.values, { atol: 0, rtol: 1e-6, message: 'dequantized' });
    });
  }

  it('nn model: the file round-trips (dequantize-on-load), is ~4x smaller, and outputs stay close', () => {
    manualSeed(1);
    const make = () => new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 10));
    const model = make();
    const path = join(dir, 'nn.int8.safetensors');
    const report = saveQuantized(model, path);
    expect(report.quantized).toEqual(['0.weight', '3.weight']);
    expect(statSync(path).size).toBe(report.fileBytes);
    expect(report.quantizedBytes / report.floatBytes).toBeLessThan(0.3);
    const fresh = make();
    loadQuantized(fresh, path);
    for (const [k, v] of Object.entries(model.stateDict())) {
      const w = fresh.stateDict()[k]!;
      const amax = Math.max(...Array.from(v.dataSync(), Math.abs));
      expectClose(w, v, { atol: k.endsWith('bias') ? 0 : amax / 127.5 / 2 + 1e-7, rtol: 0, message: k });
    }
    const x = randn([2, 1, 8, 8]);
    expectClose(fresh.forward(x), model.forward(x), { atol: 0.05, rtol: 0.05 });
    expectNoLeaks(() => loadQuantized(fresh, path));
  });

  it('Keras model: kernels quantized along the output (last) axis, loaded by position into a second build (other layer names)', () => {
    manualSeed(2);
    const make = () => new keras.Sequential([keras.Input({ shape: [8, 8, 1] }), new keras.layers.Conv2D(4, 3, { name: 'c' }), new keras.layers.Flatten(), new keras.layers.Dense(10, { name: 'd' })]);
    const model = make();
    const path = join(dir, 'keras.int8.safetensors');
    const report = saveQuantized(model, path);
    expect(report.quantized.length).toBe(2);
    const fresh = make();
    loadQuantized(fresh, path);
    model.weights.forEach((w, i) => {
      const q = quantizePerChannel(Float32Array.from(w.dataSync()), w.shape, w.ndim - 1);
      const want = w.path.endsWith('kernel') ? Array.from(dequantizePerChannel(q)) : Array.from(w.dataSync());
      expectClose(fresh.weights[i]!, { shape: w.shape, values: want }, { atol: 0, rtol: 1e-6, message: w.path });
    });
    expect(() => loadQuantized(new nn.Linear(2, 2), path)).toThrow(/keras model's weights/);
    const other = new keras.Sequential([keras.Input({ shape: [8, 8, 1] }), new keras.layers.Conv2D(5, 3), new keras.layers.Flatten(), new keras.layers.Dense(10)]);
    expect(() => loadQuantized(other, path)).toThrow(/does not fit the model: weight 0 .* has shape \[3, 3, 1, 5\]/);
  });

  it('quantizing a layer type that is not supported is a typed error naming the supported ones', () => {
    const lstm = new nn.Sequential(new nn.LSTM(4, 4));
    expect(() => saveQuantized(lstm, join(dir, 'x.safetensors'), { types: [nn.LSTM] })).toThrow(QuantizationError);
    expect(() => saveQuantized(lstm, join(dir, 'x.safetensors'), { types: [nn.LSTM] })).toThrow(/quantizing LSTM is not supported.*nn\.Linear, nn\.Conv1d, nn\.Conv2d/);
  });
});

describe('knowledge distillation loss vs PyTorch', () => {
  for (const c of golden.distill) {
    it(`T=${c.temperature}, alpha=${c.alpha}: value and gradient`, () => {
      scope(() => {
        const s = load(c.student).requiresGrad_(true);
        const t = load(c.teacher);
        const y = tensor(c.labels, { dtype: 'int32' });
        const loss = distillationLoss(s, t, y, { temperature: c.temperature, alpha: c.alpha });
        expect(loss.item()).toBeCloseTo(c.loss, 5);
        expect(softTargetLoss(s, t, c.temperature).item()).toBeCloseTo(c.soft, 5);
        loss.backward();
        expectClose(s.grad!, c.grad, { atol: 1e-6, rtol: 1e-5 });
        s.grad!.dispose();
        s.grad = null;
        s.dispose();
      });
      expectNoLeaks(() => void distillationLoss(load(c.student), load(c.teacher), tensor(c.labels, { dtype: 'int32' }), { temperature: c.temperature, alpha: c.alpha }));
    });
  }

  it('Keras Distiller: fit adds the soft term (loss = alpha * CE + (1 - alpha) * KL * T^2), predict is the student', async () => {
    manualSeed(3);
    const x = randn([64, 6]);
    const y = randint(0, 3, [64]);
    const teacher = new keras.Sequential([keras.Input({ shape: [6] }), new keras.layers.Dense(16, { activation: 'relu' }), new keras.layers.Dense(3)]);
    const student = new keras.Sequential([keras.Input({ shape: [6] }), new keras.layers.Dense(3)]);
    const distiller = new Distiller({ student, teacher });
    distiller.compile({ optimizer: new keras.optimizers.SGD({ learningRate: 0 }), studentLossFn: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }), alpha: 0.3, temperature: 2 });
    const teacherBefore = teacher.getWeights().map((w) => Array.from(w.dataSync()));
    const h = await distiller.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, shuffle: false });
    // learning rate 0: the reported loss is the loss at the initial weights, computed here with the nn function.
    const want = distillationLoss(student.apply(x) as Tensor, teacher.apply(x) as Tensor, y, { temperature: 2, alpha: 0.3 }).item();
    expect(h.history.loss![0]!).toBeCloseTo(want, 5);
    expect(teacher.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(teacherBefore);
    expectClose((await distiller.predict(x, { verbose: 0 })) as Tensor, student.apply(x) as Tensor, { atol: 1e-6 });
    // Memory stays flat: the native tensor count after the 3rd fit equals the count after the 6th.
    for (let i = 0; i < 3; i++) await distiller.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) await distiller.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    expect(memory().numTensors - before).toBe(0);
  });
});

describe('Keras pruneLowMagnitude (tfmot shape)', () => {
  const build = () => new keras.Sequential([keras.Input({ shape: [6] }), new keras.layers.Dense(16, { activation: 'relu' }), new keras.layers.Dense(3)]);

  it('global: the same masks as nn.utils.prune.globalUnstructured on the same weights; fit with the callback keeps them', async () => {
    manualSeed(4);
    const model = build();
    const kernels = model.weights.filter((w) => w.path.endsWith('kernel'));
    // The nn twin: Linear weights are the transposed kernels.
    const twins = kernels.map((k) => {
      const lin = new nn.Linear(k.shape[0]!, k.shape[1]!);
      lin.loadStateDict({ weight: k.transpose(0, 1), bias: lin.bias! });
      return lin;
    });
    prune.globalUnstructured(twins.map((l) => [l, 'weight'] as [nn.Module, string]), { pruningMethod: prune.L1Unstructured, amount: 0.7 });
    const pruning = pruneLowMagnitude(model, { targetSparsity: 0.7 });
    expect(pruning.paths).toEqual(kernels.map((k) => k.path));
    kernels.forEach((k, i) => expectClose(k.eq(0).float().transpose(0, 1), twins[i]!.weight.eq(0).float(), { atol: 0 }));
    const zerosBefore = kernels.map((k) => Array.from(k.dataSync(), (v) => v === 0));
    model.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 0.05 }), loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const x = randn([64, 6]);
    const y = randint(0, 3, [64]);
    const h = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [pruning.callback()] });
    expect(h.history.loss![4]!).toBeLessThan(h.history.loss![0]!);
    kernels.forEach((k, i) => Array.from(k.dataSync()).forEach((v, j) => zerosBefore[i]![j] && expect(Math.abs(v)).toBe(0)));
    expect(pruning.sparsity()).toBeGreaterThanOrEqual(0.7);
    const before = memory().numTensors;
    pruning.strip();
    expect(before - memory().numTensors).toBe(kernels.length); // the masks
  });

  it("scope 'layer' prunes each kernel to the target; bad input is a typed error", () => {
    manualSeed(5);
    const model = build();
    const pruning = pruneLowMagnitude(model, { targetSparsity: 0.5, scope: 'layer' });
    for (const k of model.weights.filter((w) => w.path.endsWith('kernel'))) expect(prune.sparsity(k)).toBeCloseTo(0.5, 6);
    pruning.strip();
    expect(() => pruneLowMagnitude(model, { targetSparsity: 1 })).toThrow(/targetSparsity must be a fraction in \[0, 1\)/);
    expect(() => pruneLowMagnitude(new keras.Sequential([new keras.layers.Dense(2)]), { targetSparsity: 0.5 })).toThrow(/no built Dense/);
  });
});
