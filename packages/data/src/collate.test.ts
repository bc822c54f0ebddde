import { describe, expect, it } from 'vitest';
import { tensor } from '@duet/core';
import { defaultCollate, defaultConvert } from './collate.js';
import { DataOptionError } from './errors.js';
import { HostTensor, RawImage } from './host.js';

describe('defaultCollate', () => {
  it('integer numbers become an int32 [B] tensor, fractional ones float32', () => {
    const y = defaultCollate([3, 1, 4]);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([3]);
    expect(y.toArray()).toEqual([3, 1, 4]);
    expect(defaultCollate([0.5, 1]).dtype).toBe('float32');
    expect(defaultCollate([true, false]).toArray()).toEqual([true, false]);
  });

  it('stacks HostTensors, RawImages, typed arrays and Tensors', () => {
    const a = new HostTensor(new Float32Array([1, 2, 3, 4]), [1, 2, 2]);
    const b = new HostTensor(new Float32Array([5, 6, 7, 8]), [1, 2, 2]);
    const x = defaultCollate([a, b]);
    expect(x.shape).toEqual([2, 1, 2, 2]);
    expect(x.toArray()).toEqual([[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]);
    const img = defaultCollate([new RawImage(new Uint8Array([1, 2, 3, 4, 5, 6]), 1, 2, 3)]);
    expect(img.shape).toEqual([1, 1, 2, 3]);
    expect(img.dtype).toBe('int32');
    const f = defaultCollate([new Float32Array([1, 2]), new Float32Array([3, 4])]);
    expect([f.shape, f.dtype]).toEqual([[2, 2], 'float32']);
    expect(defaultCollate([new Uint8Array([1, 2])]).dtype).toBe('int32');
    const t = defaultCollate([tensor([1, 2]), tensor([3, 4])]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('batches tuples and objects field by field; strings stay a list', () => {
    const [x, y] = defaultCollate([[new Float32Array([1]), 0], [new Float32Array([2]), 1]]);
    expect(x.shape).toEqual([2, 1]);
    expect(y.toArray()).toEqual([0, 1]);
    const o = defaultCollate([{ id: 'a', v: 1.5 }, { id: 'b', v: 2 }]);
    expect(o.id).toEqual(['a', 'b']);
    expect(o.v.toArray()).toEqual([1.5, 2]);
  });

  it('says which item and field do not fit', () => {
    const a = new HostTensor(new Float32Array(4), [1, 2, 2]);
    const b = new HostTensor(new Float32Array(6), [1, 2, 3]);
    expect(() => defaultCollate([[a, 0], [b, 1]])).toThrow(DataOptionError);
    expect(() => defaultCollate([[a, 0], [b, 1]])).toThrow(/item 1 of the batch has shape \[1, 2, 3\] at sample\[0\], item 0 has \[1, 2, 2\]/);
    expect(() => defaultCollate([[a, 0], [a]])).toThrow(/item 1 of the batch has an array of 1 at sample, where item 0 has an array of 2/);
    expect(() => defaultCollate([1, 'x'])).toThrow(/item 1/);
    expect(() => defaultCollate([new Map()])).toThrow(/cannot batch/);
    expect(() => defaultCollate([])).toThrow(/empty batch/);
  });
});

describe('defaultConvert', () => {
  it('turns host values into tensors and leaves numbers alone', () => {
    const [x, y] = defaultConvert([new HostTensor(new Float32Array([1, 2]), [2]), 3]);
    expect(x.toArray()).toEqual([1, 2]);
    expect(y).toBe(3);
  });
});
