import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '@duet/core';
import * as keras from '../index.js';

const { getKerasMask } = keras.layers;

describe('masks', () => {
  it('Embedding(maskZero) masks the padding ids; layers that keep timesteps pass the mask on', () => {
    const emb = new keras.layers.Embedding(6, 3, { maskZero: true });
    const ids = tensor([[1, 0, 2], [0, 0, 5]], { dtype: 'int32' });
    const e = emb.apply(ids);
    expect(getKerasMask(e)!.toArray()).toEqual([[true, false, true], [false, false, true]]);
    const d = new keras.layers.Dense(4, { activation: 'relu' }).apply(e);
    expect(getKerasMask(d)!.toArray()).toEqual([[true, false, true], [false, false, true]]);
    const dropped = new keras.layers.Dropout(0.5).apply(d, { training: true });
    expect(getKerasMask(dropped)).not.toBeNull();
    expect(getKerasMask(new keras.layers.Flatten().apply(d))).toBeNull();
    expect(getKerasMask(new keras.layers.Embedding(6, 3).apply(ids))).toBeNull();
  });

  it('call receives the mask of its first input', () => {
    const seen: unknown[] = [];
    class Probe extends keras.Layer {
      override call(x: Tensor, { mask }: keras.layers.CallOptions): Tensor {
        seen.push((mask as Tensor | undefined)?.toArray() ?? null);
        return x;
      }
    }
    const e = new keras.layers.Embedding(6, 2, { maskZero: true }).apply(tensor([[3, 0]], { dtype: 'int32' }));
    new Probe().apply(e);
    new Probe().apply(tensor([[1, 2]]));
    expect(seen).toEqual([[[true, false]], null]);
  });

  it('Masking zeroes and masks the timesteps equal to maskValue; merge layers AND the masks', () => {
    const x = tensor([[[1, 2], [0, 0], [3, 0]]]);
    const m = new keras.layers.Masking();
    const y = m.apply(x);
    expect(y.toArray()).toEqual([[[1, 2], [0, 0], [3, 0]]]);
    expect(getKerasMask(y)!.toArray()).toEqual([[true, false, true]]);
    const z = new keras.layers.Masking({ maskValue: 3 }).apply(tensor([[[1, 2], [3, 3], [3, 0]]]));
    expect(z.toArray()).toEqual([[[1, 2], [0, 0], [3, 0]]]);
    const sum = new keras.layers.Add().apply([y, z]);
    expect(getKerasMask(sum)!.toArray()).toEqual([[true, false, true]]);
    const y2 = new keras.layers.Masking().apply(tensor([[[1, 2], [1, 1], [0, 0]]]));
    expect(getKerasMask(new keras.layers.Add().apply([y, y2]))!.toArray()).toEqual([[true, false, false]]);
  });

  it('masks flow through a functional model at run time', () => {
    const ids = keras.Input({ shape: [3], dtype: 'int32' });
    const out = new keras.layers.Dense(2).apply(new keras.layers.Embedding(5, 4, { maskZero: true }).apply(ids));
    const model = new keras.Model({ inputs: ids, outputs: out });
    const y = model.apply(tensor([[4, 0, 1]], { dtype: 'int32' }));
    expect(getKerasMask(y)!.toArray()).toEqual([[true, false, true]]);
  });
});
