/**
 * The fused recurrent path (issue 14): kernel counts that say the LSTM runs one
 * kernel per layer and direction (not one per step), flat native memory over a
 * training loop, and the no-grad path. Numbers against PyTorch are checked by
 * test/golden/nn_layers.test.ts.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { ShapeError, Tensor, countKernels, customKernelStatus, functional as CF, manualSeed, memory, noGrad, randn, scope, useCustomKernels } from '@duet/core';
import { nn } from '../index.js';

/**
 * The LSTM's two paths: TensorFlow's BlockLSTMV2 family (always there) and
 * Duet's DuetLSTMSequence kernels (native/ops/lstm.cc, where they are built);
 * lstm_custom.test.ts compares the two. Runs `fn` on each path with its fused
 * forward and backward kernel names.
 */
function eachLstmPath(fn: (fwd: string, bwd: string) => void): void {
  const paths: [boolean, string, string][] = [[false, 'BlockLSTMV2', 'BlockLSTMGradV2']];
  if (customKernelStatus().enabled) paths.push([true, 'DuetLSTMSequence', 'DuetLSTMSequenceGrad']);
  for (const [custom, fwd, bwd] of paths) {
    useCustomKernels(custom);
    try {
      fn(fwd, bwd);
    } finally {
      useCustomKernels(true);
    }
  }
}

describe('nn.LSTM on fused kernels', () => {
  it('runs one fused kernel per layer and direction forward and one backward, whatever the length (BlockLSTMV2 / BlockLSTMGradV2, or Duet\'s)', () => {
    manualSeed(0);
    const lstm = new nn.LSTM(6, 8, { numLayers: 2, bidirectional: true });
    eachLstmPath((fwdKernel, bwdKernel) => {
      for (const len of [3, 30]) {
        const x = randn([len, 4, 6], { requiresGrad: true });
        const f = countKernels(() => lstm.forward(x));
        const [out, [h, c]] = f.result;
        const b = countKernels(() => out.sum().add(h.sum()).add(c.sum()).backward());
        expect(f.byName[fwdKernel]).toBe(4);
        expect(b.byName[bwdKernel]).toBe(4); // small weights: the one-kernel backward on the stock path too
        expect(f.byName.MatMul ?? 0).toBe(0);
        expect(b.byName.MatMul ?? 0).toBe(0);
        // Independent of the length: at most 12 kernels per layer and direction forward, 16 backward (with the cat and state gradients).
        expect(f.kernels).toBeLessThanOrEqual(4 * 12);
        expect(b.kernels, JSON.stringify(b.byName)).toBeLessThanOrEqual(4 * 16);
        lstm.zeroGrad();
      }
    });
  });

  it('keeps the native tensor count flat over a training loop (forward, backward, step)', () => {
    manualSeed(1);
    const lstm = new nn.LSTM(5, 7, { numLayers: 2, batchFirst: true });
    const head = new nn.Linear(7, 3);
    const params = [...lstm.parameters(), ...head.parameters()];
    const x = randn([4, 9, 5]).keep();
    let hidden: [Tensor, Tensor] | null = null;
    const counts: number[] = [];
    for (let step = 0; step < 8; step++) {
      const [out, [h, c]] = lstm.forward(x, hidden === null ? null : [hidden[0].detach(), hidden[1].detach()]);
      hidden = [h, c];
      head.forward(out).square().mean().backward();
      noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!.mul(0.01));
          p.grad = null;
        }
      });
      counts.push(memory().numTensors);
    }
    // After the first steps' warm-up (constants, the start of training), every step ends with the same count.
    expect(new Set(counts.slice(3)).size, `native tensors per step: ${counts.join(', ')}`).toBe(1);
    x.dispose();
  });

  it('forward + backward inside scope() releases everything, for every option', () => {
    manualSeed(2);
    for (const opts of [{}, { bidirectional: true, bias: false }, { numLayers: 2, batchFirst: true }]) {
      const lstm = new nn.LSTM(3, 4, opts);
      const x = randn(opts.batchFirst ? [2, 5, 3] : [5, 2, 3]);
      const run = () =>
        scope(() => {
          const [out, [h, c]] = lstm.forward(x);
          out.sum().add(h.sum()).add(c.sum()).backward();
        });
      run();
      const before = memory().numTensors;
      run();
      expect(memory().numTensors).toBe(before);
      lstm.zeroGrad();
    }
  });

  it('gives the same numbers without recording the graph, with fewer kernels and no leak', () => {
    manualSeed(3);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const x = randn([6, 2, 3]);
    eachLstmPath((fwdKernel) => {
      scope(() => {
        const [a, [ha, ca]] = lstm.forward(x);
        const k = countKernels(() => noGrad(() => lstm.forward(x)));
        const [b, [hb, cb]] = k.result;
        expect(b.gradFn).toBeNull();
        for (const [p, q] of [[a, b], [ha, hb], [ca, cb]] as const) expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
        expect(k.byName[fwdKernel]).toBe(4);
      });
      const before = memory().numTensors;
      scope(() => void noGrad(() => lstm.forward(x)));
      expect(memory().numTensors).toBe(before);
    });
  });
});

describe('nn.GRU as one op per layer and direction', () => {
  it("launches one DuetGRUSequence per layer and direction forward and one DuetGRUSequenceGrad backward where Duet's kernels are built", () => {
    if (!customKernelStatus().enabled) return;
    manualSeed(5);
    const gru = new nn.GRU(6, 8, { numLayers: 2, bidirectional: true });
    const counts: number[] = [];
    for (const len of [3, 30]) {
      const x = randn([len, 4, 6], { requiresGrad: true });
      const f = countKernels(() => gru.forward(x, randn([4, 4, 8], { requiresGrad: true })));
      const [out, h] = f.result;
      const b = countKernels(() => out.sum().add(h.sum()).backward());
      expect([f.byName.DuetGRUSequence, b.byName.DuetGRUSequenceGrad, f.byName.MatMul ?? 0, b.byName.MatMul ?? 0]).toEqual([4, 4, 0, 0]);
      counts.push(f.kernels, b.kernels);
      gru.zeroGrad();
    }
    expect(counts.slice(2), 'kernel counts do not depend on the length').toEqual(counts.slice(0, 2));
  });

  it('launches 15 kernels per step forward (12 without grad) and 7 backward, plus a constant, on TensorFlow\'s kernels', () => {
    useCustomKernels(false);
    onTestFinished(() => useCustomKernels(true));
    manualSeed(5);
    const gru = new nn.GRU(6, 8, { numLayers: 2, bidirectional: true });
    for (const len of [3, 30]) {
      const x = randn([len, 4, 6], { requiresGrad: true });
      const f = countKernels(() => gru.forward(x, randn([4, 4, 8], { requiresGrad: true })));
      const [out, h] = f.result;
      const b = countKernels(() => out.sum().add(h.sum()).backward());
      expect(f.kernels, JSON.stringify(f.byName)).toBeLessThanOrEqual(4 * (15 * len + 16));
      expect(b.kernels, JSON.stringify(b.byName)).toBeLessThanOrEqual(4 * (7 * len + 24));
      expect(b.byName.AddN).toBe(4 * (len - 1)); // the three gradients reaching h_t, summed in one kernel
      const ng = countKernels(() => noGrad(() => gru.forward(x)));
      expect(ng.kernels, JSON.stringify(ng.byName)).toBeLessThanOrEqual(4 * (12 * len + 16));
      expect(f.byName.MatMul).toBe(4 * (len + 1)); // the input projection, then one recurrent MatMul per step
      gru.zeroGrad();
    }
  });

  it('runs a one-step sequence (forward and backward)', () => {
    const x = randn([1, 2, 3], { requiresGrad: true });
    const [out, h] = new nn.GRU(3, 4, { bidirectional: true }).forward(x);
    out.sum().add(h.sum()).backward();
    expect(x.grad!.shape).toEqual([1, 2, 3]);
  });

  it('keeps the native tensor count flat over a training loop, and releases everything inside scope()', () => {
    manualSeed(6);
    const gru = new nn.GRU(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([4, 9, 5]).keep();
    let hidden: Tensor | null = null;
    const counts: number[] = [];
    for (let step = 0; step < 8; step++) {
      const [out, h]: [Tensor, Tensor] = gru.forward(x, hidden === null ? null : hidden.detach());
      hidden = h;
      out.square().mean().backward();
      noGrad(() => {
        for (const p of gru.parameters()) {
          p.sub_(p.grad!.mul(0.01));
          p.grad = null;
        }
      });
      counts.push(memory().numTensors);
    }
    expect(new Set(counts.slice(3)).size, `native tensors per step: ${counts.join(', ')}`).toBe(1);
    const run = () => scope(() => void noGrad(() => gru.forward(x)));
    run();
    const before = memory().numTensors;
    run();
    expect(memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('nn.RNN as one op per layer and direction', () => {
  it('launches 3 kernels per step forward and 3 backward, plus a constant', () => {
    manualSeed(7);
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const rnn = new nn.RNN(6, 8, { numLayers: 2, bidirectional: true, nonlinearity });
      for (const len of [3, 30]) {
        const x = randn([len, 4, 6], { requiresGrad: true });
        const f = countKernels(() => rnn.forward(x, randn([4, 4, 8], { requiresGrad: true })));
        const [out, h] = f.result;
        const b = countKernels(() => out.sum().add(h.sum()).backward());
        expect(f.kernels, JSON.stringify(f.byName)).toBeLessThanOrEqual(4 * (3 * len + 12));
        expect(b.kernels, JSON.stringify(b.byName)).toBeLessThanOrEqual(4 * (3 * len + 20));
        expect(b.byName.MatMul).toBe(4 * (len + 3)); // one recurrent MatMul per step (h0 needs the first step's), dx, dW_ih, dW_hh
        expect(f.byName.MatMul).toBe(4 * (len + 1)); // the input projection, then one recurrent MatMul per step
        expect(b.byName[nonlinearity === 'tanh' ? 'TanhGrad' : 'ReluGrad']).toBe(4 * len);
        rnn.zeroGrad();
      }
    }
  });

  it('gives the same numbers without recording the graph, and releases everything', () => {
    manualSeed(8);
    const rnn = new nn.RNN(3, 4, { numLayers: 2, bidirectional: true, nonlinearity: 'relu' });
    const x = randn([6, 2, 3]);
    scope(() => {
      const [a, ha] = rnn.forward(x);
      const [b, hb] = noGrad(() => rnn.forward(x));
      expect(b.gradFn).toBeNull();
      for (const [p, q] of [[a, b], [ha, hb]] as const) expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
    });
    const before = memory().numTensors;
    scope(() => void noGrad(() => rnn.forward(x)));
    expect(memory().numTensors).toBe(before);
  });

  it('keeps the native tensor count flat over a training loop, and releases everything inside scope()', () => {
    manualSeed(9);
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const rnn = new nn.RNN(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true, nonlinearity });
      const x = randn([4, 9, 5]).keep();
      let hidden: Tensor | null = null;
      const counts: number[] = [];
      for (let step = 0; step < 8; step++) {
        const [out, h]: [Tensor, Tensor] = rnn.forward(x, hidden === null ? null : hidden.detach());
        hidden = h;
        out.square().mean().backward();
        noGrad(() => {
          for (const p of rnn.parameters()) {
            p.sub_(p.grad!.mul(0.01));
            p.grad = null;
          }
        });
        counts.push(memory().numTensors);
      }
      expect(new Set(counts.slice(3)).size, `native tensors per step: ${counts.join(', ')}`).toBe(1);
      // Gradients accumulate across the two runs (as in the LSTM test above); h0 is an input without requiresGrad.
      const h0 = randn([4, 4, 7]).keep();
      const run = () =>
        scope(() => {
          const [out, h] = rnn.forward(x, h0);
          out.sum().add(h.sum()).backward();
        });
      run();
      const before = memory().numTensors;
      run();
      expect(memory().numTensors).toBe(before);
      rnn.zeroGrad();
      for (const t of [x, h0]) t.dispose();
    }
  });
});

describe('functional.rnnLayer checks its arguments', () => {
  it('rejects wrong shapes and nonlinearities with errors naming what was expected', () => {
    const [wIh, wHh] = [randn([4, 3]), randn([4, 4])];
    expect(() => CF.rnnLayer(randn([5, 3]), wIh, wHh, null, null)).toThrow(ShapeError);
    expect(() => CF.rnnLayer(randn([5, 2, 4]), wIh, wHh, null, null)).toThrow(/weight_ih of shape \[4, 4\]/);
    expect(() => CF.rnnLayer(randn([5, 2, 3]), wIh, randn([4, 3]), null, null)).toThrow(/weight_hh of shape \[H, H\]/);
    expect(() => CF.rnnLayer(randn([5, 2, 3]), wIh, wHh, null, null, { h0: randn([3, 4]) })).toThrow(/h0 of shape \[2, 4\]/);
    expect(() => CF.rnnLayer(randn([5, 2, 3]), wIh, wHh, randn([4]), null)).toThrow(/both biases or neither/);
    expect(() => CF.rnnLayer(randn([0, 2, 3]), wIh, wHh, null, null)).toThrow(/at least one step/);
    expect(() => CF.rnnLayer(randn([5, 2, 3]), wIh, wHh, null, null, { nonlinearity: 'gelu' as 'relu' })).toThrow(/Select from 'tanh' or 'relu'/);
  });
});

describe('functional.lstmLayer backward: one BlockLSTMGradV2 or step by step, same gradients', () => {
  it.each([
    ['with biases and initial states', true, true, false, 6],
    ['reverse, no biases, no initial states', false, false, true, 6],
    ['one step', true, true, false, 1],
  ])('%s', (_name, withBias, withState, reverse, len) => {
    manualSeed(4);
    const [n, i, h] = [3, 5, 7];
    const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
    const args = { x: leaf([len, n, i]), wIh: leaf([4 * h, i]), wHh: leaf([4 * h, h]), bIh: leaf([4 * h]), bHh: leaf([4 * h]), h0: leaf([n, h]), c0: leaf([n, h]) };
    const up = [randn([len, n, h]), randn([1, n, h]), randn([1, n, h])];
    const grads = (backward: 'sequence' | 'steps') => {
      for (const t of Object.values(args)) t.grad = null;
      const k = countKernels(() => {
        const r = CF.lstmLayer(args.x, args.wIh, args.wHh, withBias ? args.bIh : null, withBias ? args.bHh : null, {
          h0: withState ? args.h0 : null, c0: withState ? args.c0 : null, reverse, backward,
        });
        r.output.mul(up[0]!).sum().add(r.hN.mul(up[1]!).sum()).add(r.cN.mul(up[2]!).sum()).backward();
      });
      expect(k.byName[backward === 'sequence' ? 'BlockLSTMGradV2' : 'LSTMBlockCellGrad']).toBe(backward === 'sequence' ? 1 : len);
      return Object.entries(args).map(([name, t]) => [name, t.grad === null ? null : Array.from(t.grad.dataSync())] as const);
    };
    const seq = grads('sequence');
    const steps = grads('steps');
    for (const [j, [name, g]] of seq.entries()) {
      const s = steps[j]![1];
      const used = name === 'x' || name.startsWith('w') || (withBias && name.startsWith('b')) || (withState && name.endsWith('0'));
      expect(g === null, `${name} has a gradient`).toBe(!used);
      if (g === null || s === null) continue;
      expect(s.length).toBe(g.length);
      for (let k = 0; k < g.length; k++) expect(Math.abs(s[k]! - g[k]!), `${name}[${k}]`).toBeLessThan(1e-5 + 1e-5 * Math.abs(g[k]!));
    }
  });

  it("'auto' runs Duet's kernels where built; else step by step for large weights (the LM bench's 200 x 200), in one kernel for small ones", () => {
    eachLstmPath((fwdKernel, bwdKernel) => {
      const custom = fwdKernel === 'DuetLSTMSequence';
      for (const [h, kernel] of [[8, custom ? bwdKernel : 'BlockLSTMGradV2'], [200, custom ? bwdKernel : 'LSTMBlockCellGrad']] as const) {
        const x = randn([4, 2, h]);
        const wIh = randn([4 * h, h], { requiresGrad: true });
        const k = scope(() => countKernels(() => CF.lstmLayer(x, wIh, randn([4 * h, h]), null, null).output.sum().backward()));
        expect(k.byName[kernel], `H = ${h}`).toBe(kernel === 'LSTMBlockCellGrad' ? 4 : 1); // one per step (4), or one for the sequence
      }
    });
  });
});

describe('functional.lstmLayer checks its arguments', () => {
  const w = () => [randn([16, 3]), randn([16, 4])] as const;
  it('rejects wrong shapes with ShapeError naming what was expected', () => {
    const [wIh, wHh] = w();
    expect(() => CF.lstmLayer(randn([5, 3]), wIh, wHh, null, null)).toThrow(ShapeError);
    expect(() => CF.lstmLayer(randn([5, 2, 4]), wIh, wHh, null, null)).toThrow(/weight_ih of shape \[16, 4\]/);
    expect(() => CF.lstmLayer(randn([5, 2, 3]), wIh, wHh, null, null, { h0: randn([3, 4]) })).toThrow(/h0 of shape \[2, 4\]/);
    expect(() => CF.lstmLayer(randn([5, 2, 3]), wIh, wHh, randn([16]), null)).toThrow(/both biases or neither/);
    expect(() => CF.lstmLayer(randn([0, 2, 3]), wIh, wHh, null, null)).toThrow(/at least one step/);
  });
  it('returns the final states as one [1, N, H] slot', () => {
    const [wIh, wHh] = w();
    const r = CF.lstmLayer(randn([5, 2, 3]), wIh, wHh, null, null, { reverse: true });
    expect([r.output.shape, r.hN.shape, r.cN.shape]).toEqual([[5, 2, 4], [1, 2, 4], [1, 2, 4]]);
    // The reverse direction ends at step 0: hN is the output's first row.
    expect(Array.from(r.hN.dataSync())).toEqual(Array.from(r.output.narrow(0, 0, 1).dataSync()));
  });
});
