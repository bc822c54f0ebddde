import { describe, expect, it } from 'vitest';
import * as keras from '../index.js';
import { ReduceLROnPlateau } from './reduce_lr_on_plateau.js';

function compiled(lr: number): keras.Model {
  const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
  m.compile({ optimizer: new keras.optimizers.SGD({ learningRate: lr }), loss: 'mse' });
  return m;
}

describe('ReduceLROnPlateau', () => {
  it('follows Keras\'s rule: patience, factor, cooldown, minLr (compared in float32)', () => {
    const m = compiled(1);
    const cb = new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1, minLr: 0.3 });
    cb.setModel(m);
    cb.onTrainBegin();
    const losses = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.61, 0.62];
    const logged: number[] = [];
    const after: number[] = [];
    losses.forEach((loss, epoch) => {
      const logs: Record<string, number> = { loss };
      cb.onEpochEnd(epoch, logs);
      logged.push(logs.learning_rate!);
      after.push(m.optimizer!.learningRate);
    });
    // Worked by hand from Keras 3's on_epoch_end: reductions at epochs 3 and 5; at 8 and 9 the rate is at minLr.
    expect(after).toEqual([1, 1, 1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3]);
    expect(logged).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
  });

  it('mode auto maximizes metrics named with acc', () => {
    const m = compiled(1);
    const cb = new ReduceLROnPlateau({ monitor: 'val_accuracy', factor: 0.1, patience: 1 });
    cb.setModel(m);
    cb.onTrainBegin();
    cb.onEpochEnd(0, { val_accuracy: 0.5 });
    cb.onEpochEnd(1, { val_accuracy: 0.6 });
    expect(m.optimizer!.learningRate).toBe(1);
    cb.onEpochEnd(2, { val_accuracy: 0.55 });
    expect(m.optimizer!.learningRate).toBeCloseTo(0.1, 12);
  });

  it('rejects factor >= 1 and runs inside fit, adding learning_rate to the history', async () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/factor >= 1.0/);
    const m = compiled(0.01);
    const { tensor } = await import('@duet/core');
    const h = await m.fit(tensor([[1, 2], [3, 4]]), tensor([[1], [2]]), { epochs: 2, verbose: 0, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 0 })] });
    expect(h.history.learning_rate).toHaveLength(2);
    expect(h.history.learning_rate![0]).toBeCloseTo(0.01, 12);
  });
});
