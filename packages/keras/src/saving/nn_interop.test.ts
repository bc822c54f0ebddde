import { describe, expect, it } from 'vitest';
import { manualSeed, memory, randn, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '../index.js';
import { denseToLinear, linearToDense } from './nn_interop.js';
import { expectClose } from '../../../../test/helpers.js';

describe('Dense <-> nn.Linear', () => {
  it('Dense kernel [in, out] becomes Linear weight [out, in]; both compute the same outputs, both ways', () => {
    manualSeed(8);
    const dense = new keras.layers.Dense(3, { biasInitializer: 'random_normal' });
    dense.maybeBuild([null, 4]);
    const linear = new nn.Linear(4, 3);
    const x = randn([5, 4]);
    const before = memory().numTensors;
    denseToLinear(dense, linear);
    expect(memory().numTensors).toBe(before);
    expect(linear.weight.shape).toEqual([3, 4]);
    expect(Array.from(linear.weight.dataSync())).toEqual(Array.from(dense.kernel.t().dataSync()));
    // Same math, different kernels (x @ W^T vs x @ K): equal to float32 rounding.
    expectClose(linear.forward(x), dense.apply(x), { atol: 1e-6 });

    const back = new keras.layers.Dense(3);
    back.maybeBuild([null, 4]);
    const other = new nn.Linear(4, 3);
    linearToDense(other, back);
    expect(Array.from(back.kernel.dataSync())).toEqual(Array.from(other.weight.t().dataSync()));
    expectClose(back.apply(x), other.forward(x), { atol: 1e-6 });
  });

  it('says which Linear a Dense needs', () => {
    const dense = new keras.layers.Dense(3);
    expect(() => denseToLinear(dense, new nn.Linear(4, 3))).toThrow(/no weights yet/);
    dense.maybeBuild([null, 4]);
    expect(() => denseToLinear(dense, new nn.Linear(3, 4))).toThrow(/needs nn\.Linear\(4, 3\); received nn\.Linear\(3, 4\)/);
    expect(() => denseToLinear(dense, new nn.Linear(4, 3, { bias: false }))).toThrow(/bias/);
  });

  it('a whole Keras MLP becomes an nn module that computes the same (the docs\' example)', async () => {
    manualSeed(13);
    const mlp = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(16, { activation: 'relu' }), new keras.layers.Dense(4)]);
    const [d1, d2] = mlp.layers as keras.layers.Dense[];
    const fc1 = new nn.Linear(4, 16);
    const fc2 = new nn.Linear(16, 4);
    denseToLinear(d1!, fc1);
    denseToLinear(d2!, fc2);
    const x = randn([8, 4]);
    expectClose(fc2.forward(fc1.forward(x).relu()), (await mlp.predict(x, { verbose: 0 })) as Tensor, { atol: 1e-5 });
  });
});
