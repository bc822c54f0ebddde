import { describe, expect, it } from 'vitest';
import { tensor } from '@duet/core';
import * as keras from '../index.js';
import { TerminateOnNaN } from './terminate_on_nan.js';

describe('TerminateOnNaN', () => {
  it('sets model.stopTraining on a NaN or infinite batch loss, and only then', () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    const cb = new TerminateOnNaN();
    cb.setModel(m);
    cb.onTrainBegin();
    cb.onTrainBatchEnd(0, { loss: 1.5 });
    cb.onTrainBatchEnd(1, {});
    expect(m.stopTraining).toBe(false);
    cb.onTrainBatchEnd(2, { loss: Infinity });
    expect(m.stopTraining).toBe(true);
    expect(cb.terminatedAtBatch).toBe(2);
    m.stopTraining = false;
    cb.onTrainBatchEnd(3, { loss: NaN });
    expect(m.stopTraining).toBe(true);
  });

  it('in fit: stops at the first non-finite batch loss, and fit resolves instead of raising NonFiniteLossError', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [1] }), new keras.layers.Dense(1, { kernelInitializer: 'ones' })]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor([[1], [Number.NaN], [1], [1]]);
    const y = tensor([[1], [1], [1], [1]]);
    const cb = new TerminateOnNaN();
    const seen: number[] = [];
    const h = await m.fit(x, y, { epochs: 3, batchSize: 1, shuffle: false, verbose: 0, callbacks: [cb, new keras.callbacks.LambdaCallback({ onTrainBatchBegin: (b: number) => void seen.push(b) })] });
    expect(cb.terminatedAtBatch).toBe(1);
    expect(seen).toEqual([0, 1]);
    expect(h.epoch).toEqual([0]);
  });
});
