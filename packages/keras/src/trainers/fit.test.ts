import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, randn, tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import * as keras from '../index.js';

const { Dense } = keras.layers;

function classifier(inputs = 6): keras.Sequential {
  const m = new keras.Sequential([keras.Input({ shape: [inputs] }), new Dense(8, { activation: 'relu' }), new Dense(3, { activation: 'softmax' })]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}
function data(n = 48, d = 6): [Tensor, Tensor] {
  manualSeed(3);
  const x = randn([n, d]);
  const y = tensor(Array.from({ length: n }, (_, i) => (i * 7) % 3), { dtype: 'int32' });
  return [x, y];
}

describe('fit / evaluate / predict: data', () => {
  it('accepts nested arrays, and resolves to a History with Keras keys', async () => {
    const m = classifier(2);
    const x = [[0, 1], [1, 0], [1, 1], [0, 0]];
    const h = await m.fit(x, [0, 1, 2, 0], { epochs: 3, batchSize: 2, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['accuracy', 'loss']);
    expect(h.history.loss!.length).toBe(3);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(m.history).toBe(h);
  });

  it('accepts a DataLoader, a generator with stepsPerEpoch, and an async iterable', async () => {
    const [x, y] = data();
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 16 });
    const m = classifier();
    const h1 = await m.fit(loader, { epochs: 2, verbose: 0 });
    expect(h1.history.loss!.length).toBe(2);
    function* gen() {
      for (;;) for (let i = 0; i < 48; i += 16) yield [x.narrow(0, i, 16), y.narrow(0, i, 16)] as [Tensor, Tensor];
    }
    const seen: number[] = [];
    const counter = new (class extends keras.callbacks.Callback {
      override onTrainBatchEnd(batch: number) {
        seen.push(batch);
      }
    })();
    await m.fit(gen(), undefined, { epochs: 2, stepsPerEpoch: 3, verbose: 0, callbacks: [counter] });
    expect(seen).toEqual([0, 1, 2, 0, 1, 2]);
    async function* agen() {
      for (let i = 0; i < 48; i += 16) yield { x: x.narrow(0, i, 16), y: y.narrow(0, i, 16) };
    }
    const h3 = await m.fit({ [Symbol.asyncIterator]: agen }, undefined, { epochs: 1, verbose: 0 });
    expect(h3.history.accuracy!.length).toBe(1);
    expect(Array.isArray(await m.evaluate(loader, { verbose: 0 }))).toBe(true);
  });

  it('validationData / validationFreq / initialEpoch', async () => {
    const [x, y] = data();
    const m = classifier();
    const h = await m.fit(x, y, { epochs: 4, initialEpoch: 1, validationData: [x, y], validationFreq: 2, verbose: 0 });
    expect(h.epoch).toEqual([1, 2, 3]);
    // validated after epochs 2 and 4 (1-based), i.e. indices 1 and 3
    expect(h.history.val_loss!.length).toBe(2);
    expect(Object.keys(h.history)).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  });

  it('per-output loss keys only when two or more outputs have a loss (Keras 3 counts the losses given)', async () => {
    const inputs = keras.Input({ shape: [3] });
    const m = new keras.Model(inputs, [new Dense(1, { name: 'a' }).apply(inputs), new Dense(2, { name: 'b' }).apply(inputs)]);
    const x = randn([4, 3]);
    const ys = [randn([4, 1]), randn([4, 2])];
    m.compile({ optimizer: 'sgd', loss: [null, 'mse'] });
    expect(Object.keys((await m.fit(x, ys, { verbose: 0 })).history)).toEqual(['loss']);
    m.compile({ optimizer: 'sgd', loss: { b: 'mse' } });
    expect(Object.keys((await m.fit(x, ys, { verbose: 0 })).history)).toEqual(['loss']);
    m.compile({ optimizer: 'sgd', loss: ['mse', 'mse'] });
    expect(Object.keys((await m.fit(x, ys, { verbose: 0 })).history)).toEqual(['a_loss', 'b_loss', 'loss']);
  });

  it('metricsNames names the values evaluate returns, in their order (the guide\'s dict(zip(model.metrics_names, result)))', async () => {
    const inputs = keras.Input({ shape: [3] });
    const m = new keras.Model(inputs, [new Dense(1, { name: 'a' }).apply(inputs), new Dense(2, { name: 'b' }).apply(inputs)]);
    m.compile({ optimizer: 'sgd', loss: ['mse', 'mse'], metrics: [['mae'], ['mse']] });
    const x = randn([4, 3]);
    const ys = [randn([4, 1]), randn([4, 2])];
    const values = await m.evaluate(x, ys, { verbose: 0 }) as number[];
    const byName = await m.evaluate(x, ys, { verbose: 0, returnDict: true }) as Record<string, number>;
    expect(m.metricsNames).toHaveLength(values.length);
    expect(m.metricsNames.map((n) => byName[n])).toEqual(values);
    expect(m.metricsNames[0]).toBe('loss');
    expect(new keras.Sequential([keras.Input({ shape: [2] }), new Dense(1)]).metricsNames).toEqual([]);
  });

  it('evaluate returns [loss, ...metrics], a number without metrics, or a dict', async () => {
    const [x, y] = data();
    const m = classifier();
    const r = (await m.evaluate(x, y, { verbose: 0 })) as number[];
    expect(r.length).toBe(2);
    const d = (await m.evaluate(x, y, { verbose: 0, returnDict: true })) as Record<string, number>;
    expect(d.loss).toBeCloseTo(r[0]!, 6);
    expect(d.accuracy).toBeCloseTo(r[1]!, 6);
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    expect(typeof (await m.evaluate(x, y, { verbose: 0 }))).toBe('number');
  });

  it('predict matches apply, batch by batch, and returns a kept tensor', async () => {
    const [x] = data(70);
    const m = classifier();
    const p = (await m.predict(x, { batchSize: 32, verbose: 0 })) as Tensor;
    const direct = m.apply(x) as Tensor;
    expect(p.shape).toEqual([70, 3]);
    Array.from(p.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(direct.dataSync()[i]!, 6));
    p.dispose();
  });

  it('getWeights copies outlive training (restore them after fit)', async () => {
    const [x, y] = data(64);
    const m = classifier();
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    const saved = m.getWeights();
    const before = saved.map((t) => t.toArray());
    await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    m.setWeights(saved);
    expect(m.getWeights().map((t) => t.toArray())).toEqual(before);
  });

  it('trainOnBatch / testOnBatch / predictOnBatch; metrics accumulate until resetMetrics', async () => {
    const [x, y] = data(16);
    const m = classifier();
    const r1 = m.trainOnBatch(x, y) as number[];
    expect(r1.length).toBe(2);
    const d = m.testOnBatch(x, y, { returnDict: true }) as Record<string, number>;
    expect(Object.keys(d)).toEqual(['accuracy', 'loss']);
    const p = m.predictOnBatch(x) as Tensor;
    expect(p.shape).toEqual([16, 3]);
    p.dispose();
  });

  it('holds flat native memory over fit + evaluate + predict (after a warm-up)', async () => {
    const [x, y] = data(64);
    x.keep();
    y.keep();
    const m = classifier();
    const round = async () => {
      await m.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0 });
      await m.evaluate(x, y, { verbose: 0 });
      ((await m.predict(x, { verbose: 0 })) as Tensor).dispose();
    };
    await round();
    const before = memory().numTensors;
    await round();
    await round();
    expect(memory().numTensors - before).toBe(0);
  });
});

  it('frees each step\'s tensors instead of copying them to JavaScript memory (outputs, loss, gradients, metric temporaries, the batch rows)', async () => {
    const [x, y] = data(64);
    x.keep();
    y.keep();
    const m = classifier();
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const spilled = memory().numSpilled;
    // 3 epochs of 8 shuffled batches, with metrics read (lazy logs) at each batch end.
    const seen: number[] = [];
    await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [new keras.callbacks.LambdaCallback({ onBatchEnd: (_b, logs) => void seen.push(logs!.loss!) })] });
    expect(seen.length).toBe(24);
    expect(memory().numSpilled - spilled).toBe(0);
    await m.evaluate(x, y, { verbose: 0 });
    expect(memory().numSpilled - spilled).toBe(0);
    x.dispose();
    y.dispose();
  });

describe('fit: bad input gives typed errors naming what was expected', () => {
  it('wrong input shape names the layer and the expected shape', async () => {
    const m = classifier(6);
    await expect(m.fit(randn([8, 5]), tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow(keras.IncompatibleInputError);
    await expect(m.predict(randn([8, 5]), { verbose: 0 })).rejects.toThrow(/Input 0 of layer "sequential(_\d+)?" is incompatible with the layer: expected shape=\(None, 6\), found shape=\(8, 5\)/);
    const lazy = new keras.Sequential([new Dense(4, { name: 'first' }), new Dense(2)]);
    lazy.compile({ optimizer: 'sgd', loss: 'mse' });
    await lazy.fit(randn([4, 3]), randn([4, 2]), { verbose: 0 });
    await expect(lazy.fit(randn([4, 5]), randn([4, 2]), { verbose: 0 })).rejects.toThrow('expected shape=(None, 3), found shape=(4, 5)');
  });

  it('unknown loss, metric or optimizer names fail at compile', () => {
    const m = classifier();
    expect(() => m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropyy' })).toThrow(keras.UnknownIdentifierError);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy'] })).toThrow(/Could not interpret metric identifier: "acuracy"/);
    expect(() => m.compile({ optimizer: 'adamm', loss: 'mse' })).toThrow(/Could not interpret optimizer identifier: "adamm"/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as never)).toThrow('Invalid keyword argument(s) in `compile()`: ["metric"]');
  });

  it('y with the wrong rank for the loss', async () => {
    const [x] = data(8);
    const m = classifier();
    await expect(m.fit(x, randn([8, 3, 2]), { verbose: 0 })).rejects.toThrow(keras.IncompatibleInputError);
    await expect(m.fit(x, randn([8, 3, 2]), { verbose: 0 })).rejects.toThrow('sparse_categorical_crossentropy: argument `output` must have rank (ndim) `target.ndim - 1`. Received: target.shape=(8, 3, 2), output.shape=(8, 3)');
    m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
    await expect(m.fit(x, tensor([0, 1, 2, 0, 1, 2, 0, 1]), { verbose: 0 })).rejects.toThrow('must have the same rank (ndim). Received: target.shape=(8,), output.shape=(8, 3)');
  });

  it('x / y length mismatch', async () => {
    const m = classifier();
    await expect(m.fit(randn([10, 6]), tensor([0, 1, 2], { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow(keras.DataCardinalityError);
    await expect(m.fit(randn([10, 6]), tensor([0, 1, 2], { dtype: 'int32' }), { verbose: 0 })).rejects.toThrow("Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.'x' sizes: 10\n'y' sizes: 3");
  });

  it('a NaN loss stops fit with NonFiniteLossError', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor([[1, Number.NaN], [0, 1]]);
    await expect(m.fit(x, tensor([[1], [0]]), { verbose: 0 })).rejects.toThrow(keras.NonFiniteLossError);
    expect(() => m.trainOnBatch(x, tensor([[1], [0]]))).toThrow('The loss became NaN');
  });

  it('fit before compile', async () => {
    const m = new keras.Sequential([new Dense(1)]);
    await expect(m.fit(randn([2, 2]), randn([2, 1]))).rejects.toThrow('You must call `compile()` before using the model');
  });
});
