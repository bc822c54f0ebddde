import { describe, expect, it } from 'vitest';
import { manualSeed, tensor } from '@duet/core';
import * as keras from '../index.js';
import { LearningRateScheduler } from './learning_rate_scheduler.js';

describe('LearningRateScheduler', () => {
  it('sets schedule(epoch, lr) before each epoch; the rate is the one training uses', async () => {
    manualSeed(3);
    const make = () => {
      const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1, { kernelInitializer: 'ones' })]);
      m.compile({ optimizer: new keras.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
      return m;
    };
    const x = tensor([[1, 2], [3, 4]]);
    const y = tensor([[1], [2]]);
    const a = make();
    const seen: [number, number][] = [];
    const sched = new LearningRateScheduler((epoch, lr) => {
      seen.push([epoch, lr]);
      return epoch === 0 ? 0.01 : lr / 2;
    });
    const h = await a.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0, callbacks: [sched] });
    expect(seen).toEqual([[0, 0.1], [1, 0.01], [2, 0.005]]);
    expect(h.history.learning_rate).toEqual([0.01, 0.005, 0.0025]);
    // The same three steps with the rate set by hand give the same weights.
    const b = make();
    for (const lr of [0.01, 0.005, 0.0025]) {
      b.optimizer!.learningRate = lr;
      await b.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    }
    expect(a.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(b.getWeights().map((t) => Array.from(t.dataSync())));
  });

  it('rejects a schedule that does not return a number', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const bad = new LearningRateScheduler(() => 'fast' as unknown as number);
    await expect(m.fit(tensor([[1, 2]]), tensor([[1]]), { epochs: 1, verbose: 0, callbacks: [bad] })).rejects.toThrow(/should be a float/);
    expect(() => new LearningRateScheduler(3 as unknown as () => number)).toThrow(/needs a function/);
  });
});
