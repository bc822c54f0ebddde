/**
 * Model.dispose() / Layer.dispose(): the native tensor count returns to
 * what it was before the model existed, after building, compiling,
 * training (optimizer slots, metric state), evaluating and predicting.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, markStep, memory, randint, randn, type Tensor } from '@duet/core';
import * as keras from '../index.js';

function cnn(): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: [8, 8, 1] }),
    new keras.layers.Conv2D(4, 3, { activation: 'relu' }),
    new keras.layers.BatchNormalization(),
    new keras.layers.Flatten(),
    new keras.layers.Dense(3, { activation: 'softmax' }),
  ]);
}

function textModel(): keras.Model {
  // Functional, with a nested Sequential and a layer used twice.
  const inputs = keras.Input({ shape: [6], dtype: 'int32' });
  const emb = new keras.layers.Embedding(20, 5, { maskZero: true });
  const x = new keras.layers.LSTM(4).apply(emb.apply(inputs));
  const head = new keras.Sequential([new keras.layers.Dense(4, { activation: 'relu' })]);
  const shared = new keras.layers.Dense(4);
  const y = shared.apply(shared.apply(head.apply(x)));
  return new keras.Model({ inputs, outputs: new keras.layers.Dense(1, { activation: 'sigmoid' }).apply(y) });
}

/**
 * Build, train and dispose a model twice after a warm-up one (the first run
 * fills core's one-time caches, as in trainers/fit.test.ts); a leak would
 * show on every run.
 */
async function noLeak(cycle: () => Promise<void>): Promise<void> {
  // Counted after a step boundary, without the constant cache (bounded,
  // filled once per distinct value). Automatic boundaries move some results
  // to JavaScript memory every few cycles, so single counts dip; a leak
  // raises every count. Two warm-up cycles fill core's one-time caches; then
  // the highest count over three cycles must not rise over the next three.
  const live = () => {
    markStep();
    const m = memory();
    return m.numTensors - m.numCached;
  };
  const highest = async (n: number) => {
    let top = -Infinity;
    for (let i = 0; i < n; i++) {
      await cycle();
      top = Math.max(top, live());
    }
    return top;
  };
  await highest(2);
  const before = await highest(3);
  expect(await highest(3)).toBeLessThanOrEqual(before);
}

describe('Model.dispose()', () => {
  it('a trained CNN (Adam slots, accuracy metric, BatchNormalization statistics) frees everything', async () => {
    manualSeed(1);
    const x = randn([16, 8, 8, 1]).keep();
    const y = randint(0, 3, [16]).keep();
    await noLeak(async () => {
      const before = memory().numTensors;
      const model = cnn();
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      await model.evaluate(x, y, { verbose: 0 });
      ((await model.predict(x, { verbose: 0 })) as Tensor).dispose();
      expect(model.optimizer!.variables.length).toBeGreaterThan(0);
      expect(memory().numTensors).toBeGreaterThan(before);
      model.dispose();
      expect(model.compiled).toBeNull();
      expect(model.weights.every((w) => w.isDisposed)).toBe(true);
      expect(() => model.apply(x)).toThrow(/dispose\(\) was called on it/);
    });
  });

  it('a functional model with a nested model and a shared layer, trained: each weight freed once', async () => {
    manualSeed(2);
    const x = randint(0, 20, [12, 6]).keep();
    const y = randint(0, 2, [12, 1]).float().keep();
    await noLeak(async () => {
      const model = textModel();
      model.compile({ optimizer: new keras.optimizers.SGD({ momentum: 0.9 }), loss: 'binary_crossentropy', metrics: ['accuracy', 'auc'] });
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      model.dispose();
    });
  });

  it('an LSTM model: the layer\'s kept zero bias is freed too (one tensor per model otherwise)', async () => {
    manualSeed(3);
    const x = randint(1, 20, [12, 6]).keep();
    const y = randint(0, 2, [12, 1]).float().keep();
    await noLeak(async () => {
      const model = new keras.Sequential([keras.Input({ shape: [6], dtype: 'int32' }), new keras.layers.Embedding(20, 5), new keras.layers.LSTM(4), new keras.layers.Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      model.dispose();
    });
  });

  it('a layer\'s keepCached tensors (Normalization\'s fixed statistics) are freed with it', async () => {
    const x = randn([4, 3]).keep();
    const fresh = () => new keras.Sequential([keras.Input({ shape: [3] }), new keras.layers.Normalization({ mean: [1, 2, 3], variance: [1, 4, 9] }), new keras.layers.Dense(2)]);
    fresh().dispose();
    const before = memory().numTensors;
    const model = fresh();
    expect(model.weights.length).toBe(2); // the Dense's: the statistics are the only other tensors it holds
    expect(memory().numTensors - before).toBe(2 + 2);
    ((await model.predict(x, { verbose: 0 })) as Tensor).dispose();
    model.dispose();
    expect(memory().numTensors).toBe(before);
    await noLeak(async () => {
      const m = fresh();
      ((await m.predict(x, { verbose: 0 })) as Tensor).dispose();
      m.dispose();
    });
  });

  it('an uncompiled model and a single layer', async () => {
    await noLeak(async () => {
      const model = cnn();
      model.dispose();
      const dense = new keras.layers.Dense(5);
      dense.maybeBuild([null, 3]);
      dense.dispose();
      dense.dispose(); // twice is harmless
    });
  });

  it('without dispose() the weights stay (the check above can fail)', async () => {
    cnn().dispose();
    const before = memory().numTensors;
    const model = cnn();
    expect(memory().numTensors - before).toBe(model.weights.length);
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
