/**
 * Recurrent, wrapper and attention layers: Keras-style validation, config
 * round trips through the registry, output shapes (eager and symbolic),
 * masks, the fused kernels, dropout, Sequential / functional models that
 * fit, and no leaked native tensors. Numbers against Keras are in
 * test/golden/keras_rnn.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, countKernels, customKernelStatus, memory, noGrad, randint, randn, scope, tensor } from '@duet/core';
import * as keras from '../../index.js';
import { KerasValueError } from '../../errors.js';

// The LSTM's fused kernels: Duet's own where they are built (core's native/ops/lstm.cc), else TensorFlow's BlockLSTMV2 pair.
const [LSTM_FWD, LSTM_BWD] = customKernelStatus().enabled ? ['DuetLSTMSequence', 'DuetLSTMSequenceGrad'] : ['BlockLSTMV2', 'BlockLSTMGradV2'];

const L = keras.layers;

function expectNoLeaks(fn: () => void): void {
  scope(fn);
  const before = memory().numTensors;
  scope(fn);
  expect(memory().numTensors - before, 'native tensors leaked').toBe(0);
}

describe('constructor validation (Keras messages)', () => {
  it('units must be a positive integer', () => {
    for (const Cls of [L.SimpleRNN, L.LSTM, L.GRU]) {
      expect(() => new Cls(0)).toThrow(KerasValueError);
      expect(() => new Cls(-1)).toThrow('Received an invalid value for argument `units`, expected a positive integer, got -1.');
      expect(() => new Cls(2.5)).toThrow('expected a positive integer');
    }
  });
  it('stateful is refused with a way out; flags must be booleans', () => {
    expect(() => new L.LSTM(3, { stateful: true })).toThrow('`stateful=True` is not supported');
    expect(() => new L.GRU(3, { returnSequences: 'yes' as unknown as boolean })).toThrow('Expected `return_sequences` to be a boolean');
    expect(() => new L.GRU(3, { resetAfter: 1 as unknown as boolean })).toThrow('reset_after');
  });
  it('dropout is clamped to [0, 1] as Keras does, non-numbers refused', () => {
    expect(new L.LSTM(2, { dropout: 1.5, recurrentDropout: -1 }).dropout).toBe(1);
    expect(new L.LSTM(2, { recurrentDropout: -1 }).recurrentDropout).toBe(0);
    expect(() => new L.LSTM(2, { dropout: 'x' as unknown as number })).toThrow('Expected `dropout` to be a float');
  });
  it('Bidirectional, TimeDistributed, MultiHeadAttention', () => {
    expect(() => new L.Bidirectional(new L.LSTM(2), { mergeMode: 'max' as unknown as 'sum' })).toThrow('Invalid merge mode. Received: max.');
    expect(() => new L.Bidirectional(new L.Dense(2) as unknown as keras.layers.LSTM)).toThrow('Bidirectional wraps a recurrent layer');
    expect(() => new L.Bidirectional(new L.LSTM(2), { backwardLayer: new L.LSTM(2) })).toThrow('should have different `go_backwards` value');
    expect(() => new L.Bidirectional(new L.LSTM(2), { backwardLayer: new L.LSTM(2, { goBackwards: true, returnSequences: true }) })).toThrow('same value for attribute "returnSequences"');
    expect(() => new L.TimeDistributed(3 as unknown as keras.Layer)).toThrow('Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance');
    expect(() => new L.MultiHeadAttention(0, 4)).toThrow('Received an invalid value for argument `num_heads`, expected a positive integer. Received: num_heads=0');
    expect(() => new L.MultiHeadAttention(2, 4, { valueDim: -2 })).toThrow('value_dim');
    expect(() => new L.MultiHeadAttention(2, 4, { dropout: 2 })).toThrow('dropout');
  });
  it('call-time checks: rank, initial state count and shape, mask shape', () => {
    const lstm = new L.LSTM(3);
    expect(() => lstm.apply(randn([2, 4]))).toThrow('expects 3D inputs');
    expect(() => lstm.apply(randn([2, 4, 5]), { initialState: [randn([2, 3])] })).toThrow('not compatible with `cell.state_size`');
    expect(() => lstm.apply(randn([2, 4, 5]), { initialState: [randn([2, 4]), randn([2, 3])] })).toThrow('must have shape [2, 3]');
    expect(() => lstm.apply(randn([2, 4, 5]), { mask: tensor([[true, false]]) })).toThrow('the mask must have shape [2, 4]');
    expect(() => new L.MultiHeadAttention(2, 4).apply(randn([2, 3, 4]))).toThrow('[query, value]');
  });
});

describe('config round trips (registered for deserialization)', () => {
  const cases: [string, () => keras.Layer, number[]][] = [
    ['SimpleRNN', () => new L.SimpleRNN(3, { activation: 'relu', returnSequences: true, goBackwards: true, dropout: 0.1 }), [2, 4, 5]],
    ['LSTM', () => new L.LSTM(3, { recurrentActivation: 'hard_sigmoid', unitForgetBias: false, returnState: true, recurrentInitializer: 'glorot_uniform' }), [2, 4, 5]],
    ['GRU', () => new L.GRU(3, { resetAfter: false, useBias: false, kernelRegularizer: 'l2' }), [2, 4, 5]],
    ['Bidirectional', () => new L.Bidirectional(new L.GRU(3, { returnSequences: true }), { mergeMode: 'ave' }), [2, 4, 5]],
    ['TimeDistributed', () => new L.TimeDistributed(new L.Dense(4, { activation: 'tanh' })), [2, 4, 5]],
    ['MultiHeadAttention', () => new L.MultiHeadAttention(2, 3, { valueDim: 4, outputShape: 7, useBias: false }), [2, 4, 5]],
  ];
  for (const [name, make, shape] of cases) {
    it(name, () => {
      const a = make();
      const s = keras.serialize('layer', a);
      expect(s.className).toBe(name);
      const b = keras.deserialize<keras.Layer>('layer', JSON.parse(JSON.stringify(s)));
      expect(b.constructor).toBe(a.constructor);
      const { name: _n1, ...ca } = a.getConfig();
      const { name: _n2, ...cb } = b.getConfig();
      expect(JSON.parse(JSON.stringify(cb))).toEqual(JSON.parse(JSON.stringify(ca)));
      const x = randn(shape);
      const args = name === 'MultiHeadAttention' ? [x, x] : x;
      scope(() => {
        const ya = a.applyMulti(args);
        b.applyMulti(args);
        b.setWeights(a.getWeights());
        const yb = b.applyMulti(args);
        ya.forEach((t, i) => expect(yb[i]!.sub(t).abs().max().item()).toBeLessThan(1e-6));
      });
    });
  }
  it('Keras defaults', () => {
    const c = new L.LSTM(4).getConfig();
    expect(c).toMatchObject({ units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true, unitForgetBias: true, dropout: 0, recurrentDropout: 0, returnSequences: false, returnState: false, goBackwards: false, stateful: false });
    expect(c.recurrentInitializer.className).toBe('Orthogonal');
    expect(c.kernelInitializer.className).toBe('GlorotUniform');
    expect(new L.GRU(4).getConfig().resetAfter).toBe(true);
    expect(new L.Bidirectional(new L.LSTM(2)).getConfig().mergeMode).toBe('concat');
  });
});

describe('weights in Keras layout and order', () => {
  it('shapes, names, unit forget bias, orthogonal recurrent kernel', () => {
    const lstm = new L.LSTM(3);
    lstm.apply(randn([2, 4, 5]));
    expect(lstm.weights.map((w) => [w.name, w.shape])).toEqual([['kernel', [5, 12]], ['recurrent_kernel', [3, 12]], ['bias', [12]]]);
    expect(Array.from(lstm.bias!.toArray() as number[])).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const u = lstm.recurrentKernel; // [3, 12]: rows orthonormal
    const g = noGrad(() => u.matmul(u.t()));
    expect(g.sub(tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]])).abs().max().item()).toBeLessThan(1e-5);
    const gru = new L.GRU(3);
    gru.apply(randn([2, 4, 5]));
    expect(gru.weights.map((w) => w.shape)).toEqual([[5, 9], [3, 9], [2, 9]]);
    expect(new L.GRU(3, { resetAfter: false }).computeOutputShape([null, 4, 5])).toEqual([null, 3]);
    const bi = new L.Bidirectional(new L.SimpleRNN(2, { name: 'rnn' }));
    bi.apply(randn([2, 4, 5]));
    expect(bi.weights.map((w) => w.path)).toEqual([
      'forward_rnn/kernel', 'forward_rnn/recurrent_kernel', 'forward_rnn/bias',
      'backward_rnn/kernel', 'backward_rnn/recurrent_kernel', 'backward_rnn/bias',
    ]);
    const mha = new L.MultiHeadAttention(2, 3, { valueDim: 4 });
    mha.apply([randn([2, 4, 6]), randn([2, 5, 7])]);
    expect(mha.weights.map((w) => w.shape)).toEqual([[6, 2, 3], [2, 3], [7, 2, 3], [2, 3], [7, 2, 4], [2, 4], [2, 4, 6], [6]]);
  });
});

describe('output shapes, eager and symbolic', () => {
  it('returnSequences / returnState / Bidirectional merge modes / TimeDistributed / attention scores', () => {
    const x = randn([2, 4, 5]);
    const inp = keras.Input({ shape: [4, 5] });
    const check = (l: keras.Layer, expected: (number | null)[][], args: unknown = x, sym: unknown = inp) => {
      const eager = l.applyMulti(args as Tensor).map((t) => t.shape);
      expect(eager).toEqual(expected.map((s) => s.map((d) => d ?? 2)));
      const symbolic = l.applyMulti(sym as keras.KerasTensor).map((t) => t.shape);
      expect(symbolic).toEqual(expected);
    };
    check(new L.LSTM(3, { returnSequences: true, returnState: true }), [[null, 4, 3], [null, 3], [null, 3]]);
    check(new L.GRU(3, { returnState: true }), [[null, 3], [null, 3]]);
    check(new L.Bidirectional(new L.LSTM(3, { returnSequences: true })), [[null, 4, 6]]);
    check(new L.Bidirectional(new L.LSTM(3), { mergeMode: null }), [[null, 3], [null, 3]]);
    check(new L.Bidirectional(new L.GRU(3, { returnState: true }), { mergeMode: 'mul' }), [[null, 3], [null, 3], [null, 3]]);
    check(new L.TimeDistributed(new L.Dense(7)), [[null, 4, 7]]);
    const v = randn([2, 6, 3]);
    const vin = keras.Input({ shape: [6, 3] });
    const mha = new L.MultiHeadAttention(2, 4, { outputShape: 8 });
    expect(mha.applyMulti([x, v], { returnAttentionScores: true }).map((t) => t.shape)).toEqual([[2, 4, 8], [2, 2, 4, 6]]);
    expect(mha.applyMulti([inp, vin], { returnAttentionScores: true }).map((t) => t.shape)).toEqual([[null, 4, 8], [null, 2, 4, 6]]);
  });
});

describe('masks', () => {
  const ids = tensor([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], { dtype: 'int32' });
  it('Embedding(maskZero) -> LSTM: a padded row ends with the state of its last real step', () => {
    const emb = new L.Embedding(10, 4, { maskZero: true });
    for (const rnn of [new L.LSTM(3), new L.GRU(3), new L.SimpleRNN(3)]) {
      scope(() => {
        const full = rnn.apply(emb.apply(ids)) as Tensor;
        const prefix = rnn.apply(emb.apply(ids.narrow(0, 0, 1).narrow(1, 0, 3))) as Tensor;
        expect(full.narrow(0, 0, 1).sub(prefix).abs().max().item()).toBeLessThan(1e-6);
      });
    }
  });
  it('the mask reaches the outputs that keep the time axis, and stops where Keras stops it', () => {
    const emb = new L.Embedding(10, 4, { maskZero: true });
    scope(() => {
      const e = emb.apply(ids);
      const seq = new L.LSTM(3, { returnSequences: true }).applyMulti(e);
      expect(L.getKerasMask(seq[0]!)!.toArray()).toEqual([[true, true, true, false, false], [true, true, true, true, true]]);
      const [last, h, c] = new L.LSTM(3, { returnState: true }).applyMulti(e);
      expect([last, h, c].map((t) => L.getKerasMask(t!))).toEqual([null, null, null]);
      expect(L.getKerasMask(new L.Bidirectional(new L.GRU(2, { returnSequences: true })).apply(e) as Tensor)).not.toBeNull();
      expect(L.getKerasMask(new L.TimeDistributed(new L.Dense(2)).apply(e) as Tensor)).not.toBeNull();
      expect(L.getKerasMask(new L.MultiHeadAttention(1, 2).apply([e, e]) as Tensor)).not.toBeNull();
    });
  });
  it('LSTM and GRU run one fused op without a mask or with a right-padded one; other masks step by step', () => {
    const lstm = new L.LSTM(4, { returnSequences: true });
    const x = randn([3, 6, 5], { requiresGrad: true });
    lstm.apply(x);
    const k = countKernels(() => scope(() => (lstm.apply(x) as Tensor).sum().backward()));
    expect(k.byName[LSTM_FWD]).toBe(1);
    expect(k.byName[LSTM_BWD]).toBe(1);
    const right = tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]]).bool();
    const kr = countKernels(() => scope(() => (lstm.apply(x, { mask: right }) as Tensor).sum().backward()));
    expect(kr.byName[LSTM_FWD]).toBe(1);
    const bi = new L.Bidirectional(new L.LSTM(4, { returnSequences: true }));
    bi.apply(x, { mask: right });
    const kb = countKernels(() => scope(() => (bi.apply(x, { mask: right }) as Tensor).sum().backward()));
    expect(kb.byName[LSTM_FWD]).toBe(2); // the backward direction too (goBackwards over right padding)
    const mask = tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 0, 1]]).bool();
    const km = countKernels(() => scope(() => (lstm.apply(x, { mask }) as Tensor).sum().backward()));
    expect(km.byName[LSTM_FWD]).toBeUndefined();
    const gru = new L.GRU(4);
    gru.apply(x);
    const kg = countKernels(() => scope(() => (gru.apply(x) as Tensor).sum().backward()));
    const kgm = countKernels(() => scope(() => (gru.apply(x, { mask }) as Tensor).sum().backward()));
    expect(kg.kernels).toBeLessThan(kgm.kernels);
    x.grad?.dispose();
  });
  it('a left-padded mask (pad_sequences padding="pre") runs fused too, with the step loop\'s values and gradients', () => {
    const x = randn([4, 6, 5], { requiresGrad: true });
    // Left padding, one full row and one empty row.
    const left = tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]]).bool();
    const tanhFn = (v: Tensor) => v.tanh(); // equal to 'tanh', but not Keras's tanh: forces the step-by-step loop
    const variants: [string, (o: keras.layers.LSTMOptions) => keras.Layer][] = [
      ['LSTM sequences', (o) => new L.LSTM(4, { returnSequences: true, ...o })],
      ['LSTM last', (o) => new L.LSTM(4, o)],
      ['LSTM zero outputs', (o) => new L.LSTM(4, { returnSequences: true, zeroOutputForMask: true, ...o })],
      ['GRU sequences + state', (o) => new L.GRU(4, { returnSequences: true, returnState: true, ...o })],
      ['GRU last', (o) => new L.GRU(4, o)],
    ];
    const close = (a: Tensor, b: Tensor, what: string) => expect(a.sub(b).abs().max().item(), what).toBeLessThan(1e-5);
    for (const [name, make] of variants) {
      const fused = make({});
      const ref = make({ activation: tanhFn });
      fused.applyMulti(x, { mask: left });
      ref.applyMulti(x, { mask: left });
      ref.setWeights(fused.getWeights());
      const run = (l: keras.Layer) => {
        const ys = l.applyMulti(x, { mask: left });
        ys.map((y) => y.mul(y.add(1)).sum()).reduce((a, b) => a.add(b)).backward();
        const gs = [x, ...l.trainableWeights].map((w) => {
          const g = w.grad!;
          w.grad = null;
          return g;
        });
        return { ys, gs };
      };
      const k = countKernels(() => scope(() => run(fused).gs.forEach((g) => g.dispose())));
      const kref = countKernels(() => scope(() => run(ref).gs.forEach((g) => g.dispose())));
      if (name.startsWith('LSTM')) expect(k.byName[LSTM_FWD], name).toBe(1);
      expect(kref.byName[LSTM_FWD], name).toBeUndefined();
      expect(k.kernels, name).toBeLessThan(kref.kernels);
      scope(() => {
        const a = run(fused);
        const b = run(ref);
        a.ys.forEach((y, i) => close(y, b.ys[i]!, `${name} output ${i}`));
        a.gs.forEach((g, i) => close(g, b.gs[i]!, `${name} gradient ${i}`));
        [...a.gs, ...b.gs].forEach((g) => g.dispose());
      });
    }
    const leak = new L.LSTM(3, { returnSequences: true });
    const step = () => {
      (leak.apply(x, { mask: left, training: true }) as Tensor).sum().backward();
      for (const t of [x, ...leak.weights]) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    step();
    expectNoLeaks(step);
  });
});

describe('dropout', () => {
  it('only in training; one input mask for all steps', () => {
    const x = randn([4, 5, 6]);
    for (const l of [new L.LSTM(3, { dropout: 0.5, recurrentDropout: 0.5 }), new L.GRU(3, { dropout: 0.5 }), new L.SimpleRNN(3, { recurrentDropout: 0.5 })]) {
      scope(() => {
        const a = l.apply(x) as Tensor;
        const b = l.apply(x) as Tensor;
        expect(a.sub(b).abs().max().item()).toBe(0);
        const t = l.apply(x, { training: true }) as Tensor;
        expect(t.sub(a).abs().max().item()).toBeGreaterThan(0);
      });
    }
  });
});

describe('no leaked native tensors (forward + backward, training mode)', () => {
  const x = randn([3, 5, 4], { requiresGrad: true });
  const mask = tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]]).bool();
  const layers: [string, () => keras.Layer, (l: keras.Layer) => Tensor[]][] = [
    ['SimpleRNN', () => new L.SimpleRNN(3, { returnSequences: true, dropout: 0.2 }), (l) => l.applyMulti(x, { training: true, mask })],
    ['LSTM fused', () => new L.LSTM(3, { returnState: true, dropout: 0.2 }), (l) => l.applyMulti(x, { training: true })],
    ['LSTM masked + recurrent dropout', () => new L.LSTM(3, { returnState: true, recurrentDropout: 0.2 }), (l) => l.applyMulti(x, { training: true, mask })],
    ['GRU fused', () => new L.GRU(3, { returnSequences: true, goBackwards: true }), (l) => l.applyMulti(x, { training: true })],
    ['GRU reset before, masked', () => new L.GRU(3, { resetAfter: false }), (l) => l.applyMulti(x, { training: true, mask })],
    ['Bidirectional', () => new L.Bidirectional(new L.LSTM(3, { returnSequences: true, returnState: true })), (l) => l.applyMulti(x, { training: true })],
    ['TimeDistributed', () => new L.TimeDistributed(new L.Dense(2)), (l) => l.applyMulti(x, { training: true })],
    ['MultiHeadAttention', () => new L.MultiHeadAttention(2, 3, { dropout: 0.3 }), (l) => l.applyMulti([x, x], { training: true, useCausalMask: true, returnAttentionScores: true })],
    ['Embedding', () => new L.Embedding(9, 4, { maskZero: true }), (l) => l.applyMulti(randint(0, 9, [3, 5], { dtype: 'int32' }))],
  ];
  for (const [name, make, run] of layers) {
    it(name, () => {
      const l = make();
      const step = () => {
        const ys = run(l);
        ys.map((y) => y.sum()).reduce((a, b) => a.add(b)).backward();
        for (const t of [x, ...l.weights]) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      step();
      expectNoLeaks(step);
    });
  }
});

describe('models', () => {
  function data(n: number) {
    const x = randint(1, 20, [n, 8], { dtype: 'int32' });
    // right padding: row i keeps 2 + i % 6 ids
    const keep = tensor(Array.from({ length: n }, (_, i) => Array.from({ length: 8 }, (_, t) => (t < 2 + (i % 6) ? 1 : 0))), { dtype: 'int32' });
    const y = randint(0, 2, [n], { dtype: 'int32' });
    return { x: x.mul(keep).keep(), y: y.keep() };
  }
  it('Sequential text model (Embedding(maskZero) -> LSTM -> Dense) fits with flat memory', async () => {
    const model = new keras.Sequential([
      keras.Input({ shape: [8], dtype: 'int32' }),
      new L.Embedding(20, 8, { maskZero: true }),
      new L.LSTM(16),
      new L.Dense(2, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const { x, y } = data(64);
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = memory().numTensors;
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    expect(memory().numTensors).toBe(before);
    expect(h.history.loss!.length).toBe(3);
    expect(h.history.loss!.every(Number.isFinite)).toBe(true);
    const p = (await model.predict(x, { verbose: 0 })) as Tensor;
    expect(p.shape).toEqual([64, 2]);
    p.dispose();
  });
  it('Sequential with the step-by-step paths (SimpleRNN, GRU resetAfter=false, masked) fits with flat memory and learns', async () => {
    const model = new keras.Sequential([
      keras.Input({ shape: [8], dtype: 'int32' }),
      new L.Embedding(20, 8, { maskZero: true }),
      new L.SimpleRNN(8, { returnSequences: true }),
      new L.GRU(8, { resetAfter: false }),
      new L.Dense(2, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
    const { x, y } = data(32);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    const before = memory().numTensors;
    const h = await model.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0, shuffle: false });
    expect(memory().numTensors).toBe(before);
    const loss = h.history.loss!;
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]!);
  });
  it('functional: Bidirectional GRU + TimeDistributed + MultiHeadAttention + LSTM with states as inputs, trains', async () => {
    const inp = keras.Input({ shape: [8], dtype: 'int32' });
    const e = new L.Embedding(20, 8, { maskZero: true }).apply(inp);
    const s = new L.Bidirectional(new L.GRU(4, { returnSequences: true })).apply(e);
    const t = new L.TimeDistributed(new L.Dense(8, { activation: 'relu' })).apply(s);
    const a = new L.MultiHeadAttention(2, 4).apply([t, t]);
    const [, h, c] = new L.LSTM(6, { returnState: true }).applyMulti(a);
    const last = new L.LSTM(6).apply([a, h!, c!]);
    const model = new keras.Model({ inputs: inp, outputs: new L.Dense(2, { activation: 'softmax' }).apply(last) });
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const { x, y } = data(32);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const before = memory().numTensors;
    const hist = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(memory().numTensors).toBe(before);
    expect(hist.history.loss!.every(Number.isFinite)).toBe(true);
  });
});
