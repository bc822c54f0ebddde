import { describe, expect, it } from 'vitest';
import { manualSeed } from '@duet/core';
import { ColorJitter, RandomErasing } from './color.js';
import { HostTensor, RawImage } from '../host.js';

describe('ColorJitter', () => {
  it('brightness multiplies and clamps', () => {
    const img = new RawImage(Uint8Array.from([10, 100, 200]), 1, 3, 1);
    expect(Array.from((new ColorJitter({ brightness: [2, 2] }).forward(img) as RawImage).data)).toEqual([20, 200, 255]);
    const t = new HostTensor(new Float32Array([0.2, 0.6]), [1, 1, 2]);
    const b = new ColorJitter({ brightness: [0.5, 0.5] }).forward(t) as HostTensor;
    expect(b.data[0]).toBeCloseTo(0.1);
    expect(b.data[1]).toBeCloseTo(0.3);
  });

  it('contrast blends with the mean grey level', () => {
    const t = new HostTensor(new Float32Array([0.2, 0.6]), [1, 1, 2]);
    const c = new ColorJitter({ contrast: [0, 0] }).forward(t) as HostTensor;
    expect(c.data[0]).toBeCloseTo(0.4);
    expect(c.data[1]).toBeCloseTo(0.4);
    const d = new ColorJitter({ contrast: [2, 2] }).forward(t) as HostTensor;
    expect(d.data[0]).toBeCloseTo(0);
    expect(d.data[1]).toBeCloseTo(0.8);
  });

  it('saturation 0 gives grey; a hue shift of half a turn turns red into cyan', () => {
    const red = new HostTensor(new Float32Array([1, 0, 0]), [3, 1, 1]);
    const grey = new ColorJitter({ saturation: [0, 0] }).forward(red) as HostTensor;
    expect(Array.from(grey.data).map((v) => +v.toFixed(3))).toEqual([0.299, 0.299, 0.299]);
    const cyan = new ColorJitter({ hue: [0.5, 0.5] }).forward(red) as HostTensor;
    expect(Array.from(cyan.data).map((v) => +v.toFixed(3))).toEqual([0, 1, 1]);
  });

  it('is reproducible under manualSeed and validates its ranges', () => {
    const t = new HostTensor(Float32Array.from({ length: 12 }, (_, i) => i / 12), [3, 2, 2]);
    const j = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    manualSeed(4);
    const a = Array.from((j.forward(t) as HostTensor).data);
    manualSeed(4);
    expect(Array.from((j.forward(t) as HostTensor).data)).toEqual(a);
    expect(() => new ColorJitter({ hue: 0.7 })).toThrow(/hue values must be within \[-0.5, 0.5\]/);
    expect(() => new ColorJitter({ brightness: -1 })).toThrow(/non-negative/);
  });
});

describe('RandomErasing', () => {
  it('erases one rectangle of a tensor image with p = 1', () => {
    manualSeed(0);
    const t = new HostTensor(new Float32Array(3 * 20 * 20).fill(1), [3, 20, 20]);
    const out = new RandomErasing({ p: 1, value: 0 }).forward(t) as HostTensor;
    const zeros = out.data.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros % 3).toBe(0); // the same rectangle in each channel
    expect(zeros / 3).toBeLessThanOrEqual(0.33 * 400 * 1.2);
    expect(t.data.every((v) => v === 1)).toBe(true); // not in place
    expect(new RandomErasing({ p: 0 }).forward(t)).toBe(t);
    const rnd = new RandomErasing({ p: 1, value: 'random' }).forward(t) as HostTensor;
    expect(rnd.data.some((v) => v !== 1 && v !== 0)).toBe(true);
    expect(() => new RandomErasing({ p: 1 }).forward(new RawImage(new Uint8Array(4), 2, 2))).toThrow(/put transforms.ToTensor\(\) before it/);
  });
});
