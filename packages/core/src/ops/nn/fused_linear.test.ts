/**
 * linear on TensorFlow's `_FusedMatMul` (issue 8): one kernel forward where
 * the binding passes list(string) attributes (Duet's provisioning patches it),
 * the unfused MatMul + BiasAdd (+ Relu) otherwise, the same values and the
 * same backward either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tensor, countKernels, customKernelStatus, fusedKernelsSupported, linear, manualSeed, randn, useFusedKernels } from '../../index.js';
import { FUSED_MATMUL_MAX_MACS } from './fused.js';
import { matMulKernel } from '../../kernels/index.js';
import { MARKER } from '../../../scripts/patches/tfjs-node-string-list-attr.mjs';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../../../../../test/helpers.js';

afterEach(() => {
  useFusedKernels(true);
});

/** Was the installed binding built from the patched source? */
function bindingSourcePatched(): boolean {
  const req = createRequire(new URL('../../../package.json', import.meta.url));
  const pkgDir = dirname(req.resolve('@tensorflow/tfjs-node/package.json'));
  return readFileSync(join(pkgDir, 'binding', 'tfjs_backend.cc'), 'utf8').includes(MARKER);
}

type Case = [string, number[], number[], { activation?: 'relu'; weightLayout?: 'in_out' }];
const cases: Case[] = [
  ['PyTorch layout', [6, 5], [4, 5], {}],
  ['PyTorch layout + relu', [6, 5], [4, 5], { activation: 'relu' }],
  ['Keras layout + relu', [6, 5], [5, 4], { weightLayout: 'in_out', activation: 'relu' }],
  ['3-d input', [2, 3, 5], [4, 5], {}],
];

/** Forward value and the three gradients of sum(linear(x, w, b) * up). */
function run(fused: boolean, x: Tensor, w: Tensor, b: Tensor, up: Tensor, opts: Case[3]): Tensor[] {
  useFusedKernels(fused);
  const y = linear(x, w, b, opts);
  y.mul(up).sum().backward();
  const out = [y.detach(), x.grad!, w.grad!, b.grad!];
  x.grad = null;
  w.grad = null;
  b.grad = null;
  return out;
}

describe('linear on _FusedMatMul', () => {
  it('is used exactly when the binding was built from the patched source', () => {
    expect(fusedKernelsSupported()).toBe(bindingSourcePatched());
  });

  it.each(cases)('%s: the same output and gradients as the unfused kernels', (_name, xs, ws, opts) => {
    manualSeed(0);
    const x = randn(xs, { requiresGrad: true });
    const w = randn(ws, { requiresGrad: true });
    const b = randn([4], { requiresGrad: true });
    const up = randn([...xs.slice(0, -1), 4]);
    const fused = run(true, x, w, b, up, opts);
    const plain = run(false, x, w, b, up, opts);
    // oneDNN's MatMul and Eigen's fused kernel may round differently (1-2 ulp).
    fused.forEach((t, i) => expectClose(t, plain[i]!, { atol: 1e-5, rtol: 1e-5 }));
    disposeWithGrads([x, w, b]);
  });

  it('forward: one kernel when fused, a matrix product + BiasAdd + Relu when not; backward unchanged', () => {
    const x = randn([32, 128], { requiresGrad: true });
    const w = randn([10, 128], { requiresGrad: true });
    const b = randn([10], { requiresGrad: true });
    const counts = (fused: boolean) => {
      useFusedKernels(fused);
      const f = countKernels(() => linear(x, w, b, { activation: 'relu' }));
      const s = f.result.sum();
      const g = countKernels(() => s.backward());
      for (const t of [x, w, b]) {
        t.grad?.dispose();
        t.grad = null;
      }
      return { fwd: f.byName, bwd: g.byName };
    };
    const plain = counts(false);
    // The product is TensorFlow's MatMul, or Duet's DuetMatMul for a small one (kernels/basic.ts);
    // the bias and ReLU one DuetBiasAddRelu when Duet's kernels are loaded.
    const biasRelu = customKernelStatus().enabled ? { DuetBiasAddRelu: 1 } : { BiasAdd: 1, Relu: 1 };
    expect(plain.fwd).toEqual({ [matMulKernel(32 * 128 * 10)]: 1, ...biasRelu });
    expect(plain.bwd[customKernelStatus().enabled ? 'DuetBiasAddReluGrad' : 'ReluGrad']).toBe(1);
    const fused = counts(true);
    expect(fused.fwd).toEqual(fusedKernelsSupported() ? { _FusedMatMul: 1 } : plain.fwd);
    expect(fused.bwd).toEqual(plain.bwd);
    disposeWithGrads([x, w, b]);
  });

  it('a MatMul above FUSED_MATMUL_MAX_MACS runs unfused (oneDNN MatMul beats the Eigen fused kernel there)', () => {
    const x = randn([32, 784]);
    const w = randn([128, 784]);
    const b = randn([128]);
    expect(32 * 784 * 128).toBeGreaterThan(FUSED_MATMUL_MAX_MACS);
    expect(countKernels(() => linear(x, w, b)).byName).toEqual({ [matMulKernel(32 * 784 * 128)]: 1, BiasAdd: 1 });
    const small = randn([2, 784]);
    expect(2 * 784 * 128).toBeLessThanOrEqual(FUSED_MATMUL_MAX_MACS);
    expect(Object.keys(countKernels(() => linear(small, w, b)).byName)).toEqual(fusedKernelsSupported() ? ['_FusedMatMul'] : ['MatMul', 'BiasAdd']);
  });

  it('without a bias it runs the plain product', () => {
    const x = randn([3, 5]);
    const w = randn([4, 5]);
    expect(countKernels(() => linear(x, w)).byName).toEqual({ [matMulKernel(3 * 5 * 4)]: 1 });
  });

  it('leaks no native tensors, fused or not (forward and backward)', () => {
    const x = randn([8, 5], { requiresGrad: true });
    const w = randn([4, 5], { requiresGrad: true });
    const b = randn([4], { requiresGrad: true });
    for (const fused of [true, false]) {
      useFusedKernels(fused);
      expectNoLeaks(() => {
        linear(x, w, b, { activation: 'relu' }).sum().backward();
        for (const t of [x, w, b]) {
          t.grad?.dispose();
          t.grad = null;
        }
      });
    }
    disposeWithGrads([x, w, b]);
  });
});
