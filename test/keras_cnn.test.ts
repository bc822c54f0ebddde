/**
 * The Keras-style CNN (Conv2D 32 -> MaxPooling2D -> Conv2D 64 ->
 * MaxPooling2D -> Flatten -> Dense 128 -> Dense 10) as a Sequential and as
 * a functional model: it trains with `fit` (the loss goes down on a fixed
 * batch set), the native tensor count stays flat across epochs, and the
 * step runs no Transpose kernel (channels-last all the way).
 */
import { describe, expect, it } from 'vitest';
import { countKernels, manualSeed, memory, randint, randn, scope, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';

const L = keras.layers;

function cnnLayers(): keras.Layer[] {
  return [
    new L.Conv2D(32, 3, { activation: 'relu' }),
    new L.MaxPooling2D(),
    new L.Conv2D(64, 3, { activation: 'relu' }),
    new L.MaxPooling2D(),
    new L.Flatten(),
    new L.Dense(128, { activation: 'relu' }),
    new L.Dense(10, { activation: 'softmax' }),
  ];
}

function data(n: number): [Tensor, Tensor] {
  const x = randn([n, 28, 28, 1]).keep();
  const y = randint(0, 10, [n]).keep();
  return [x, y];
}

describe('keras CNN', () => {
  it('Sequential: fits, loss goes down, memory flat across epochs', async () => {
    manualSeed(0);
    const model = new keras.Sequential([keras.Input({ shape: [28, 28, 1] }), ...cnnLayers()]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const [x, y] = data(64);
    const first = await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
    const before = memory().numTensors;
    const h = await model.fit(x, y, { epochs: 6, batchSize: 16, verbose: 0, shuffle: false });
    const after = memory().numTensors;
    expect(after).toBe(before);
    const losses = h.history.loss as number[];
    expect(losses[losses.length - 1]!).toBeLessThan((first.history.loss as number[])[0]!);
    expect(model.layers[0]!.weights[0]!.shape).toEqual([3, 3, 1, 32]);
    x.dispose();
    y.dispose();
  }, 120_000);

  it('functional model with BatchNormalization and augmentation trains; moving stats move only in fit', async () => {
    manualSeed(1);
    const inp = keras.Input({ shape: [12, 12, 1] });
    let h = new L.RandomFlip('horizontal', { seed: 3 }).apply(inp);
    h = new L.Conv2D(8, 3, { padding: 'same' }).apply(h);
    const bn = new L.BatchNormalization();
    h = bn.apply(h);
    h = new L.Activation('relu').apply(h);
    h = new L.GlobalAveragePooling2D().apply(h);
    const out = new L.Dense(3, { activation: 'softmax' }).apply(h);
    const model = new keras.Model({ inputs: inp, outputs: out });
    expect(out.shape).toEqual([null, 3]);
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const x = randn([32, 12, 12, 1]).keep();
    const y = randint(0, 3, [32]).keep();
    const mean0 = Array.from(bn.movingMean.dataSync());
    await model.predict(x, { verbose: 0 });
    expect(Array.from(bn.movingMean.dataSync())).toEqual(mean0);
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(Array.from(bn.movingMean.dataSync())).not.toEqual(mean0);
    x.dispose();
    y.dispose();
  }, 120_000);

  it('a training step runs no Transpose (channels-last kernels with Keras layouts)', () => {
    manualSeed(2);
    const model = new keras.Sequential([keras.Input({ shape: [28, 28, 1] }), ...cnnLayers()]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const [x, y] = data(16);
    scope(() => model.trainOnBatch(x, y));
    const { kernels, byName } = countKernels(() => scope(() => model.trainOnBatch(x, y)));
    expect(byName.Transpose ?? 0).toBe(0);
    expect(kernels).toBeGreaterThan(0);
    x.dispose();
    y.dispose();
  }, 60_000);
});
