import { describe, expect, it } from 'vitest';
import { manualSeed, tensor, Tensor } from '@duet/core';
import { CenterCrop, Pad, RandomCrop, RandomHorizontalFlip, RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize } from './geometric.js';
import { HostTensor, RawImage } from '../host.js';
import { DataOptionError } from '../errors.js';
import goldenJson from '../../fixtures/resize_golden.json' with { type: 'json' };

const golden = goldenJson as { cases: { shape: number[]; size: number[]; input: number[]; expected: number[] }[] };

/** A 1-channel tensor image [1, h, w] with values 0..h*w-1. */
const grid = (h: number, w: number) => new HostTensor(Float32Array.from({ length: h * w }, (_, i) => i), [1, h, w]);
const rows = (x: HostTensor) => {
  const [h, w] = x.shape.slice(-2) as [number, number];
  return Array.from({ length: h }, (_, y) => Array.from(x.data.subarray(y * w, (y + 1) * w)));
};

describe('flips', () => {
  it('flip tensor images and HWC images', () => {
    expect(rows(new RandomHorizontalFlip(1).forward(grid(2, 3)))).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(rows(new RandomVerticalFlip(1).forward(grid(2, 3)))).toEqual([[3, 4, 5], [0, 1, 2]]);
    expect(new RandomHorizontalFlip(0).forward(grid(2, 3)).data[0]).toBe(0);
    const img = new RawImage(Uint8Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 3);
    expect(Array.from((new RandomHorizontalFlip(1).forward(img) as RawImage).data)).toEqual([4, 5, 6, 1, 2, 3]);
    const t = new RandomHorizontalFlip(1).forward(tensor([[[1, 2]]])) as Tensor;
    expect(t.toArray()).toEqual([[[2, 1]]]);
    expect(() => new RandomHorizontalFlip(2)).toThrow(/p must be a probability in \[0, 1\]; received 2/);
  });

  it('flip about half the time, reproducibly under manualSeed', () => {
    const flip = new RandomHorizontalFlip();
    manualSeed(1);
    const a = Array.from({ length: 200 }, () => flip.forward(grid(1, 2)).data[0]);
    manualSeed(1);
    const b = Array.from({ length: 200 }, () => flip.forward(grid(1, 2)).data[0]);
    expect(b).toEqual(a);
    const flipped = a.filter((v) => v === 1).length;
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });
});

describe('crops and padding', () => {
  it('CenterCrop takes the middle, and pads images that are too small', () => {
    expect(rows(new CenterCrop(2).forward(grid(4, 4)) as HostTensor)).toEqual([[5, 6], [9, 10]]);
    expect(rows(new CenterCrop([1, 3]).forward(grid(3, 3)) as HostTensor)).toEqual([[3, 4, 5]]);
    expect(rows(new CenterCrop(4).forward(grid(2, 2)) as HostTensor)).toEqual([[0, 0, 0, 0], [0, 0, 1, 0], [0, 2, 3, 0], [0, 0, 0, 0]]);
  });

  it('Pad supports constant, edge, reflect and symmetric (numpy.pad semantics)', () => {
    const x = new HostTensor(new Float32Array([1, 2, 3]), [1, 1, 3]);
    const pad = (mode: any) => rows(new Pad([2, 0], { paddingMode: mode, fill: 9 }).forward(x) as HostTensor)[0];
    expect(pad('constant')).toEqual([9, 9, 1, 2, 3, 9, 9]);
    expect(pad('edge')).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(pad('reflect')).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(pad('symmetric')).toEqual([2, 1, 1, 2, 3, 3, 2]);
    expect(() => new Pad(1, { paddingMode: 'wrap' as never })).toThrow(/paddingMode must be/);
  });

  it('RandomCrop picks a window of the padded image', () => {
    manualSeed(0);
    const img = new RawImage(Uint8Array.from({ length: 784 }, (_, i) => i % 251), 28, 28);
    const out = new RandomCrop(28, { padding: 4 }).forward(img) as RawImage;
    expect(out.shape).toEqual([28, 28, 1]);
    const c = new RandomCrop(2).forward(grid(3, 3)) as HostTensor;
    const r = rows(c);
    expect(r[1]![0]! - r[0]![0]!).toBe(3); // a real 2x2 window
    expect(r[0]![1]! - r[0]![0]!).toBe(1);
    expect(() => new RandomCrop(5).forward(grid(3, 3))).toThrow(/required crop size \[5, 5\] is larger than the \(padded\) image \[3, 3\]/);
    expect((new RandomCrop(5, { padIfNeeded: true }).forward(grid(3, 3)) as HostTensor).shape).toEqual([1, 5, 5]);
    expect(() => new RandomCrop(0)).toThrow(DataOptionError);
  });

  it('RandomResizedCrop gives the requested size', () => {
    manualSeed(2);
    const t = new RandomResizedCrop(8);
    for (let i = 0; i < 20; i++) expect((t.forward(grid(20, 30)) as HostTensor).shape).toEqual([1, 8, 8]);
    const [top, left, h, w] = t.getParams(20, 30);
    expect(top + h).toBeLessThanOrEqual(20);
    expect(left + w).toBeLessThanOrEqual(30);
  });
});

describe('Resize', () => {
  it('keeps constant images constant and the aspect ratio for an int size', () => {
    const c = new HostTensor(new Float32Array(6 * 9).fill(0.25), [1, 6, 9]);
    const y = new Resize(4).forward(c) as HostTensor;
    expect(y.shape).toEqual([1, 4, 6]);
    for (const v of y.data) expect(v).toBeCloseTo(0.25, 6);
    expect((new Resize([3, 5]).forward(c) as HostTensor).shape).toEqual([1, 3, 5]);
    const img = new RawImage(new Uint8Array(10 * 20 * 3).fill(200), 10, 20, 3);
    const r = new Resize(5).forward(img) as RawImage;
    expect(r.shape).toEqual([5, 10, 3]);
    expect(r.data.every((v) => v === 200)).toBe(true);
  });

  it('bilinear matches PyTorch (antialias=True, like PIL and torchvision) when shrinking and growing', () => {
    // Golden values: packages/data/scripts/gen_resize_golden.py
    for (const c of golden.cases) {
      const y = new Resize(c.size).forward(new HostTensor(Float32Array.from(c.input), c.shape)) as HostTensor;
      expect(y.shape).toEqual([2, ...c.size]);
      y.data.forEach((v, i) => expect(Math.abs(v - c.expected[i]!)).toBeLessThan(1e-5));
    }
  });

  it('nearest picks pixels; half-pixel centers when growing', () => {
    const x = grid(2, 4); // [[0,1,2,3],[4,5,6,7]]
    expect(rows(new Resize([1, 2], { interpolation: 'nearest' }).forward(x) as HostTensor)).toEqual([[0, 2]]);
    // Upsampling 2 -> 4 with half-pixel centers: 0, 0.25, 0.75, 1 (times the step).
    const up = new Resize([1, 4]).forward(new HostTensor(new Float32Array([0, 4]), [1, 1, 2])) as HostTensor;
    expect(Array.from(up.data)).toEqual([0, 1, 3, 4]);
  });
});

describe('RandomRotation', () => {
  it('rotates counter-clockwise by the drawn angle', () => {
    const x = grid(3, 3); // [[0,1,2],[3,4,5],[6,7,8]]
    expect(rows(new RandomRotation([90, 90]).forward(x) as HostTensor)).toEqual([[2, 5, 8], [1, 4, 7], [0, 3, 6]]);
    expect(rows(new RandomRotation([0, 0]).forward(x) as HostTensor)).toEqual(rows(x));
    const r = new RandomRotation([45, 45], { fill: -1 }).forward(grid(4, 4)) as HostTensor;
    expect(r.data).toContain(-1); // corners uncovered
    expect(() => new RandomRotation(-5)).toThrow(/must be non-negative/);
  });
});
