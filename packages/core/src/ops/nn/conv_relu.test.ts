/**
 * conv2d's `activation: 'relu'` on both paths: Duet's DuetBiasAddRelu /
 * DuetBiasAddReluGrad (native/ops/bias_relu.cc) when built, TensorFlow's
 * BiasAdd + Relu and ReluGrad + BiasAddGrad otherwise or with
 * `useCustomKernels(false)`. Both give the bits of conv2d(...).relu().
 */
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../../../../test/helpers.js';
import { ArgumentError, countKernels, customKernelStatus, functional as F, manualSeed, rand, randn, scope, tensor, useCustomKernels, useFusedConv, useOneChannelConv, type Tensor } from '../../index.js';
import { runOp, stringAttr, tf, typeAttr, type TfTensor } from '../../engine.js';
import * as K from '../../kernels/nn.js';

const status = customKernelStatus();
const bitsOf = (t: TfTensor | Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
/** The number of elements whose bits differ (a count instead of toEqual's element diff: fast on large tensors). */
const bitDiffs = (a: TfTensor, b: TfTensor) => {
  const [x, y] = [bitsOf(a), bitsOf(b)];
  let n = x.length === y.length ? 0 : Math.max(x.length, y.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) n++;
  return n;
};

/** `n` uniform values in [0, 1) from seed `seed`, as an array (so both paths see the same inputs). */
const uniform = (n: number, seed: number): Float32Array => scope(() => {
  manualSeed(seed);
  return Float32Array.from(rand([n]).dataSync());
});

/** Runs `fn` with Duet's kernels on or off (and oneDNN's fused convolution off: fused_conv.test.ts covers it). */
function withKernels<T>(on: boolean, fn: () => T): T {
  useCustomKernels(on);
  useFusedConv(false);
  useOneChannelConv(false); // its sums are in another order (conv_filter_c1.test.ts)
  try {
    return fn();
  } finally {
    useCustomKernels(true);
    useFusedConv(true);
    useOneChannelConv(true);
  }
}

type Case = [string, number[], number[], 'NHWC' | 'NCHW', boolean];
const cases: Case[] = [
  ['Keras CNN conv 1: [8, 28, 28, 1] -> 32', [8, 28, 28, 1], [3, 3, 1, 32], 'NHWC', true],
  ['Keras CNN conv 2: [8, 13, 13, 32] -> 64', [8, 13, 13, 32], [3, 3, 32, 64], 'NHWC', true],
  ['130 channels (bias gradient summed row by row)', [2, 5, 5, 3], [3, 3, 3, 130], 'NHWC', true],
  ['NCHW input', [2, 4, 9, 9], [8, 4, 3, 3], 'NCHW', true],
  ['no bias', [2, 9, 9, 4], [3, 3, 4, 8], 'NHWC', false],
];

describe("conv2d with activation 'relu'", () => {
  it.each(cases)('%s: the bits of conv2d(...).relu() and its gradients, on both paths', (_, xs, ws, fmt, withBias) => {
    manualSeed(3);
    const x0 = randn(xs);
    const w0 = randn(ws).mul(0.3);
    const b0 = randn([fmt === 'NHWC' ? ws[3]! : ws[0]!]).mul(0.5);
    const g0 = () => uniform(x0.numel() * 64, 5); // more than enough upstream gradient values
    const run = (fused: boolean, custom: boolean) =>
      withKernels(custom, () =>
        scope(() => {
          const [x, w, b] = [x0, w0, b0].map((t) => t.detach().clone().requiresGrad_());
          const opts = { dataFormat: fmt, padding: 1 } as const;
          const y = fused ? F.conv2d(x!, w!, withBias ? b! : null, { ...opts, activation: 'relu' }) : F.conv2d(x!, w!, withBias ? b! : null, opts).relu();
          const g = tensor(g0().subarray(0, y.numel()).map((u) => u - 0.5)).reshape([...y.shape]);
          y.backward(g);
          return [y, x!.grad!, w!.grad!, ...(withBias ? [b!.grad!] : [])].map(bitsOf);
        }),
      );
    const reference = run(false, false);
    expect(run(true, false)).toEqual(reference);
    expect(run(true, true)).toEqual(reference);
  });

  it('rejects another activation with a typed error', () => {
    expect(() => F.conv2d(randn([1, 1, 4, 4]), randn([2, 1, 3, 3]), null, { activation: 'tanh' as 'relu' })).toThrow(ArgumentError);
    expect(() => F.conv2d(randn([1, 1, 4, 4]), randn([2, 1, 3, 3]), null, { activation: 'tanh' as 'relu' })).toThrow(/activation must be 'relu' or left out, received "tanh"/);
  });

  it('leaks no native tensor', () => {
    expectNoLeaks(() => {
      const x = randn([2, 6, 6, 3], { requiresGrad: true });
      const w = randn([3, 3, 3, 4], { requiresGrad: true });
      const b = randn([4], { requiresGrad: true });
      F.conv2d(x, w, b, { dataFormat: 'NHWC', activation: 'relu' }).sum().backward();
    });
  });
});

describe.runIf(status.enabled)('DuetBiasAddRelu / DuetBiasAddReluGrad', () => {
  it('run one kernel each way where TensorFlow runs two', () => {
    const counts = (custom: boolean) =>
      withKernels(custom, () =>
        scope(() => {
          manualSeed(0);
          const x = randn([2, 8, 8, 3], { requiresGrad: true });
          const w = randn([3, 3, 3, 4], { requiresGrad: true });
          const b = randn([4], { requiresGrad: true });
          const fwd = countKernels(() => F.conv2d(x, w, b, { dataFormat: 'NHWC', activation: 'relu' }));
          const bwd = countKernels(() => fwd.result.sum().backward());
          return { fwd: fwd.byName, bwd: bwd.byName };
        }),
      );
    const on = counts(true);
    const off = counts(false);
    expect(on.fwd).toMatchObject({ Conv2D: 1, DuetBiasAddRelu: 1 });
    expect(off.fwd).toMatchObject({ Conv2D: 1, BiasAdd: 1, Relu: 1 });
    expect(on.bwd.DuetBiasAddReluGrad).toBe(1);
    expect(off.bwd).toMatchObject({ ReluGrad: 1, BiasAddGrad: 1 });
    for (const k of ['BiasAdd', 'Relu']) expect(on.fwd[k]).toBeUndefined();
    for (const k of ['ReluGrad', 'BiasAddGrad']) expect(on.bwd[k]).toBeUndefined();
  });

  /** The stock kernels' results for value x, bias b, output gradient g. */
  const stock = (x: TfTensor, b: TfTensor, g: TfTensor) => {
    const f32 = typeAttr('T', 'float32');
    const fmt = stringAttr('data_format', 'NHWC');
    const y = runOp('Relu', [f32], [runOp('BiasAdd', [f32, fmt], [x, b])]);
    const dz = runOp('ReluGrad', [f32], [g, y]);
    return { y, dz, db: runOp('BiasAddGrad', [f32, fmt], [dz]) };
  };

  // BiasAddGrad sums in 1 or 2 parts depending on rows x channels (Eigen's cost
  // model switches to 2 threads at ~124,444 elements, up to 64 channels): both
  // sides of that switch, more channels than 64, a single row, and the CNN's shapes.
  it.each([[3880, 32], [3890, 32], [1943, 64], [1945, 64], [62222, 2], [62223, 2], [3000, 65], [1, 40], [64, 128], [5, 7], [8 * 26 * 26, 32], [2000, 64]])(
    'give the stock kernels\' bits on [%i, %i]', (rows, c) => {
      const t = tf();
      scopeTf(() => {
        const x = t.tensor(uniform(rows * c, rows).map((u) => (u - 0.5) * 4), [rows, c]);
        const b = t.tensor(uniform(c, c).map((u) => u - 0.5), [c]);
        const g = t.tensor(uniform(rows * c, rows + 1).map((u) => u - 0.5), [rows, c]);
        const ref = stock(x, b, g);
        expect(bitDiffs(K.biasAddRelu(x, b), ref.y)).toBe(0);
        const [dz, db] = K.biasAddReluGrad(g, ref.y);
        expect(bitDiffs(dz, ref.dz)).toBe(0);
        expect(bitsOf(db)).toEqual(bitsOf(ref.db));
      });
    });

  it('give the stock kernels\' numbers on NaN, ±0 and ±Infinity (NaN sums compared as NaN)', () => {
    const special = (n: number, seed: number, negZero: boolean) =>
      uniform(n, seed).map((u) => (u < 0.1 ? NaN : u < 0.25 ? (negZero ? -0 : 0.5) : u < 0.4 ? 0 : u < 0.45 ? -Infinity : u < 0.5 ? Infinity : u - 0.75));
    scopeTf(() => {
      const t = tf();
      const [rows, c] = [4000, 32];
      // -0 in the value but not the bias: a -0 sum (which TensorFlow's Relu turns into -0 or +0
      // depending on where it falls in Eigen's vector loop) cannot occur.
      const x = t.tensor(special(rows * c, 1, true), [rows, c]);
      const b = t.tensor(special(c, 2, false), [c]);
      const g = t.tensor(special(rows * c, 3, true), [rows, c]);
      const ref = stock(x, b, g);
      expect(bitDiffs(K.biasAddRelu(x, b), ref.y)).toBe(0);
      const [dz, db] = K.biasAddReluGrad(g, ref.y);
      expect(bitDiffs(dz, ref.dz)).toBe(0);
      // Sums that meet NaN are NaN on both sides; which NaN bits come out depends on operand order.
      expect(Array.from(db.dataSync())).toEqual(Array.from(ref.db.dataSync()));
    });
  });

  it('reject a bias or output of the wrong shape with a typed error saying both', () => {
    scopeTf(() => {
      const t = tf();
      const x = t.zeros([4, 3]);
      expect(() => K.biasAddRelu(x, t.zeros([4]))).toThrow(ArgumentError);
      expect(() => K.biasAddRelu(x, t.zeros([4]))).toThrow(/bias must be a vector of 3 \(value's last dim, value \[4,3\]\), received shape \[4\]/);
      expect(() => K.biasAddReluGrad(x, t.zeros([3, 4]))).toThrow(/output must have grad's shape \[4,3\], received \[3,4\]/);
      expect(() => K.biasAddRelu(t.zeros([3]), t.zeros([3]))).toThrow(/value must be at least 2-d \[\.\.\., C\], received shape \[3\]/);
    });
  });
});

/** Runs fn inside tfjs's tidy, so that the raw tensors it makes are freed. */
function scopeTf(fn: () => void): void {
  tf().tidy(() => {
    fn();
  });
}
