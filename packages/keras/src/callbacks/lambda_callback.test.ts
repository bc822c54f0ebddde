import { describe, expect, it } from 'vitest';
import { memory, tensor } from '@duet/core';
import * as keras from '../index.js';
import { LambdaCallback } from './lambda_callback.js';

describe('LambdaCallback', () => {
  it('calls the given hooks in fit order, awaits async ones, and leaks nothing', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor([[1], [2], [3]]);
    const events: string[] = [];
    const cb = new LambdaCallback({
      onTrainBegin: () => { events.push('train'); },
      onEpochBegin: async (e) => { await new Promise((r) => setTimeout(r, 1)); events.push(`epoch${e}`); },
      onTrainBatchEnd: (b, logs) => { events.push(`batch${b}:${typeof logs?.loss}`); },
      onEpochEnd: (e, logs) => { events.push(`end${e}:${Object.keys(logs ?? {}).join(',')}`); },
      onTrainEnd: () => { events.push('done'); },
    });
    const options = { epochs: 2, batchSize: 2, verbose: 0 as const, shuffle: false };
    await m.fit(x, y, options); // warm-up: the same run without the callback
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 }); // the same boundary as after the measured run
    const before = memory().numTensors;
    await m.fit(x, y, { ...options, callbacks: [cb] });
    expect(events).toEqual(['train', 'epoch0', 'batch0:number', 'batch1:number', 'end0:loss', 'epoch1', 'batch0:number', 'batch1:number', 'end1:loss', 'done']);
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 }); // a boundary releases the last step's reads
    expect(memory().numTensors).toBe(before);
  });

  it('onBatchBegin / onBatchEnd are Keras\'s aliases of the training-batch hooks (used unless onTrainBatch* is given)', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor([[1], [2], [3]]);
    const events: string[] = [];
    const alias = new LambdaCallback({ onBatchBegin: (b) => void events.push(`begin${b}`), onBatchEnd: (b, logs) => void events.push(`end${b}:${typeof logs?.loss}`) });
    await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [alias] });
    expect(events).toEqual(['begin0', 'end0:number', 'begin1', 'end1:number']);
    events.length = 0;
    const both = new LambdaCallback({ onBatchEnd: () => void events.push('alias'), onTrainBatchEnd: () => void events.push('train') });
    await m.evaluate(x, y, { verbose: 0, callbacks: [alias] }); // evaluation batches are not training batches
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, callbacks: [both] });
    expect(events).toEqual(['train']);
    class Sub extends keras.callbacks.Callback {
      override onBatchEnd(batch: number): void {
        events.push(`sub${batch}`);
      }
    }
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, callbacks: [new Sub()] });
    expect(events).toEqual(['train', 'sub0']);
  });

  it('rejects unknown hooks and non-functions', () => {
    expect(() => new LambdaCallback({ on_epoch_end: () => {} } as never)).toThrow(/Unrecognized LambdaCallback hook\(s\): on_epoch_end/);
    expect(() => new LambdaCallback({ onEpochEnd: 3 } as never)).toThrow(/must be a function/);
  });
});
