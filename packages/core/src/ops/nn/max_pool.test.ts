/**
 * Max pooling, forward and backward, on both paths: Duet's DuetMaxPool and
 * DuetMaxPoolGrad (native/ops/max_pool.cc) when they are built, TensorFlow's
 * MaxPool and MaxPoolGrad otherwise or with `useCustomKernels(false)`. Both
 * must give the same floats, bit for bit: the pooled values, and every
 * window's gradient on the same input element: random inputs, all-equal
 * windows, NaN, signed zeros and -Infinity (MaxPool keeps NaN out and gives
 * -FLT_MAX for a window of -Infinity; MaxPoolGrad takes a NaN that comes
 * first), padding (PyTorch's and TensorFlow's 'same', whose edge windows are
 * partly padding), overlapping windows (stride < window, where the gradients
 * of several windows add up on one element), ceil mode, NCHW inputs and 1-d
 * pooling.
 */
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../../../../test/helpers.js';
import { ArgumentError, countKernels, customKernelStatus, functional as F, manualSeed, oneDnnPoolingSupported, rand, randn, scope, tensor, useCustomKernels, useOneDnnPooling, type Tensor } from '../../index.js';
import { oneDnnEnabled } from '../../kernels/custom.js';
import { tf } from '../../engine.js';
import * as K from '../../kernels/nn.js';

type Pool = (x: Tensor) => Tensor;
const status = customKernelStatus();

/** `n` uniform values in [0, 1) from seed `seed`, as an array (so both paths see the same inputs). */
const uniform = (n: number, seed: number): Float32Array => scope(() => {
  manualSeed(seed);
  return Float32Array.from(rand([n]).dataSync());
});
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const gaussian = (shape: number[], seed: number) => uniform(numel(shape), seed).map((u, i) => Math.tan((u - 0.5) * 3) + i * 1e-7);
/** Few distinct values: most windows hold ties. */
const ties = (shape: number[], seed: number) => uniform(numel(shape), seed).map((u) => Math.floor(u * 3));
/** NaN, -0, +0, -Infinity and ordinary values mixed. */
const special = (shape: number[], seed: number) =>
  uniform(numel(shape), seed).map((u) => (u < 0.15 ? NaN : u < 0.35 ? -0 : u < 0.55 ? 0 : u < 0.65 ? -Infinity : u));
/** Upstream gradients with -0 and NaN among them (0 + -0 = +0 must come out as MaxPoolGrad gives it). */
const upstream = (shape: number[], seed: number) => uniform(numel(shape), seed).map((u) => (u < 0.2 ? -0 : u < 0.25 ? NaN : u - 0.5));

/**
 * The kernels a path runs: 'duet' = Duet's DuetMaxPool / DuetMaxPoolGrad,
 * 'stock' = TensorFlow's MaxPool / MaxPoolGrad, 'onednn' = oneDNN's
 * workspace kernels where they apply (unpadded windows), else Duet's.
 */
type Path = 'duet' | 'stock' | 'onednn';

/** The pooled values and x's gradient through `pool` for upstream gradient `dy` on `path` (true = 'duet', false = 'stock'); the bits of each float. */
function poolBits(pool: Pool, xs: Float32Array, shape: number[], dyOf: (outShape: number[]) => Float32Array, path: Path | boolean): { y: Uint32Array; dx: Uint32Array } {
  const p: Path = path === true ? 'duet' : path === false ? 'stock' : path;
  useCustomKernels(p !== 'stock');
  useOneDnnPooling(p === 'onednn');
  try {
    return scope(() => {
      const x = tensor(xs).reshape(shape).detach().requiresGrad_();
      const y = pool(x);
      y.backward(tensor(dyOf([...y.shape])).reshape([...y.shape]));
      const bits = (t: Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
      return { y: bits(y), dx: bits(x.grad!) };
    });
  } finally {
    useCustomKernels(true);
    useOneDnnPooling(true);
  }
}

const cases: [string, number[], Pool][] = [
  ['Keras CNN pool 1: 2x2 on [8, 26, 26, 32] NHWC', [8, 26, 26, 32], (x) => F.maxPool2d(x, 2, { dataFormat: 'NHWC' })],
  ['Keras CNN pool 2: 2x2 on [8, 11, 11, 64] NHWC (last row and column in no window)', [8, 11, 11, 64], (x) => F.maxPool2d(x, 2, { dataFormat: 'NHWC' })],
  ["3x3 stride 2 'same' NHWC (odd padding after)", [2, 7, 8, 5], (x) => F.maxPool2d(x, 3, { stride: 2, padding: 'same', dataFormat: 'NHWC' })],
  ["2x2 stride 1 'same' NHWC (overlapping, pad after only)", [2, 6, 5, 3], (x) => F.maxPool2d(x, 2, { stride: 1, padding: 'same', dataFormat: 'NHWC' })],
  ['3x3 stride 1 padding 1 NCHW (overlapping windows)', [2, 3, 7, 9], (x) => F.maxPool2d(x, 3, { stride: 1, padding: 1 })],
  ['3x2 stride [2, 1] padding [1, 0] ceil mode NCHW', [2, 4, 8, 7], (x) => F.maxPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true })],
  ['2x2 stride 3 NCHW (gaps between windows)', [1, 2, 8, 8], (x) => F.maxPool2d(x, 2, { stride: 3 })],
  ['3x3 stride 2 unpadded NHWC (overlapping windows, no padding)', [2, 9, 8, 3], (x) => F.maxPool2d(x, 3, { stride: 2, dataFormat: 'NHWC' })],
  ['3x2 stride [1, 2] unpadded NHWC (overlapping rows)', [2, 6, 7, 4], (x) => F.maxPool2d(x, [3, 2], { stride: [1, 2], dataFormat: 'NHWC' })],
  ['maxPool1d k 3 stride 2 padding 1', [3, 4, 11], (x) => F.maxPool1d(x, 3, { stride: 2, padding: 1 })],
];

describe('max pooling, Duet kernels and stock kernels', () => {
  describe.each(cases)('%s', (_, shape, pool) => {
    it.each([
      ['random', gaussian],
      ['ties', ties],
      ['all equal', (s: number[]) => new Float32Array(numel(s)).fill(1.5)],
      ['NaN, signed zeros, -Infinity', special],
    ] as const)('%s inputs: the same bits on both paths, forward and backward', (_, make) => {
      const xs = make(shape, 7);
      const dy = (s: number[]) => upstream(s, 11);
      const stock = poolBits(pool, xs, shape, dy, false);
      const custom = poolBits(pool, xs, shape, dy, true);
      expect(custom.y).toEqual(stock.y);
      expect(custom.dx).toEqual(stock.dx);
    });
  });

  it('sends each window\'s gradient to the first maximum in row-major order (stock path as well)', () => {
    // One 2x2 window with ties; NaN second (does not replace 1), then 2 twice: the first 2 takes it.
    for (const custom of [true, false]) {
      const { dx } = poolBits((x) => F.maxPool2d(x, 2, { dataFormat: 'NHWC' }), Float32Array.of(1, NaN, 2, 2), [1, 2, 2, 1], () => Float32Array.of(5), custom);
      expect(Array.from(new Float32Array(dx.buffer))).toEqual([0, 0, 5, 0]);
    }
  });

  it('keeps NaN out of the maximum and gives -FLT_MAX for a window of -Infinity, on both paths', () => {
    // Channel 0 holds NaN, 1, -2, NaN; channel 1 only -Infinity.
    for (const custom of [true, false]) {
      const { y } = poolBits((x) => F.maxPool2d(x, 2, { dataFormat: 'NHWC' }), Float32Array.of(NaN, -Infinity, 1, -Infinity, -2, -Infinity, NaN, -Infinity), [1, 2, 2, 2], () => Float32Array.of(1, 1), custom);
      expect(Array.from(new Float32Array(y.buffer))).toEqual([1, -3.4028234663852886e38]);
    }
  });

  it.runIf(status.enabled)('runs DuetMaxPool and DuetMaxPoolGrad instead of MaxPool and MaxPoolGrad, one kernel each', () => {
    const backward = (custom: boolean) => {
      useCustomKernels(custom);
      useOneDnnPooling(false);
      try {
        return scope(() => {
          manualSeed(0);
          const x = randn([4, 10, 10, 8], { requiresGrad: true });
          const fwd = countKernels(() => F.maxPool2d(x, 2, { dataFormat: 'NHWC' }));
          const g = randn([...fwd.result.shape]);
          const bwd = countKernels(() => fwd.result.backward(g));
          return { kernels: fwd.kernels + bwd.kernels, byName: { ...fwd.byName, ...bwd.byName } };
        });
      } finally {
        useCustomKernels(true);
        useOneDnnPooling(true);
      }
    };
    const on = backward(true);
    const off = backward(false);
    expect(on.byName).toMatchObject({ DuetMaxPool: 1, DuetMaxPoolGrad: 1 });
    expect(on.byName.MaxPool).toBeUndefined();
    expect(on.byName.MaxPoolGrad).toBeUndefined();
    expect(off.byName).toMatchObject({ MaxPool: 1, MaxPoolGrad: 1 });
    expect(off.byName.DuetMaxPool).toBeUndefined();
    expect(off.byName.DuetMaxPoolGrad).toBeUndefined();
    expect(on.kernels).toBe(off.kernels);
  });

  it('leaks no native tensor', () => {
    expectNoLeaks(() => {
      const x = randn([2, 9, 9, 4], { requiresGrad: true });
      F.maxPool2d(x, 3, { stride: 2, padding: 'same', dataFormat: 'NHWC' }).sum().backward();
    });
  });
});

describe('max pooling on oneDNN\'s workspace kernels (_MklNativeMaxPool / _MklNativeMaxPoolGrad)', () => {
  it('is available whenever TensorFlow runs oneDNN (a failed probe cannot hide behind the fallback)', () => {
    expect(oneDnnPoolingSupported()).toBe(oneDnnEnabled() === true);
  });

  describe.runIf(oneDnnPoolingSupported()).each(cases)('%s', (_, shape, pool) => {
    it.each([
      ['random', gaussian],
      ['ties', ties],
      ['all equal', (s: number[]) => new Float32Array(numel(s)).fill(1.5)],
      ['signed zeros and -Infinity', (s: number[], seed: number) => special(s, seed).map((v) => (Number.isNaN(v) ? 0.25 : v))],
    ] as const)('%s inputs: the stock kernels\' bits, forward and backward', (_, make) => {
      const xs = make(shape, 7);
      const dy = (s: number[]) => upstream(s, 11);
      const stock = poolBits(pool, xs, shape, dy, 'stock');
      const onednn = poolBits(pool, xs, shape, dy, 'onednn');
      expect(onednn.y).toEqual(stock.y);
      expect(onednn.dx).toEqual(stock.dx);
    });
  });

  it.runIf(oneDnnPoolingSupported())('keeps NaN out of the maximum as MaxPool does, and sends the gradient to that maximum (MaxPoolGrad sends it to a NaN that comes first)', () => {
    const pool = (x: Tensor) => F.maxPool2d(x, 2, { dataFormat: 'NHWC' });
    const xs = Float32Array.of(NaN, 3, 1, 2);
    const onednn = poolBits(pool, xs, [1, 2, 2, 1], () => Float32Array.of(5), 'onednn');
    const stock = poolBits(pool, xs, [1, 2, 2, 1], () => Float32Array.of(5), 'stock');
    expect(Array.from(new Float32Array(onednn.y.buffer))).toEqual([3]);
    expect(onednn.y).toEqual(stock.y);
    expect(Array.from(new Float32Array(onednn.dx.buffer))).toEqual([0, 5, 0, 0]);
    expect(Array.from(new Float32Array(stock.dx.buffer))).toEqual([5, 0, 0, 0]);
  });

  it.runIf(oneDnnPoolingSupported())('runs one oneDNN kernel each way when training, and Duet\'s or TensorFlow\'s kernels without gradients or with padding', () => {
    const kernels = (fn: () => void) => scope(() => countKernels(fn).byName);
    manualSeed(0);
    const x = randn([4, 10, 10, 8], { requiresGrad: true });
    const train = kernels(() => F.maxPool2d(x, 2, { dataFormat: 'NHWC' }).sum().backward());
    expect(train).toMatchObject({ _MklNativeMaxPool: 1, _MklNativeMaxPoolGrad: 1 });
    const infer = kernels(() => void F.maxPool2d(x.detach(), 2, { dataFormat: 'NHWC' }));
    expect(infer._MklNativeMaxPool).toBeUndefined();
    const padded = kernels(() => F.maxPool2d(x, 3, { stride: 2, padding: 'same', dataFormat: 'NHWC' }).sum().backward());
    expect(padded._MklNativeMaxPool).toBeUndefined();
    expect(padded._MklNativeMaxPoolGrad).toBeUndefined();
    x.dispose();
  });

  it('leaks no native tensor: the workspace is freed with the graph, after backward() or without one', () => {
    expectNoLeaks(() => {
      const x = randn([2, 8, 8, 4], { requiresGrad: true });
      F.maxPool2d(x, 2, { dataFormat: 'NHWC' }).sum().backward();
      scope(() => void F.maxPool2d(x, 2, { dataFormat: 'NHWC' }));
      x.dispose();
    });
  });
});

describe.runIf(status.enabled)('DuetMaxPool and DuetMaxPoolGrad called directly', () => {
  const win: K.Window = { stride: [2, 2], dilation: [1, 1], pads: [0, 0, 0, 0] };
  it('rejects a gradient whose shape is not the pooled output\'s, with a typed error saying both', () => {
    const x = tf().zeros([2, 6, 6, 3]);
    const bad = tf().zeros([2, 3, 4, 3]);
    const flat = tf().zeros([6, 6, 3]);
    try {
      expect(() => K.maxPoolGrad(x, x, bad, [2, 2], win)).toThrow(ArgumentError);
      expect(() => K.maxPoolGrad(x, x, bad, [2, 2], win)).toThrow(/grad must have the pooled output's shape \[2,3,3,3\] for orig_input \[2,6,6,3\], received \[2,3,4,3\]/);
      expect(() => K.maxPoolGrad(flat, flat, bad, [2, 2], win)).toThrow(/orig_input must be \[N, H, W, C\], received shape \[6,6,3\]/);
      expect(() => K.maxPool(flat, [2, 2], win)).toThrow(ArgumentError);
      expect(() => K.maxPool(flat, [2, 2], win)).toThrow(/DuetMaxPool: orig_input must be \[N, H, W, C\], received shape \[6,6,3\]/);
    } finally {
      for (const t of [x, bad, flat]) t.dispose();
    }
  });
});
