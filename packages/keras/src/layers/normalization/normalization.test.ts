/** Normalization layers beyond the golden fixtures: modes, freezing, configs, fit. */
import { describe, expect, it } from 'vitest';
import { manualSeed, memory, randn, scope } from '@duet/core';
import * as keras from '../../index.js';
import { expectClose } from '../../../../../test/helpers.js';

const L = keras.layers;

describe('BatchNormalization', () => {
  it("has Keras's defaults and weights", () => {
    const bn = new L.BatchNormalization();
    expect(bn.getConfig()).toMatchObject({ axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true });
    bn.apply(randn([4, 3]));
    expect(bn.weights.map((w) => w.path)).toEqual(['batch_normalization/gamma', 'batch_normalization/beta', 'batch_normalization/moving_mean', 'batch_normalization/moving_variance'].map((p) => p.replace('batch_normalization', bn.name)));
    expect(bn.trainableWeights.length).toBe(2);
  });

  it('updates the moving statistics only in training, and not when frozen', () => {
    manualSeed(0);
    const bn = new L.BatchNormalization({ momentum: 0.5 });
    const x = randn([16, 4, 4, 3]).mul(2).add(1);
    bn.apply(x);
    const m0 = Array.from(bn.movingMean.dataSync());
    bn.apply(x, { training: false });
    expect(Array.from(bn.movingMean.dataSync())).toEqual(m0);
    bn.apply(x, { training: true });
    const batchMean = x.mean([0, 1, 2]);
    expectClose(bn.movingMean, batchMean.mul(0.5), { atol: 1e-5 }); // 0 * 0.5 + mean * 0.5
    bn.trainable = false;
    const m1 = Array.from(bn.movingMean.dataSync());
    const y = bn.apply(x, { training: true });
    expect(Array.from(bn.movingMean.dataSync())).toEqual(m1);
    expectClose(y, bn.apply(x, { training: false }), { atol: 1e-6 }); // a frozen BN runs in inference mode (Keras 3)
  });

  it('does not leak in training or inference', () => {
    const bn = new L.BatchNormalization();
    const x = randn([8, 5]);
    for (const training of [true, false]) {
      const run = () => {
        bn.apply(x, { training }).sum();
      };
      scope(run);
      const before = memory().numTensors;
      scope(run);
      expect(memory().numTensors).toBe(before);
    }
  });

  it('validates its axis against the input', () => {
    expect(() => new L.BatchNormalization({ axis: 3 }).apply(randn([2, 3]))).toThrow('Axis 3 is out of bounds for input shape (2, 3). Received: axis=3');
    expect(() => new L.BatchNormalization({ momentum: 'x' as never })).toThrow('Received: momentum=x');
  });
});

describe('LayerNormalization and Normalization', () => {
  it('round-trip their configs', () => {
    for (const layer of [new L.BatchNormalization({ axis: 1, momentum: 0.9, center: false }), new L.LayerNormalization({ axis: [1, 2], epsilon: 1e-5 }), new L.Normalization({ mean: [1, 2], variance: [4, 9], invert: true })]) {
      const back = keras.deserialize<keras.Layer>('layer', JSON.parse(JSON.stringify(keras.serialize('layer', layer as never))));
      expect(back.getConfig()).toEqual(layer.getConfig());
    }
    expect(new L.LayerNormalization().getConfig()).toMatchObject({ axis: -1, epsilon: 1e-3 });
  });

  it('Normalization.adapt over batches equals adapt over the whole data', () => {
    manualSeed(1);
    const data = randn([30, 4]).mul(3).add(2);
    const whole = new L.Normalization();
    whole.adapt(data);
    const batched = new L.Normalization();
    batched.adapt([data.narrow(0, 0, 7), data.narrow(0, 7, 13), data.narrow(0, 20, 10)]);
    expectClose(batched.weights[0]!, whole.weights[0]!, { atol: 1e-5 });
    expectClose(batched.weights[1]!, whole.weights[1]!, { atol: 1e-4 });
    const y = whole.apply(data);
    expectClose(y.mean(0), [0, 0, 0, 0], { atol: 1e-5 });
    const inv = new L.Normalization({ invert: true });
    inv.adapt(data);
    expectClose(inv.apply(y), data, { atol: 1e-4 });
    expect(() => new L.Normalization({ mean: 1 })).toThrow('When setting values directly, both `mean` and `variance` must be set.');
  });

  it('Normalization in a model trains with fit', async () => {
    manualSeed(2);
    const x = randn([32, 3]).mul(5).keep();
    const y = x.sum(1, { keepdim: true }).keep();
    const norm = new L.Normalization();
    norm.adapt(x);
    const model = new keras.Sequential([keras.Input({ shape: [3] }), norm, new L.Dense(1)]);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect((h.history.loss as number[]).length).toBe(3);
    expect(norm.weights.map((w) => w.trainable)).toEqual([false, false, false]);
    x.dispose();
    y.dispose();
  });
});
