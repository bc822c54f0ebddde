/** keras.ops and keras.random: Keras's spellings over core's ops. */
import { describe, expect, it } from 'vitest';
import { memory, scope, tensor } from '@duet/core';
import * as keras from '../index.js';
import { ops } from '../index.js';

describe('keras.ops', () => {
  it('reductions take Keras\'s axis / keepdims', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(ops.sum(x).item()).toBe(10);
    expect(ops.sum(x, { axis: 0 }).toArray()).toEqual([4, 6]);
    expect(ops.mean(x, { axis: 1, keepdims: true }).toArray()).toEqual([[1.5], [3.5]]);
    expect(ops.max(x, { axis: [0, 1] }).item()).toBe(4);
    expect(ops.min(x).item()).toBe(1);
    expect(ops.argmax(x, { axis: 1 }).toArray()).toEqual([1, 1]);
    expect(ops.argmax(x).item()).toBe(3);
    expect(() => ops.sum(x, { axis: 0.5 })).toThrow(keras.KerasValueError);
  });

  it('creation, arithmetic, shapes', () => {
    expect(ops.ones([2, 2]).toArray()).toEqual([[1, 1], [1, 1]]);
    expect(ops.zeros([3]).toArray()).toEqual([0, 0, 0]);
    const a = tensor([[1, 2]]);
    expect(ops.shape(a)).toEqual([1, 2]);
    expect(ops.matmul(a, tensor([[1], [1]])).toArray()).toEqual([[3]]);
    expect(ops.add(a, 1).toArray()).toEqual([[2, 3]]);
    expect(ops.exp(tensor([0])).toArray()).toEqual([1]);
    expect(ops.square(a).toArray()).toEqual([[1, 4]]);
    expect(ops.concatenate([a, a], { axis: 0 }).shape).toEqual([2, 2]);
    expect(ops.transpose(tensor([[1, 2, 3]])).shape).toEqual([3, 1]);
    expect(ops.expandDims(a, 0).shape).toEqual([1, 1, 2]);
    expect(ops.clip(tensor([-2, 0.5, 3]), 0, 1).toArray()).toEqual([0, 0.5, 1]);
    expect(ops.convertToTensor([1, 2]).toArray()).toEqual([1, 2]);
  });

  it('comparisons give bool tensors, as Python\'s operators on Keras tensors', () => {
    const a = tensor([1, 2, 3]);
    expect(ops.equal(a, 2).toArray()).toEqual([false, true, false]);
    expect(ops.notEqual(a, 2).toArray()).toEqual([true, false, true]);
    expect(ops.greater(a, 2).toArray()).toEqual([false, false, true]);
    expect(ops.greaterEqual(a, 2).toArray()).toEqual([false, true, true]);
    expect(ops.less(a, tensor([2, 2, 2])).toArray()).toEqual([true, false, false]);
    expect(ops.lessEqual(a, 2).dtype).toBe('bool');
  });

  it('oneHot takes float labels (the guide\'s y_train.astype("float32")), zero rows out of range, and an axis', () => {
    const y = ops.oneHot(tensor([0, 2, 5, -1]), 3);
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]);
    expect(ops.oneHot(tensor([1, 0], { dtype: 'int32' }), 2, { axis: 0 }).toArray()).toEqual([[0, 1], [1, 0]]);
    expect(ops.oneHot(tensor([[1, 0]], { dtype: 'int32' }), 3, { axis: 1 }).shape).toEqual([1, 3, 2]);
    expect(() => ops.oneHot(tensor([1]), 0)).toThrow(keras.KerasValueError);
    expect(() => ops.oneHot(tensor([1]), 2, { axis: 2 })).toThrow(keras.KerasValueError);
    const before = memory().numTensors;
    scope(() => { ops.oneHot(tensor([1, 2]), 4); });
    expect(memory().numTensors).toBe(before);
  });
});

describe('keras.random', () => {
  it('an integer seed gives the same numbers at every call; a SeedGenerator advances', () => {
    const a = keras.random.normal([4], { seed: 7 }).toArray();
    expect(keras.random.normal([4], { seed: 7 }).toArray()).toEqual(a);
    const g = new keras.random.SeedGenerator(1337);
    const u1 = keras.random.uniform([4], { seed: g }).toArray() as number[];
    const u2 = keras.random.uniform([4], { seed: g }).toArray() as number[];
    expect(u1).not.toEqual(u2);
    expect(keras.random.uniform([4], { seed: new keras.random.SeedGenerator(1337) }).toArray()).toEqual(u1);
  });

  it('draws from the asked distribution', () => {
    const z = keras.random.normal([20000], { mean: 2, stddev: 3, seed: 1 });
    expect(z.mean().item()).toBeCloseTo(2, 1);
    expect(z.std().item()).toBeCloseTo(3, 1);
    const u = keras.random.uniform([20000], { minval: -1, maxval: 3 });
    expect(u.min().item()).toBeGreaterThanOrEqual(-1);
    expect(u.max().item()).toBeLessThan(3);
    expect(u.mean().item()).toBeCloseTo(1, 1);
  });

  it('dropout zeroes about `rate` of the values and scales the rest', () => {
    const y = keras.random.dropout(keras.ops.ones([10000]), { rate: 0.25, seed: 3 });
    const kept = (y.toArray() as number[]).filter((v) => v !== 0);
    expect(kept.length / 10000).toBeCloseTo(0.75, 1);
    expect(kept[0]).toBeCloseTo(1 / 0.75, 5);
    expect(() => keras.random.dropout(keras.ops.ones([2]), { rate: 1 })).toThrow(keras.KerasValueError);
    expect(() => keras.random.normal([-1])).toThrow(/shape/);
  });

  it('leak no native tensors', () => {
    const run = () => scope(() => {
      keras.random.normal([3], { seed: new keras.random.SeedGenerator(1) });
      keras.random.dropout(ops.ones([4]), { rate: 0.5 });
      ops.mean(ops.sum(ops.ones([2, 2]), { axis: 0 }));
    });
    run();
    const before = memory().numTensors;
    run();
    expect(memory().numTensors).toBe(before);
  });
});
