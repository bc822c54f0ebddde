/**
 * @duet/core's `functional` nn ops against PyTorch (core_nn.json, written by
 * gen_core_nn.py): outputs (atol 1e-4) and the gradients of
 * (out * upstream).sum() (atol 1e-3 for convolutions, 1e-4 otherwise); no
 * native tensor leaks; the number of native kernels per call (the table in
 * packages/core/src/ops/nn_ops.ts); dropout's statistics.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError, DTypeError, ShapeError, Tensor, countKernels, functional as F, manualSeed, ones, randn, scope, tensor, useArgmaxPooling, useFusedConv, useOneDnnPooling,
} from '@duet/core';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';

interface Stored {
  shape: number[];
  dtype: 'float32' | 'int32';
  values: number[];
}
interface Case {
  name: string;
  op: keyof typeof OPS;
  args: unknown[];
  opts: Record<string, unknown>;
  inputs: Record<string, Stored>;
  upstream: Stored;
  out: Stored;
  grads: Record<string, Stored>;
}
const golden = JSON.parse(readFileSync(new URL('./core_nn.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

type Inputs = Record<string, Tensor>;
const OPS = {
  conv2d: (t: Inputs, _a: unknown[], o: object) => F.conv2d(t.x!, t.weight!, t.bias, o),
  conv1d: (t: Inputs, _a: unknown[], o: object) => F.conv1d(t.x!, t.weight!, t.bias, o),
  convTranspose2d: (t: Inputs, _a: unknown[], o: object) => F.convTranspose2d(t.x!, t.weight!, t.bias, o),
  maxPool2d: (t: Inputs, a: unknown[], o: object) => F.maxPool2d(t.x!, a[0] as number, o),
  avgPool2d: (t: Inputs, a: unknown[], o: object) => F.avgPool2d(t.x!, a[0] as number, o),
  maxPool1d: (t: Inputs, a: unknown[], o: object) => F.maxPool1d(t.x!, a[0] as number, o),
  avgPool1d: (t: Inputs, a: unknown[], o: object) => F.avgPool1d(t.x!, a[0] as number, o),
  adaptiveAvgPool2d: (t: Inputs, a: unknown[]) => F.adaptiveAvgPool2d(t.x!, a[0] as number),
  embedding: (t: Inputs, _a: unknown[], o: object) => F.embedding(t.indices!, t.weight!, o),
};

const load = (s: Stored, requiresGrad = false) =>
  tensor(s.dtype === 'int32' ? Int32Array.from(s.values) : Float32Array.from(s.values), { shape: s.shape, requiresGrad: requiresGrad && s.dtype === 'float32' });

/** Forward (and backward of (out * upstream).sum()) of one golden case on fresh leaves. */
function runCase(c: Case, backward = true): { inputs: Inputs; out: Tensor } {
  const inputs: Inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, load(s, true)]));
  const out = OPS[c.op](inputs, c.args, c.opts);
  if (backward) out.mul(load(c.upstream)).sum().backward();
  return { inputs, out };
}

describe(`functional nn ops match PyTorch ${golden.torch}`, () => {
  it.each(golden.cases)('$name', (c) => {
    scope(() => {
      const { inputs, out } = runCase(c);
      expectClose(out, c.out, { atol: 1e-4, rtol: 1e-5, message: 'output' });
      const gradAtol = c.op.startsWith('conv') ? 1e-3 : 1e-4;
      for (const [k, g] of Object.entries(c.grads)) {
        expect(inputs[k]!.grad, `grad of ${k}`).not.toBeNull();
        expectClose(inputs[k]!.grad!, g, { atol: gradAtol, rtol: 1e-5, message: `grad of ${k}` });
      }
      disposeWithGrads(Object.values(inputs));
    });
  });
});

describe('functional nn ops release every native tensor', () => {
  it.each(golden.cases)('$name: forward + backward', (c) => {
    expectNoLeaks(() => disposeWithGrads(Object.values(runCase(c).inputs)));
  });

  // The NCHW convs and pools, and dropout, save native tensors on their graph node:
  // dropping the graph without backward() must release them too.
  it.each(golden.cases)('$name: forward only', (c) => {
    expectNoLeaks(() => disposeWithGrads(Object.values(runCase(c, false).inputs)));
  });

  it('dropout and dropout2d', () => {
    const x = randn([4, 3, 5, 5], { requiresGrad: true });
    for (const f of [F.dropout, F.dropout2d]) {
      expectNoLeaks(() => f(x, 0.3, true).sum().backward());
      expectNoLeaks(() => {
        f(x, 0.3, true); // graph dropped without backward(): the saved mask is released too
      });
    }
    disposeWithGrads([x]);
  });

  it('under noGrad-free inference (no input requires grad)', () => {
    const x = randn([2, 3, 8, 8]);
    const w = randn([4, 3, 3, 3]);
    expectNoLeaks(() => {
      F.maxPool2d(F.conv2d(x, w, null, { padding: 1 }), 2);
      F.convTranspose2d(x, randn([3, 2, 3, 3]), null, { stride: 2 });
    });
    x.dispose();
    w.dispose();
  });
});

/** Kernels of one forward, and of its backward alone (upstream gradient given, fresh leaves). */
function kernels(make: () => Tensor[], op: (...t: Tensor[]) => Tensor): { fwd: number; bwd: number } {
  return scope(() => {
    op(...make()); // warm the constant caches
    const inputs = make(); // fresh: no cached NHWC copy of an input from the warm-up (docs/design/layout.md)
    const f = countKernels(() => op(...inputs));
    const up = ones([...f.result.shape]);
    const b = countKernels(() => f.result.backward(up));
    // backward() itself casts the upstream gradient: count it as the baseline.
    const leaf = randn([...f.result.shape], { requiresGrad: true });
    const copy = leaf.clone();
    const base = countKernels(() => copy.backward(up));
    disposeWithGrads([...inputs, leaf]);
    return { fwd: f.kernels, bwd: b.kernels - base.kernels };
  });
}

describe('native kernels per call (nn_ops.ts header)', () => {
  // The table counts the kernels every machine runs: oneDNN's fused convolution and workspace pooling,
  // used where TensorFlow runs oneDNN (kernels/nn.ts), and Duet's pooling through the ReLU, where Duet's kernels
  // are built, are counted in their own tests (ops/nn/fused_conv.test.ts, max_pool.test.ts, max_pool_relu.test.ts).
  beforeAll(() => {
    useFusedConv(false);
    useOneDnnPooling(false);
    useArgmaxPooling(false);
  });
  afterAll(() => {
    useFusedConv(true);
    useOneDnnPooling(true);
    useArgmaxPooling(true);
  });
  const g = (shape: number[]) => () => randn(shape, { requiresGrad: true });
  const make = (...fs: (() => Tensor)[]) => () => fs.map((f) => f());
  const x = g([2, 4, 8, 8]);
  it.each([
    ['conv2d', make(x, g([6, 4, 3, 3]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b, { padding: 1 }), 4, 6],
    ['conv2d NHWC', make(g([2, 8, 8, 4]), g([3, 3, 4, 6]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b, { dataFormat: 'NHWC' }), 2, 3],
    ['conv2d 1x1', make(x, g([6, 4, 1, 1]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b), 5, 7],
    ['conv2d dilated', make(x, g([6, 4, 3, 3]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b, { dilation: 2 }), 4, 8],
    ['conv2d depthwise', make(x, g([8, 1, 3, 3]), g([8])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b, { groups: 4 }), 5, 8],
    ['conv2d groups 2', make(x, g([6, 2, 3, 3]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv2d(a, w, b, { groups: 2 }), 4, 13],
    ['conv1d', make(g([2, 4, 10]), g([6, 4, 3]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.conv1d(a, w, b), 8, 9],
    ['convTranspose2d', make(x, g([4, 3, 3, 3]), g([3])), (a: Tensor, w: Tensor, b: Tensor) => F.convTranspose2d(a, w, b, { stride: 2, padding: 1, outputPadding: 1 }), 4, 6],
    ['conv2d, relu, maxPool2d', make(x, g([6, 4, 3, 3]), g([6])), (a: Tensor, w: Tensor, b: Tensor) => F.maxPool2d(F.conv2d(a, w, b, { padding: 1 }).relu(), 2), 6, 8],
    ['maxPool2d', make(x), (a: Tensor) => F.maxPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true }), 2, 3],
    ['avgPool2d', make(x), (a: Tensor) => F.avgPool2d(a, 2), 2, 3],
    ['avgPool2d padded', make(x), (a: Tensor) => F.avgPool2d(a, 3, { stride: 2, padding: 1, countIncludePad: false }), 4, 5],
    ['maxPool1d', make(g([2, 4, 10])), (a: Tensor) => F.maxPool1d(a, 2), 5, 5],
    ['adaptiveAvgPool2d 1x1', make(x), (a: Tensor) => F.adaptiveAvgPool2d(a, 1), 1, 2],
    ['adaptiveAvgPool2d divisible', make(x), (a: Tensor) => F.adaptiveAvgPool2d(a, 4), 2, 3],
    ['adaptiveAvgPool2d 3x5', make(x), (a: Tensor) => F.adaptiveAvgPool2d(a, [3, 5]), 2, 2],
    ['batchNorm2d', make(x, g([4]), g([4])), (a: Tensor, w: Tensor, b: Tensor) => F.batchNorm2d(a, null, null, { weight: w, bias: b, training: true }).y, 2, 3],
    ['dropout', make(x), (a: Tensor) => F.dropout(a, 0.5, true), 4, 1],
    ['embedding', make(g([10, 4])), (w: Tensor) => F.embedding(tensor([[1, 2], [2, 9]], { dtype: 'int32' }), w), 1, 1],
    ['embedding paddingIdx', make(g([10, 4])), (w: Tensor) => F.embedding(tensor([[1, 2], [2, 9]], { dtype: 'int32' }), w, { paddingIdx: 2 }), 1, 2],
  ] as [string, () => Tensor[], (...t: Tensor[]) => Tensor, number, number][])('%s', (_name, mk, op, fwd, bwd) => {
    expect(kernels(mk, op)).toEqual({ fwd, bwd });
  });
});

describe('dropout', () => {
  const x = () => ones([200, 500]);

  it('zeroes a fraction p and keeps the mean (inverted scaling)', () => {
    scope(() => {
      for (const p of [0.1, 0.5, 0.8]) {
        const y = F.dropout(x(), p, true);
        const v = y.dataSync();
        let zeros = 0;
        for (const e of v) if (e === 0) zeros++;
        expect(Math.abs(zeros / v.length - p), `fraction zeroed for p=${p}`).toBeLessThan(0.01);
        expect(Math.abs(y.mean().item() - 1), `mean for p=${p}`).toBeLessThan(0.03);
        const kept = v.find((e) => e !== 0)!;
        expect(kept).toBeCloseTo(1 / (1 - p), 5);
      }
    });
  });

  it('is deterministic under manualSeed and differs without reseeding', () => {
    scope(() => {
      manualSeed(7);
      const a = F.dropout(x(), 0.5, true).toArray();
      const b = F.dropout(x(), 0.5, true).toArray();
      manualSeed(7);
      const c = F.dropout(x(), 0.5, true).toArray();
      expect(c).toEqual(a);
      expect(b).not.toEqual(a);
    });
  });

  it('is the identity in eval mode and for p = 0; rejects p outside [0, 1)', () => {
    const t = randn([3, 4]);
    expect(F.dropout(t, 0.5, false)).toBe(t);
    expect(F.dropout(t, 0, true)).toBe(t);
    expect(F.dropout2d(randn([2, 3, 4, 4]), 0.5, false).shape).toEqual([2, 3, 4, 4]);
    for (const p of [1, -0.1, 1.5, Number.NaN]) expect(() => F.dropout(t, p, true)).toThrow(ArgumentError);
    t.dispose();
  });

  it('passes the gradient through the same mask', () => {
    scope(() => {
      const t = randn([50, 40], { requiresGrad: true });
      const y = F.dropout(t, 0.4, true);
      y.sum().backward();
      expectClose(t.grad!.mul(t), y, { atol: 1e-6, rtol: 1e-6 }); // grad = mask = y / t
      disposeWithGrads([t]);
    });
  });

  it('dropout2d zeroes whole channels', () => {
    scope(() => {
      const y = F.dropout2d(ones([8, 16, 3, 3]), 0.5, true);
      const perChannel = y.amax([2, 3]).toArray() as number[][];
      const same = y.amin([2, 3]).toArray() as number[][];
      expect(same).toEqual(perChannel); // each channel all 0 or all 2
      const flat = perChannel.flat();
      expect(new Set(flat)).toEqual(new Set([0, 2]));
      const y1 = F.dropout2d(ones([8, 16, 5]), 0.5, true);
      expect(y1.amin(2).toArray()).toEqual(y1.amax(2).toArray());
    });
  });
});

describe('argument and shape errors say what was expected and received', () => {
  const x = randn([2, 4, 8, 8]);
  it.each([
    ['conv2d channels', () => F.conv2d(x, randn([6, 3, 3, 3])), ShapeError, 'conv2d: expected input of shape [N, C, H, W] with C = 3 (weight\'s in-channels * groups), received [2, 4, 8, 8].'],
    ['conv2d groups', () => F.conv2d(x, randn([8, 2, 3, 3]), null, { groups: 4 }), ShapeError, 'with C = 8 (weight\'s in-channels * groups), received [2, 4, 8, 8]'],
    ['conv2d out % groups', () => F.conv2d(x, randn([5, 2, 3, 3]), null, { groups: 2 }), ArgumentError, 'out-channels (5) must be divisible by groups (2)'],
    ['conv2d bias', () => F.conv2d(x, randn([6, 4, 3, 3]), randn([5])), ShapeError, 'expected bias of shape [6]'],
    ['conv2d same + stride', () => F.conv2d(x, randn([6, 4, 3, 3]), null, { padding: 'same', stride: 2 }), ArgumentError, "padding='same' is not supported for strided convolutions"],
    ['conv2d too small', () => F.conv2d(randn([1, 4, 2, 2]), randn([6, 4, 3, 3])), ShapeError, 'smaller than the (dilated) kernel'],
    ['conv2d rank', () => F.conv2d(randn([4, 8]), randn([6, 4, 3, 3])), ShapeError, 'expected a 4-d input [N, C, H, W]'],
    ['conv2d dtype', () => F.conv2d(x.int(), randn([6, 4, 3, 3])), DTypeError, 'float32'],
    ['conv1d channels', () => F.conv1d(randn([2, 3, 9]), randn([6, 4, 3])), ShapeError, 'conv1d: expected input of shape [N, C, L] with C = 4'],
    ['convTranspose2d groups', () => F.convTranspose2d(x, randn([4, 2, 3, 3]), null, { groups: 2 }), ArgumentError, 'only groups = 1'],
    ['convTranspose2d outputPadding', () => F.convTranspose2d(x, randn([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }), ArgumentError, 'outputPadding must be smaller'],
    ['maxPool2d padding', () => F.maxPool2d(x, 2, { padding: 2 }), ArgumentError, 'at most half of the kernel size'],
    ['maxPool2d dilation', () => F.maxPool2d(x, 2, { dilation: 2 }), ArgumentError, 'dilation > 1 is not supported'],
    ['avgPool2d kernel', () => F.avgPool2d(x, 0), ArgumentError, 'kernelSize must be an integer >= 1'],
    ['maxPool1d stride', () => F.maxPool1d(randn([2, 3, 9]), 2, { stride: 1.5 }), ArgumentError, 'maxPool1d: stride must be an integer >= 1'],
    ['embedding dtype', () => F.embedding(tensor([1, 2]), randn([5, 3])), DTypeError, 'expected int32 indices'],
    ['embedding range', () => F.embedding(tensor([1, 7], { dtype: 'int32' }), randn([5, 3])), ArgumentError, 'every index must be in [0, 4]'],
    ['embedding paddingIdx', () => F.embedding(tensor([1], { dtype: 'int32' }), randn([5, 3]), { paddingIdx: 5 }), ArgumentError, 'paddingIdx must be an integer in [-5, 4]'],
  ] as [string, () => unknown, new (...a: never[]) => Error, string][])('%s', (_name, fn, type, text) => {
    scope(() => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toContain(text);
    });
  });
});
