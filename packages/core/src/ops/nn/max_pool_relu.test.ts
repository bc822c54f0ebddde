/**
 * Max pooling of a conv + ReLU output in training: Duet's DuetMaxPoolArgmax
 * and DuetMaxPoolGradArgmax (native/ops/max_pool.cc), which send the
 * gradient back through the pooling, the ReLU and the bias in one pass
 * (pool.ts hands the result to the conv's rule, conv.ts; autograd.ts's
 * `passAlong`).
 *
 * - The kernels against TensorFlow's stock ones, bit for bit: the pooled
 *   values (MaxPool), the gradient without the ReLU (MaxPoolGrad) and with it
 *   (ReluGrad of MaxPoolGrad), over windows that tile, leave rows out,
 *   overlap, leave gaps or are padded, channel counts with and without a
 *   vector tail, and inputs with ties, NaN, signed zeros and -Infinity; the
 *   bias gradient against a float64 sum.
 * - The fusion against the separate kernels (`useArgmaxPooling(false)`): the
 *   same input and filter gradients bit for bit, the bias's to float
 *   rounding; and where it must not apply: `grad()` of the conv's output
 *   (its true gradient), a conv output that is also used elsewhere, no bias,
 *   a bias without gradient, NCHW, retainGraph.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../../../../../test/helpers.js';
import { countKernels, customKernelStatus, functional as F, grad, manualSeed, rand, randn, scope, tensor, useArgmaxPooling, useCustomKernels, type Tensor } from '../../index.js';
import { tf } from '../../engine.js';
import { binaryKernel, type TfTensor } from '../../kernels/index.js';
import * as K from '../../kernels/nn.js';

const status = customKernelStatus();

const uniform = (n: number, seed: number): Float32Array => scope(() => {
  manualSeed(seed);
  return Float32Array.from(rand([n]).dataSync());
});
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const inputs: [string, (n: number, seed: number) => Float32Array][] = [
  ['random', (n, s) => uniform(n, s).map((u) => Math.tan((u - 0.5) * 3))],
  ['ReLU outputs (many zeros)', (n, s) => uniform(n, s).map((u) => Math.max(0, u - 0.5))],
  ['ties', (n, s) => uniform(n, s).map((u) => Math.floor(u * 3))],
  ['NaN, signed zeros, -Infinity', (n, s) => uniform(n, s).map((u) => (u < 0.15 ? NaN : u < 0.35 ? -0 : u < 0.55 ? 0 : u < 0.65 ? -Infinity : u))],
];
const upstream = (n: number, seed: number) => uniform(n, seed).map((u) => (u < 0.2 ? -0 : u < 0.25 ? NaN : u - 0.5));

/** [name, NHWC input shape, window, stride, pads [top, bottom, left, right]]. */
const windows: [string, number[], [number, number], [number, number], [number, number, number, number]][] = [
  ['2x2 tiling 26x26, 32 channels (the Keras CNN\'s first pool)', [3, 26, 26, 32], [2, 2], [2, 2], [0, 0, 0, 0]],
  ['2x2 on 11x11, 64 channels (last row and column in no window)', [2, 11, 11, 64], [2, 2], [2, 2], [0, 0, 0, 0]],
  ['2x2 tiling, 13 channels (a vector and a tail)', [2, 6, 8, 13], [2, 2], [2, 2], [0, 0, 0, 0]],
  ['2x2 tiling, 3 channels (tail only)', [2, 4, 6, 3], [2, 2], [2, 2], [0, 0, 0, 0]],
  ['3x3 stride 3 on 7x8', [2, 7, 8, 5], [3, 3], [3, 3], [0, 0, 0, 0]],
  ["2x2 stride 2 'same' on 5x5 (a partial window after)", [2, 5, 5, 16], [2, 2], [2, 2], [0, 1, 0, 1]],
  ['2x2 stride 1 (overlapping)', [2, 5, 6, 4], [2, 2], [1, 1], [0, 0, 0, 0]],
  ['3x3 stride 2 padded 1 (overlapping, edge windows partly padding)', [2, 7, 9, 6], [3, 3], [2, 2], [1, 1, 1, 1]],
  ['2x2 stride 3 (gaps between windows)', [1, 8, 8, 9], [2, 2], [3, 3], [0, 0, 0, 0]],
  ['3x2 stride [2, 1], padding after only', [2, 6, 7, 4], [3, 2], [2, 1], [0, 1, 0, 1]],
];

const bits = (t: TfTensor) => new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer);

describe.runIf(status.enabled)('DuetMaxPoolArgmax and DuetMaxPoolGradArgmax against MaxPool, MaxPoolGrad and ReluGrad', () => {
  describe.each(windows)('%s', (_, shape, k, stride, pads) => {
    const win: K.Window = { stride, dilation: [1, 1], pads };
    it.each(inputs)('%s inputs: the same bits', (_, make) => {
      const T = tf();
      const x = T.tensor(make(numel(shape), 3), shape);
      const stockY = (() => {
        useCustomKernels(false);
        try {
          return K.maxPool(x, k, win);
        } finally {
          useCustomKernels(true);
        }
      })();
      const dy = T.tensor(upstream(numel(stockY.shape), 5), stockY.shape);
      const [y, argmax] = K.maxPoolArgmax(x, k, win);
      expect(argmax.dtype).toBe('int32'); // tfjs reads uint8 as int32
      expect(bits(y)).toEqual(bits(stockY));
      useCustomKernels(false);
      let stockDx: TfTensor;
      try {
        stockDx = K.maxPoolGrad(x, stockY, dy, k, win);
      } finally {
        useCustomKernels(true);
      }
      const stockThroughRelu = binaryKernel('ReluGrad', stockDx, x);
      const [dx, db] = K.maxPoolGradArgmax(argmax, dy, shape, k, win, false);
      const [dxRelu, dbRelu] = K.maxPoolGradArgmax(argmax, dy, shape, k, win, true);
      expect(bits(dx)).toEqual(bits(stockDx));
      expect(bits(dxRelu)).toEqual(bits(stockThroughRelu));
      // The bias gradient: the float64 sum of the result per channel.
      for (const [g, b] of [[dx, db], [dxRelu, dbRelu]] as const) {
        const c = shape[3]!;
        const v = g.dataSync();
        const sums = new Float64Array(c);
        for (let i = 0; i < v.length; i++) sums[i % c]! += v[i]!;
        expect(b.shape).toEqual([c]);
        expectClose(Array.from(b.dataSync()), Array.from(sums, (s) => Math.fround(s)), { atol: 1e-6, rtol: 1e-6 });
      }
      for (const t of [x, stockY, dy, y, argmax, stockDx, stockThroughRelu, dx, db, dxRelu, dbRelu]) t.dispose();
    });
  });

  it('rejects shapes that do not match and windows over 126 positions, with typed errors saying what was expected', () => {
    const T = tf();
    const win: K.Window = { stride: [2, 2], dilation: [1, 1], pads: [0, 0, 0, 0] };
    const x = T.zeros([2, 6, 6, 3]);
    const [, argmax] = K.maxPoolArgmax(x, [2, 2], win);
    const bad = T.zeros([2, 3, 4, 3]);
    try {
      expect(() => K.maxPoolGradArgmax(argmax, bad, [2, 6, 6, 3], [2, 2], win, true)).toThrow(
        /DuetMaxPoolGradArgmax: argmax and grad must have the pooled output's shape \[2,3,3,3\] for orig_input_shape \[2,6,6,3\], received \[2,3,3,3\] and \[2,3,4,3\]/,
      );
      expect(() => K.maxPoolArgmax(x, [12, 12], { ...win, stride: [1, 1] })).toThrow(/DuetMaxPoolArgmax: a window of at most 126 positions, received ksize \[1, 12, 12, 1\]/);
      expect(K.argmaxPooling([12, 12])).toBe(false);
    } finally {
      for (const t of [x, argmax, bad]) t.dispose();
    }
  });
});

/** `fn` with Duet's pooling through the ReLU on or off (restored to on after). */
function withArgmaxPooling<T>(on: boolean, fn: () => T): T {
  useArgmaxPooling(on);
  try {
    return fn();
  } finally {
    useArgmaxPooling(true);
  }
}

interface Grads {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  kernels: Record<string, number>;
}

/**
 * conv2d (+ bias) with ReLU, then 2x2 max pooling, then `head` to a scalar;
 * the gradients of x, the filter and the bias, with the fusion on or off.
 */
function convReluPool(fused: boolean, opts: { nchw?: boolean; bias?: boolean; biasGrad?: boolean; separateRelu?: boolean; head?: (conv: Tensor, pooled: Tensor) => Tensor } = {}): Grads {
  const { nchw = false, bias = true, biasGrad = true, separateRelu = false } = opts;
  return withArgmaxPooling(fused, () =>
    scope(() => {
      manualSeed(1);
      const x = randn(nchw ? [4, 3, 12, 12] : [4, 12, 12, 3], { requiresGrad: true });
      const w = randn(nchw ? [8, 3, 3, 3] : [3, 3, 3, 8]).mul(0.3).detach().requiresGrad_();
      const b = bias ? randn([8]).mul(0.5).detach().requiresGrad_(biasGrad) : null;
      const up = randn(nchw ? [4, 8, 5, 5] : [4, 5, 5, 8]);
      const { byName } = countKernels(() => {
        const dataFormat = nchw ? 'NCHW' : 'NHWC';
        // PyTorch's spelling, F.relu(F.conv2d(...)), or Keras's Conv2D(..., { activation: 'relu' }).
        const conv = separateRelu ? F.conv2d(x, w, b, { dataFormat }).relu() : F.conv2d(x, w, b, { activation: 'relu', dataFormat });
        const pooled = F.maxPool2d(conv, 2, { dataFormat: nchw ? 'NCHW' : 'NHWC' });
        const loss = opts.head ? opts.head(conv, pooled) : pooled.mul(up).sum();
        loss.backward();
      });
      const arr = (t: Tensor | null | undefined) => (t ? Float32Array.from(t.dataSync()) : null);
      return { x: arr(x.grad)!, w: arr(w.grad)!, b: biasGrad ? arr(b?.grad) : null, kernels: byName };
    }),
  );
}

function expectSameGrads(fused: Grads, separate: Grads): void {
  expect(fused.x).toEqual(separate.x);
  expect(fused.w).toEqual(separate.w);
  if (separate.b === null) expect(fused.b).toBeNull();
  else expectClose(Array.from(fused.b!), Array.from(separate.b), { atol: 1e-5, rtol: 1e-6 });
}

describe.runIf(status.enabled)('conv + ReLU -> max pool: the gradient through pooling, ReLU and bias in one kernel', () => {
  it('gives the separate kernels\' input and filter gradients bit for bit, and the bias\'s to rounding, in 2 kernels instead of 3', () => {
    convReluPool(false); // the first run of each path probes oneDNN's kernels once per process: not counted
    convReluPool(true);
    const fused = convReluPool(true);
    const separate = convReluPool(false);
    expectSameGrads(fused, separate);
    expect(fused.kernels).toMatchObject({ DuetMaxPoolArgmax: 1, DuetMaxPoolGradArgmax: 1 });
    for (const k of ['DuetBiasAddReluGrad', 'ReluGrad', 'BiasAddGrad', 'MaxPoolGrad', 'DuetMaxPoolGrad', '_MklNativeMaxPoolGrad']) expect(fused.kernels[k]).toBeUndefined();
    expect(separate.kernels.DuetMaxPoolArgmax).toBeUndefined();
    const count = (k: Record<string, number>) => Object.values(k).reduce((a, b) => a + b, 0);
    expect(count(fused.kernels)).toBe(count(separate.kernels) - 1);
  });

  it('also for NCHW tensors, without a bias, and with a bias that needs no gradient', () => {
    expectSameGrads(convReluPool(true, { nchw: true }), convReluPool(false, { nchw: true }));
    expectSameGrads(convReluPool(true, { bias: false }), convReluPool(false, { bias: false }));
    expectSameGrads(convReluPool(true, { biasGrad: false }), convReluPool(false, { biasGrad: false }));
  });

  it('also for a separate relu() of the conv (PyTorch\'s spelling): ReluGrad and BiasAddGrad are left out', () => {
    for (const nchw of [true, false]) {
      convReluPool(true, { separateRelu: true, nchw });
      const fused = convReluPool(true, { separateRelu: true, nchw });
      const separate = convReluPool(false, { separateRelu: true, nchw });
      expectSameGrads(fused, separate);
      expect(fused.kernels).toMatchObject({ DuetMaxPoolArgmax: 1, DuetMaxPoolGradArgmax: 1 });
      for (const k of ['ReluGrad', 'BiasAddGrad', 'DuetBiasAddReluGrad']) expect(fused.kernels[k]).toBeUndefined();
      expect(separate.kernels).toMatchObject({ ReluGrad: 1, BiasAddGrad: 1 });
      // relu()'s pass-through is a new handle on the same data, not a kernel: 2 kernels fewer in all.
      const count = (k: Record<string, number>) => Object.values(k).reduce((a, b) => a + b, 0);
      expect(count(fused.kernels)).toBe(count(separate.kernels) - 2);
    }
    expectSameGrads(convReluPool(true, { separateRelu: true, bias: false }), convReluPool(false, { separateRelu: true, bias: false }));
    const head = (conv: Tensor, pooled: Tensor) => pooled.sum().add(conv.mul(conv).sum().mul(0.1));
    expectSameGrads(convReluPool(true, { separateRelu: true, head }), convReluPool(false, { separateRelu: true, head }));
  });

  it('also for relu() of something else than a conv (the sum per channel is dropped)', () => {
    const run = (fused: boolean) =>
      withArgmaxPooling(fused, () =>
        scope(() => {
          manualSeed(5);
          const x = randn([2, 6, 6, 3], { requiresGrad: true });
          F.maxPool2d(x.mul(2).sub(0.5).relu(), 2, { dataFormat: 'NHWC' }).mul(randn([2, 3, 3, 3])).sum().backward();
          return Float32Array.from(x.grad!.dataSync());
        }),
      );
    expect(run(true)).toEqual(run(false));
    expectNoLeaks(() => void run(true));
  });

  it('is right when the conv\'s output is used elsewhere too (the gradients add up before the ReLU\'s)', () => {
    const head = (conv: Tensor, pooled: Tensor) => pooled.sum().add(conv.mul(conv).sum().mul(0.1));
    expectSameGrads(convReluPool(true, { head }), convReluPool(false, { head }));
  });

  it('gives grad() of the conv\'s output its true gradient (not through the ReLU)', () => {
    const run = (fused: boolean) =>
      withArgmaxPooling(fused, () =>
        scope(() => {
          manualSeed(2);
          // Negative bias: many windows are all zeros after the ReLU, whose gradient the ReLU would stop.
          const x = randn([2, 8, 8, 2]);
          const w = randn([3, 3, 2, 4]).detach().requiresGrad_();
          const b = tensor([-1, -2, 0.5, -0.5]).requiresGrad_();
          const conv = F.conv2d(x, w, b, { activation: 'relu', dataFormat: 'NHWC' });
          const loss = F.maxPool2d(conv, 2, { dataFormat: 'NHWC' }).sum();
          const [gConv, gB] = grad(loss, [conv, b]);
          return { conv: Float32Array.from(gConv!.dataSync()), b: Float32Array.from(gB!.dataSync()) };
        }),
      );
    const fused = run(true);
    const separate = run(false);
    expect(fused.conv).toEqual(separate.conv);
    expectClose(Array.from(fused.b), Array.from(separate.b), { atol: 1e-5, rtol: 1e-6 });
    // Windows of zeros still send their gradient to the conv's output (MaxPoolGrad's), which the ReLU then stops.
    expect(fused.conv.filter((v) => v === 1).length).toBe(2 * 3 * 3 * 4);
  });

  it('backpropagates twice with retainGraph, the same both times', () => {
    const grads = scope(() => {
      manualSeed(3);
      const x = randn([2, 6, 6, 3]);
      const w = randn([3, 3, 3, 4]).detach().requiresGrad_();
      const b = randn([4]).detach().requiresGrad_();
      const loss = F.maxPool2d(F.conv2d(x, w, b, { activation: 'relu', dataFormat: 'NHWC' }), 2, { dataFormat: 'NHWC' }).sum();
      loss.backward(undefined, { retainGraph: true });
      const first = [Float32Array.from(w.grad!.dataSync()), Float32Array.from(b.grad!.dataSync())];
      loss.backward();
      return [first, [Float32Array.from(w.grad!.dataSync()), Float32Array.from(b.grad!.dataSync())]];
    });
    expectClose(Array.from(grads[1]![0]!), Array.from(grads[0]![0]!.map((v) => 2 * v)), { atol: 1e-5, rtol: 1e-6 });
    expectClose(Array.from(grads[1]![1]!), Array.from(grads[0]![1]!.map((v) => 2 * v)), { atol: 1e-5, rtol: 1e-6 });
  });

  it('leaks no native tensor: trained, used twice, with grad(), without backward()', () => {
    expectNoLeaks(() => void convReluPool(true));
    expectNoLeaks(() => void convReluPool(true, { head: (conv, pooled) => pooled.sum().add(conv.sum()) }));
    expectNoLeaks(() => void convReluPool(true, { biasGrad: false }));
    expectNoLeaks(() => void convReluPool(true, { separateRelu: true, nchw: true }));
    expectNoLeaks(() => {
      const x = randn([2, 6, 6, 2]);
      const w = randn([3, 3, 2, 4], { requiresGrad: true });
      const b = randn([4], { requiresGrad: true });
      const conv = F.conv2d(x, w, b, { activation: 'relu', dataFormat: 'NHWC' });
      const pooled = F.maxPool2d(conv, 2, { dataFormat: 'NHWC' });
      grad(pooled.sum(), [conv, w]);
      F.maxPool2d(F.conv2d(x, w, b, { activation: 'relu', dataFormat: 'NHWC' }), 2, { dataFormat: 'NHWC' }); // never backpropagated
    });
  });
});
