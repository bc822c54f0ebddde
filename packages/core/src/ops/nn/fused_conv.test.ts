/**
 * conv2d with a bias (and `activation: 'relu'`) on oneDNN's fused
 * convolution, `_MklNativeFusedConv2D` (kernels/nn.ts), where TensorFlow
 * runs oneDNN: the same bits as Conv2D + BiasAdd (+ Relu), forward and every
 * gradient, over the layouts, paddings, strides and dilations conv2d takes.
 */
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../../../../../test/helpers.js';
import { countKernels, functional as F, fusedConvSupported, manualSeed, randn, scope, useFusedConv, type Tensor } from '../../index.js';
import { oneDnnEnabled } from '../../kernels/custom.js';
import type { Conv2dOptions } from './conv.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MARKER as TYPE_LIST_MARKER } from '../../../scripts/patches/tfjs-node-type-list-attr.mjs';

const bitsOf = (t: Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);

type Case = [string, number[], number[], Conv2dOptions];
const cases: Case[] = [
  ['Keras CNN conv 1: [8, 28, 28, 1] -> 32, relu', [8, 28, 28, 1], [3, 3, 1, 32], { dataFormat: 'NHWC', activation: 'relu' }],
  ['Keras CNN conv 2: [8, 13, 13, 32] -> 64, relu', [8, 13, 13, 32], [3, 3, 32, 64], { dataFormat: 'NHWC', activation: 'relu' }],
  ['padding 1, stride 2, relu', [2, 9, 8, 3], [3, 3, 3, 5], { dataFormat: 'NHWC', padding: 1, stride: 2, activation: 'relu' }],
  ["'same' padding, relu", [2, 9, 8, 3], [4, 4, 3, 5], { dataFormat: 'NHWC', padding: 'same', activation: 'relu' }],
  ['explicit padding [1, 2], dilation 2, no activation', [2, 10, 9, 4], [3, 3, 4, 6], { dataFormat: 'NHWC', padding: [1, 2], dilation: 2 }],
  ['NCHW input, padding 1, relu', [2, 4, 9, 9], [8, 4, 3, 3], { padding: 1, activation: 'relu' }],
  ['1x1 kernel, NHWC, no activation', [2, 5, 5, 7], [1, 1, 7, 3], { dataFormat: 'NHWC' }],
];

/** y, dx, dw, db bits with oneDNN's fused convolution on or off. */
function run(fused: boolean, xs: number[], ws: number[], options: Conv2dOptions): Uint32Array[] {
  useFusedConv(fused);
  try {
    return scope(() => {
      manualSeed(3);
      const x = randn(xs, { requiresGrad: true });
      const w = randn(ws).mul(0.3).detach().requiresGrad_();
      const b = randn([options.dataFormat === 'NHWC' ? ws[3]! : ws[0]!]).mul(0.5).detach().requiresGrad_();
      const y = F.conv2d(x, w, b, options);
      y.backward(randn([...y.shape]));
      return [y, x.grad!, w.grad!, b.grad!].map(bitsOf);
    });
  } finally {
    useFusedConv(true);
  }
}

describe("conv2d with a bias on oneDNN's fused convolution", () => {
  it('is available whenever TensorFlow runs oneDNN and the binding was built with the list(type) patch (a failed probe cannot hide behind the fallback)', () => {
    const req = createRequire(import.meta.url);
    const source = readFileSync(join(dirname(req.resolve('@tensorflow/tfjs-node/package.json')), 'binding', 'tfjs_backend.cc'), 'utf8');
    if (oneDnnEnabled() === true && source.includes(TYPE_LIST_MARKER)) expect(fusedConvSupported()).toBe(true);
    if (oneDnnEnabled() !== true) expect(fusedConvSupported()).toBe(false);
  });

  it.runIf(fusedConvSupported()).each(cases)('%s: the bits of Conv2D + BiasAdd (+ Relu), forward and backward', (_, xs, ws, options) => {
    expect(run(true, xs, ws, options)).toEqual(run(false, xs, ws, options));
  });

  it.runIf(fusedConvSupported())('runs one kernel forward where there were two (Conv2D, then the bias and ReLU), and the same backward', () => {
    const counts = (fused: boolean) => {
      useFusedConv(fused);
      try {
        return scope(() => {
          manualSeed(0);
          const x = randn([2, 8, 8, 3], { requiresGrad: true });
          const w = randn([3, 3, 3, 4], { requiresGrad: true });
          const b = randn([4], { requiresGrad: true });
          const fwd = countKernels(() => F.conv2d(x, w, b, { dataFormat: 'NHWC', activation: 'relu' }));
          const bwd = countKernels(() => fwd.result.sum().backward());
          return { fwd: fwd.byName, bwd: bwd.byName, kernels: fwd.kernels };
        });
      } finally {
        useFusedConv(true);
      }
    };
    const on = counts(true);
    const off = counts(false);
    expect(on.fwd._MklNativeFusedConv2D).toBe(1);
    expect(on.fwd.Conv2D).toBeUndefined();
    expect(on.kernels).toBe(off.kernels - 1);
    expect(on.bwd).toEqual(off.bwd);
  });

  it('leaks no native tensor', () => {
    expectNoLeaks(() => {
      const x = randn([2, 6, 6, 3], { requiresGrad: true });
      const w = randn([3, 3, 3, 4], { requiresGrad: true });
      const b = randn([4], { requiresGrad: true });
      F.conv2d(x, w, b, { dataFormat: 'NHWC', activation: 'relu' }).sum().backward();
      scope(() => void F.conv2d(x.detach(), w.detach(), b.detach(), { dataFormat: 'NHWC' }));
    });
  });
});
