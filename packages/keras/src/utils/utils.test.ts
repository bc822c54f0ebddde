import { describe, expect, it } from 'vitest';
import { tensor } from '@duet/core';
import * as keras from '../index.js';

describe('keras.utils', () => {
  it('toCategorical one-hot encodes class indices', () => {
    expect(keras.utils.toCategorical([0, 2, 1]).toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    const y = keras.utils.toCategorical(tensor([[1], [3]], { dtype: 'int32' }), 5);
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]]);
  });
  it('setRandomSeed makes initial weights repeatable', () => {
    keras.utils.setRandomSeed(42);
    const a = new keras.layers.Dense(3);
    a.build([null, 4]);
    keras.utils.setRandomSeed(42);
    const b = new keras.layers.Dense(3);
    b.build([null, 4]);
    expect(b.kernel.toArray()).toEqual(a.kernel.toArray());
  });
});
