/**
 * nn.LSTM and nn.GRU on Duet's own kernels (core's native/ops/lstm.cc and
 * gru.cc: DuetLSTMSequence / DuetGRUSequence forward, their Grad ops backward)
 * against the paths on TensorFlow's kernels (BlockLSTMV2; the GRU's
 * hand-written step loop), which stay the fallback where Duet's kernels are not
 * built. The golden tests (test/golden/nn_layers.test.ts, keras_rnn.test.ts)
 * check against PyTorch and Keras with whichever path is on; here the two
 * paths run on the same inputs and must agree on every output and gradient.
 *
 * Tolerance: the paths sum the same products in different orders (the GRU's
 * stock path uses TensorFlow's MatMul, Duet's its own GEMM). BlockLSTMV2
 * computes each gate as one dot product of length I + H ([x_t, h_{t-1}] W),
 * DuetLSTMSequence as x_t W_ih^T (all steps in one product) plus h_{t-1}
 * W_hh^T, each blocked differently; the weight gradients add T N terms per
 * entry in different groupings. Each such float32 sum differs by a few ulps
 * (2^-24 relative per addition), and the differences travel through the
 * recurrence. The bound is 1e-5 x (1 + the tensor's largest magnitude):
 * the bound rnn.test.ts uses between TensorFlow's own two LSTM backwards (1e-5
 * absolute + relative), taken relative to the tensor's scale since a sum's
 * rounding follows the size of its terms, not of its result. Measured here:
 * at most ~0.1 of it (the LM case's weight gradients, sums of 700 terms).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, countKernels, customKernelStatus, functional as CF, manualSeed, memory, noGrad, randint, randn, scope, useCustomKernels } from '@duet/core';
import { nn } from '../index.js';

const enabled = customKernelStatus().enabled;

interface Config {
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  bias?: boolean;
}

/** Outputs and every gradient of one forward + backward, on the path chosen. */
function run(kind: 'LSTM' | 'GRU', custom: boolean, cfg: Config, withState: boolean, [len, n, i, h]: number[], seed: number): Map<string, number[]> {
  useCustomKernels(custom);
  try {
    manualSeed(seed);
    const dirs = cfg.bidirectional ? 2 : 1;
    const layers = cfg.numLayers ?? 1;
    const x = randn(cfg.batchFirst ? [n!, len!, i!] : [len!, n!, i!], { requiresGrad: true });
    const h0 = randn([layers * dirs, n!, h!], { requiresGrad: true });
    const c0 = randn([layers * dirs, n!, h!], { requiresGrad: true });
    let module: nn.Module;
    let results: [string, Tensor][];
    if (kind === 'LSTM') {
      const lstm = new nn.LSTM(i!, h!, cfg);
      const [out, [hN, cN]] = lstm.forward(x, withState ? [h0, c0] : null);
      [module, results] = [lstm, [['output', out], ['hN', hN], ['cN', cN]]];
    } else {
      const gru = new nn.GRU(i!, h!, cfg);
      const [out, hN] = gru.forward(x, withState ? h0 : null);
      [module, results] = [gru, [['output', out], ['hN', hN]]];
    }
    // Random upstream gradients, so every element of every result matters.
    results.map(([, t]) => t.mul(randn([...t.shape])).sum()).reduce((a, b) => a.add(b)).backward();
    const got = new Map<string, number[]>(results.map(([k, t]) => [k, Array.from(t.dataSync())]));
    got.set('dx', Array.from(x.grad!.dataSync()));
    if (withState) {
      got.set('dh0', Array.from(h0.grad!.dataSync()));
      if (kind === 'LSTM') got.set('dc0', Array.from(c0.grad!.dataSync()));
    }
    for (const [name, p] of module.namedParameters()) got.set(`d${name}`, Array.from(p.grad!.dataSync()));
    return got;
  } finally {
    useCustomKernels(true);
  }
}

const CASES = [
  ['one layer, h0 and c0 given', {}, true, [6, 3, 5, 7]],
  ['one layer, no states, no bias', { bias: false }, false, [6, 3, 5, 7]],
  ['two layers, bidirectional, states given', { numLayers: 2, bidirectional: true }, true, [9, 4, 6, 8]],
  ['two layers, bidirectional, batchFirst, no states', { numLayers: 2, bidirectional: true, batchFirst: true }, false, [5, 3, 4, 5]],
  // Sizes off the GEMM's blocks (16 columns, 4 rows) and one step.
  ['H 33, N 5, one step', {}, true, [1, 5, 17, 33]],
  ['H 40, N 7, 12 steps, bidirectional', { bidirectional: true }, true, [12, 7, 24, 40]],
  // The language-model bench's shapes (the AVX-512 GEMM splits its large products over the pool here).
  ['the LM bench: 2 x 200, bptt 35, batch 20', { numLayers: 2 }, true, [35, 20, 200, 200]],
] as [string, Config, boolean, number[]][];

describe.runIf(enabled)("nn.LSTM and nn.GRU on Duet's kernels agree with the paths on TensorFlow's kernels", () => {
  it.each((['LSTM', 'GRU'] as const).flatMap((kind) => CASES.map(([name, ...rest]) => [kind, name, ...rest] as const)))('%s: %s', (kind, _name, cfg, withState, dims) => {
    const custom = run(kind, true, cfg, withState, dims, 11);
    const stock = run(kind, false, cfg, withState, dims, 11);
    expect([...custom.keys()]).toEqual([...stock.keys()]);
    for (const [name, a] of custom) {
      const b = stock.get(name)!;
      expect(a.length, name).toBe(b.length);
      // Relative to the tensor's largest entry: a sum's rounding scales with its terms, not with its (possibly cancelled) result.
      const tol = 1e-5 * (1 + b.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      let worst = 0;
      for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
      expect(worst, `${name}: largest difference ${worst}, tolerance ${tol}`).toBeLessThan(tol);
    }
  });
});

describe.runIf(enabled)("nn.LSTM on Duet's kernels", () => {
  it('launches one DuetLSTMSequence per layer and direction forward and one DuetLSTMSequenceGrad backward, whatever the length', () => {
    manualSeed(7);
    const lstm = new nn.LSTM(6, 8, { numLayers: 2, bidirectional: true });
    const counts: number[] = [];
    for (const len of [3, 30]) {
      const x = randn([len, 4, 6], { requiresGrad: true });
      const f = countKernels(() => lstm.forward(x));
      const [out, [h, c]] = f.result;
      const b = countKernels(() => out.sum().add(h.sum()).add(c.sum()).backward());
      expect(f.byName.DuetLSTMSequence).toBe(4);
      expect(b.byName.DuetLSTMSequenceGrad).toBe(4);
      for (const k of ['BlockLSTMV2', 'BlockLSTMGradV2', 'LSTMBlockCellGrad', 'MatMul']) expect((f.byName[k] ?? 0) + (b.byName[k] ?? 0), k).toBe(0);
      counts.push(f.kernels, b.kernels);
      lstm.zeroGrad();
    }
    expect(counts.slice(2), 'kernel counts do not depend on the length').toEqual(counts.slice(0, 2));
  });

  it("runs the language model's training step in a length-independent number of kernels", () => {
    manualSeed(8);
    const emb = new nn.Embedding(50, 16);
    const lstm = new nn.LSTM(16, 16, { numLayers: 2 });
    const dec = new nn.Linear(16, 50);
    const lossFn = new nn.CrossEntropyLoss();
    const params = [...emb.parameters(), ...lstm.parameters(), ...dec.parameters()];
    const step = (len: number) =>
      scope(() => {
        for (const p of params) p.grad = null;
        return countKernels(() => {
          const x = randint(0, 50, [len, 3]);
          const [out] = lstm.forward(emb.forward(x));
          lossFn.forward(dec.forward(out).reshape([-1, 50]), randint(0, 50, [len * 3])).backward();
        });
      });
    step(5); // makes the cached constants (zero states, ...)
    const [short, long] = [step(5), step(40)];
    expect(long.byName.DuetLSTMSequence).toBe(2);
    expect(long.byName.DuetLSTMSequenceGrad).toBe(2);
    expect(long.kernels, JSON.stringify(long.byName)).toBe(short.kernels);
    // Per layer 4 forward (the kernel, 3 Slices) and 2 backward (the output's ConcatV2, the kernel); the rest (~19) is the embedding, decoder, loss and stacking the states.
    expect(long.kernels, JSON.stringify(long.byName)).toBeLessThanOrEqual(32);
  });

  it('keeps the native tensor count flat over a training loop, and releases everything inside scope()', () => {
    manualSeed(9);
    const lstm = new nn.LSTM(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([4, 9, 5]).keep();
    let hidden: [Tensor, Tensor] | null = null;
    const counts: number[] = [];
    for (let s = 0; s < 8; s++) {
      const [out, [h, c]] = lstm.forward(x, hidden === null ? null : [hidden[0].detach(), hidden[1].detach()]);
      hidden = [h, c];
      out.square().mean().backward();
      noGrad(() => {
        for (const p of lstm.parameters()) {
          p.sub_(p.grad!.mul(0.01));
          p.grad = null;
        }
      });
      counts.push(memory().numTensors);
    }
    expect(new Set(counts.slice(3)).size, `native tensors per step: ${counts.join(', ')}`).toBe(1);
    for (const grad of [true, false]) {
      const once = () =>
        scope(() => {
          if (!grad) return void noGrad(() => lstm.forward(x));
          const [out, [h, c]] = lstm.forward(x);
          out.sum().add(h.sum()).add(c.sum()).backward();
        });
      once();
      const before = memory().numTensors;
      once();
      expect(memory().numTensors, grad ? 'forward + backward' : 'no grad').toBe(before);
    }
    lstm.zeroGrad();
    x.dispose();
  });

  it('gives the same numbers with and without recording the graph', () => {
    manualSeed(10);
    const [wIh, wHh, b] = [randn([32, 5], { requiresGrad: true }), randn([32, 8], { requiresGrad: true }), randn([32], { requiresGrad: true })];
    const x = randn([6, 3, 5]);
    for (const reverse of [false, true]) {
      const a = CF.lstmLayer(x, wIh, wHh, b, b, { reverse });
      const k = countKernels(() => noGrad(() => CF.lstmLayer(x, wIh, wHh, b, b, { reverse })));
      expect(k.byName.DuetLSTMSequence).toBe(1);
      for (const key of ['output', 'hN', 'cN'] as const) expect(Array.from(k.result[key].dataSync())).toEqual(Array.from(a[key].dataSync()));
      // The reverse direction ends at step 0: hN is the output's first row.
      expect(Array.from(a.hN.dataSync())).toEqual(Array.from(a.output.narrow(0, reverse ? 0 : 5, 1).dataSync()));
    }
  });
});
