import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '@duet/core';
import { Compose, Grayscale, Lambda, Normalize, ToTensor } from './basic.js';
import { HostTensor, RawImage } from '../host.js';
import { DataOptionError } from '../errors.js';

const rgb = new RawImage(Uint8Array.from([0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 255, 0]), 2, 2, 3); // HWC

describe('ToTensor', () => {
  it('turns HWC uint8 into CHW float32 in [0, 1]', () => {
    const x = new ToTensor().forward(rgb) as HostTensor;
    expect(x).toBeInstanceOf(HostTensor);
    expect(x.shape).toEqual([3, 2, 2]);
    expect(x.dtype).toBe('float32');
    expect(Array.from(x.data, (v) => Math.round(v * 255))).toEqual([0, 153, 255, 0, 51, 204, 0, 255, 102, 255, 0, 0]);
  });

  it('a grey 28x28 image gives [1, 28, 28]; a Tensor [H, W] gives a Tensor', () => {
    const img = new RawImage(new Uint8Array(784).fill(255), 28, 28);
    expect((new ToTensor().forward(img) as HostTensor).shape).toEqual([1, 28, 28]);
    const t = new ToTensor().forward(tensor([[0, 255], [51, 102]], { dtype: 'int32' })) as Tensor;
    expect(t).toBeInstanceOf(Tensor);
    expect(t.shape).toEqual([1, 2, 2]);
    expect(t.toArray()[0][1][0]).toBeCloseTo(0.2);
    expect(() => new ToTensor().forward(new Uint8Array(4) as never)).toThrow(/expected a RawImage .* or a Tensor; received a Uint8Array/);
  });
});

describe('Normalize, Compose, Lambda, Grayscale', () => {
  it('normalizes per channel', () => {
    const x = new HostTensor(new Float32Array([1, 1, 0.5, 0.5]), [2, 1, 2]);
    const y = new Normalize([0.5, 0.25], [0.5, 0.25]).forward(x) as HostTensor;
    expect(Array.from(y.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(x.data)).toEqual([1, 1, 0.5, 0.5]); // not in place
    const t = new Normalize([0.1307], [0.3081]).forward(tensor([[[0.1307, 0.4388]]])) as Tensor;
    expect(t.toArray()[0][0][1]).toBeCloseTo(1, 5);
  });

  it('refuses images before ToTensor, mismatched channels, and zero std', () => {
    expect(() => new Normalize([0.5], [0.5]).forward(rgb)).toThrow(/expected a tensor image \(put transforms.ToTensor\(\) before it\)/);
    expect(() => new Normalize([0.5, 0.5], [0.5, 0.5]).forward(new ToTensor().forward(rgb))).toThrow(/mean has 2 values; the image has 3 channels/);
    expect(() => new Normalize([0.5], [0])).toThrow(DataOptionError);
  });

  it('Compose chains transforms and functions; Lambda wraps a function', () => {
    const t = new Compose([new ToTensor(), new Lambda((x: HostTensor) => x.shape), (s: number[]) => s.length]);
    expect(t.forward(rgb)).toBe(3);
    expect(() => new Compose([3 as never])).toThrow(/item 0 is not a transform/);
  });

  it('Grayscale uses the ITU-R 601-2 weights', () => {
    const g = new Grayscale().forward(new RawImage(Uint8Array.from([255, 0, 0, 0, 255, 0]), 1, 2, 3)) as RawImage;
    expect(g.channels).toBe(1);
    expect(Array.from(g.data)).toEqual([76, 150]);
    expect((new Grayscale(3).forward(rgb) as RawImage).channels).toBe(3);
  });
});
