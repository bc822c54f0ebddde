/** keras.utils.PyDataset: batches by index, shuffled by fit, with epoch hooks. */
import { describe, expect, it } from 'vitest';
import { manualSeed, memory, randn, type Tensor } from '@duet/core';
import * as keras from '../index.js';

class Batches extends keras.utils.PyDataset {
  seen: number[] = [];
  epochEnds = 0;
  constructor(readonly x: Tensor, readonly y: Tensor, readonly batchSize: number, kwargs: keras.utils.PyDatasetOptions = {}) {
    super(kwargs);
  }
  get length(): number {
    return Math.ceil(this.x.shape[0]! / this.batchSize);
  }
  get(idx: number): [Tensor, Tensor] {
    this.seen.push(idx);
    return [this.x.slice(0, idx * this.batchSize, (idx + 1) * this.batchSize), this.y.slice(0, idx * this.batchSize, (idx + 1) * this.batchSize)];
  }
  override onEpochEnd(): void {
    this.epochEnds++;
  }
}

function model(): keras.Model {
  manualSeed(3);
  const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(1)]);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return m;
}

describe('keras.utils.PyDataset', () => {
  const x = randn([10, 4]);
  const y = randn([10, 1]);

  it('fit without shuffling gives the losses of the same batches from arrays; batchSize is ignored', async () => {
    const ds = new Batches(x, y, 4);
    expect(ds.length).toBe(3);
    const h = await model().fit(ds, { epochs: 2, shuffle: false, batchSize: 64, verbose: 0 });
    const ref = await model().fit(x, y, { epochs: 2, shuffle: false, batchSize: 4, verbose: 0 });
    expect(h.history.loss).toEqual(ref.history.loss);
    expect(ds.seen).toEqual([0, 1, 2, 0, 1, 2]);
    expect(ds.epochEnds).toBe(2);
  });

  it('fit shuffles the batches\' order each epoch (its default), evaluate and validation do not', async () => {
    manualSeed(0);
    const ds = new Batches(x, y, 1);
    const val = new Batches(x, y, 5);
    const m = model();
    await m.fit(ds, { epochs: 3, validationData: val, verbose: 0 });
    const epochs = [ds.seen.slice(0, 10), ds.seen.slice(10, 20), ds.seen.slice(20)];
    for (const e of epochs) expect([...e].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(epochs.some((e) => e.join() !== '0,1,2,3,4,5,6,7,8,9')).toBe(true);
    expect(val.seen).toEqual([0, 1, 0, 1, 0, 1]);
    val.seen = [];
    await m.evaluate(val, { verbose: 0 });
    expect(val.seen).toEqual([0, 1]);
    expect((await m.predict(val, { verbose: 0 }) as Tensor).shape).toEqual([10, 1]);
  });

  it('stepsPerEpoch limits each epoch; y and sampleWeight beside a PyDataset are errors; bad options are typed errors', async () => {
    const ds = new Batches(x, y, 2);
    await model().fit(ds, { epochs: 2, stepsPerEpoch: 2, shuffle: false, verbose: 0 });
    expect(ds.seen).toEqual([0, 1, 0, 1]);
    await expect(model().fit(ds, y, { verbose: 0 })).rejects.toThrow(keras.KerasValueError);
    expect(() => new Batches(x, y, 2, { workers: 0 })).toThrow('`workers` must be a positive integer');
    expect(() => new Batches(x, y, 2, { maxQueueSize: 1.5 })).toThrow(keras.KerasValueError);
    const w = new Batches(x, y, 2, { workers: 4, useMultiprocessing: false, maxQueueSize: 10 });
    expect([w.workers, w.useMultiprocessing, w.maxQueueSize]).toEqual([4, false, 10]);
  });

  it('a fit on a PyDataset leaks no native tensors', async () => {
    const m = model();
    const ds = new Batches(x, y, 4);
    await m.fit(ds, { epochs: 1, verbose: 0 });
    const before = memory().numTensors;
    await m.fit(ds, { epochs: 2, verbose: 0 });
    expect(memory().numTensors).toBe(before);
  });
});
