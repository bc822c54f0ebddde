/** Pooling layers beyond the golden fixtures: arguments, configs, shapes. */
import { describe, expect, it } from 'vitest';
import { randn } from '@duet/core';
import * as keras from '../../index.js';

const L = keras.layers;

describe('pooling layers', () => {
  it("take Keras's defaults and positional pool size", () => {
    expect(new L.MaxPooling2D().getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid', dataFormat: 'channels_last' });
    expect(new L.MaxPooling2D(3, { strides: 1 }).getConfig()).toMatchObject({ poolSize: [3, 3], strides: [1, 1] });
    expect(new L.MaxPooling2D({ poolSize: [2, 3] }).poolSize).toEqual([2, 3]);
    expect(new L.AveragePooling1D(4).getConfig()).toMatchObject({ poolSize: [4], strides: [4] });
    expect(new L.GlobalMaxPooling2D({ keepdims: true }).getConfig()).toMatchObject({ keepdims: true, dataFormat: 'channels_last' });
  });

  it("validate with Keras's messages", () => {
    expect(() => new L.MaxPooling2D(0)).toThrow('The `pool_size` argument must be a tuple of 2 integers. Received pool_size=0, including values {0} that do not satisfy `value > 0`');
    expect(() => new L.AveragePooling2D(2, { padding: 'full' as never })).toThrow("The `padding` argument must be one of {'valid', 'same'}. Received: padding=full");
    expect(() => new L.MaxPooling1D().apply(randn([2, 3, 4, 5]))).toThrow('expected ndim=3, found ndim=4');
  });

  it('round-trip their config through the registry', () => {
    for (const layer of [new L.MaxPooling2D(3, { strides: 2, padding: 'same' }), new L.AveragePooling2D([2, 3]), new L.MaxPooling1D(), new L.AveragePooling1D(3, { dataFormat: 'channels_first' }), new L.GlobalAveragePooling2D({ keepdims: true }), new L.GlobalMaxPooling1D()]) {
      const back = keras.deserialize<keras.Layer>('layer', JSON.parse(JSON.stringify(keras.serialize('layer', layer as never))));
      expect(back.constructor).toBe(layer.constructor);
      expect(back.getConfig()).toEqual(layer.getConfig());
    }
  });

  it('compute symbolic shapes, unknown sizes included', () => {
    const inp = keras.Input({ shape: [null, 7, 3] });
    expect(new L.MaxPooling2D(2, { padding: 'same' }).apply(inp).shape).toEqual([null, null, 4, 3]);
    expect(new L.GlobalAveragePooling2D().apply(inp).shape).toEqual([null, 3]);
    const seq = keras.Input({ shape: [9, 4] });
    expect(new L.AveragePooling1D(2).apply(seq).shape).toEqual([null, 4, 4]);
    expect(new L.GlobalMaxPooling1D({ keepdims: true }).apply(seq).shape).toEqual([null, 1, 4]);
  });
});
