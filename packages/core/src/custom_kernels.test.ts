/**
 * Duet's own TensorFlow kernels (native/ops, kernels/custom.ts): built where
 * the engine came from the tensorflow-cpu wheel, and each one gives the same
 * numbers as the TensorFlow kernel(s) it replaces.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, adamStep_, customKernelStatus, memory, randn, tensor, useCustomKernels } from './index.js';
import { boolAttr, matMulKernel, runKernel, typeAttr } from './kernels/index.js';
import { expectClose, expectNoLeaks } from '../../../test/helpers.js';

/** The staged engine's provenance record (written by the postinstall step). */
function provenance(): { source?: string; tfVersion?: string } {
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'deps', '.duet-provenance.json');
  try {
    return JSON.parse(readFileSync(deps, 'utf8'));
  } catch {
    return {};
  }
}

const status = customKernelStatus();

describe("Duet's kernels", () => {
  it('are built and loaded wherever the engine came from the tensorflow-cpu wheel', () => {
    const p = provenance();
    if (p.source === 'wheel' && process.env.DUET_CUSTOM_KERNELS === undefined) {
      expect(status.reason).toBeUndefined();
      expect(status.enabled).toBe(true);
      expect(status.ops).toContain('DuetApplyAdam');
    } else {
      expect(status.enabled).toBe(false);
      expect(status.reason).toMatch(/./);
    }
  });

  it('can be turned off and on again', () => {
    useCustomKernels(false);
    try {
      expect(customKernelStatus()).toMatchObject({ enabled: false, reason: 'turned off by useCustomKernels(false)' });
    } finally {
      useCustomKernels(true);
    }
    expect(customKernelStatus().enabled).toBe(status.enabled);
  });
});

describe.runIf(status.enabled)('DuetApplyAdam', () => {
  /** Parameters, gradients and Adam slots of the given sizes, copied so both paths start equal. */
  const make = (sizes: number[][]) => {
    const ps = sizes.map((s) => randn(s).keep());
    const gs = sizes.map((s) => randn(s).keep());
    return { ps, gs };
  };
  const clone = (ts: Tensor[]) => ts.map((t) => tensor(t.toArray() as number[]).reshape([...t.shape]).keep());
  const slots = (ts: Tensor[]) => ts.map((t) => tensor(new Float32Array(t.numel())).reshape([...t.shape]).keep());

  /** Runs `steps` Adam steps on copies with Duet's kernel and with ResourceApplyAdam per parameter. */
  const both = (sizes: number[][], epsMode: 'torch' | 'keras', steps: number, decay?: number) => {
    const { ps, gs } = make(sizes);
    const results: number[][][] = [];
    for (const custom of [true, false]) {
      useCustomKernels(custom);
      const p = clone(ps);
      const m = slots(ps);
      const v = slots(ps);
      for (let s = 1; s <= steps; s++) adamStep_(p, gs, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: s, epsMode, ...(decay === undefined ? {} : { decay }) });
      results.push([...p, ...m, ...v].map((t) => Array.from(t.dataSync())));
    }
    useCustomKernels(true);
    return results;
  };

  it.each([
    ['torch', [[784, 128], [128], [128, 10], [10]]],
    ['keras', [[3, 5], [7]]],
    // Over 2^20 elements: the update is split over TensorFlow's intra-op threads.
    ['torch', [[1100, 1000], [33]]],
  ] as const)('gives ResourceApplyAdam\'s numbers bit for bit (eps %s, shapes %j)', (mode, sizes) => {
    const [custom, stock] = both(sizes as unknown as number[][], mode, 3);
    expect(custom!.length).toBe(stock!.length);
    custom!.forEach((a, i) => expect(a).toEqual(stock![i]));
  });

  it("applies AdamW's decoupled decay as p.mul_(1 - lr * weightDecay) then the update, bit for bit", () => {
    const [custom, stock] = both([[50, 40], [40]], 'torch', 3, 1 - 0.01 * 0.05);
    custom!.forEach((a, i) => expect(a).toEqual(stock![i]));
  });

  it('leaves a value read before the update unchanged (copy-on-write)', () => {
    const p = randn([64]).keep();
    const before = p.toArray();
    const held = p.mul(1); // shares nothing, but p's variable is read by the next line
    adamStep_([p], [randn([64])], [tensor(new Float32Array(64))], [tensor(new Float32Array(64))], { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1, epsMode: 'torch' });
    expect(held.toArray()).toEqual(before);
    expect(p.toArray()).not.toEqual(before);
  });

  it('leaks no native tensor', () => {
    const ps = [randn([20, 30]).keep(), randn([30]).keep()];
    const gs = ps.map((p) => randn([...p.shape]).keep());
    const m = slots(ps);
    const v = slots(ps);
    adamStep_(ps, gs, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1, epsMode: 'torch' });
    const before = memory().numTensors;
    for (let s = 2; s < 12; s++) adamStep_(ps, gs, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: s, epsMode: 'torch' });
    expect(memory().numTensors).toBe(before);
  });
});

describe.runIf(status.enabled)('DuetMatMul', () => {
  const attrs = (ta: boolean, tb: boolean) => [boolAttr('transpose_a', ta), boolAttr('transpose_b', tb)];
  it.each([
    [[32, 784], [784, 128], false, false],
    [[32, 784], [32, 128], true, false],
    [[32, 10], [128, 10], false, true],
    [[10, 32], [128, 10], true, true],
    [[1, 1], [1, 1], false, false],
    [[3, 0], [0, 4], false, false],
  ] as const)('gives MatMul\'s product to float rounding: %j x %j (transposed %s, %s)', (as, bs, ta, tb) => {
    const a = randn([...as]).keep();
    const b = randn([...bs]).keep();
    const mine = new Tensor(runKernel('DuetMatMul', attrs(ta, tb), [a._v(), b._v()]));
    const stock = new Tensor(runKernel('MatMul', [typeAttr('T', 'float32'), ...attrs(ta, tb)], [a._v(), b._v()]));
    expect(mine.shape).toEqual(stock.shape);
    const k = ta ? as[0] : as[1];
    // Each entry is a sum of k products: a different order of the sum moves it by a few ulp of the largest partial sums.
    expectClose(mine, stock, { atol: 1e-6 * Math.max(1, k), rtol: 1e-5 });
  });

  it('says what it expected and received', () => {
    const a = randn([2, 3]);
    expect(() => runKernel('DuetMatMul', attrs(false, false), [a._v(), randn([4, 5])._v()])).toThrow(/DuetMatMul: inner dimensions differ: a \[2,3\] and b \[4,5\]/);
    expect(() => runKernel('DuetMatMul', attrs(false, false), [randn([2])._v(), a._v()])).toThrow(/must be rank 2|expected two matrices/);
  });

  it('is what matMul2d runs for small products, and leaks nothing', () => {
    expect(matMulKernel(32 * 10 * 128)).toBe('DuetMatMul');
    // With oneDNN, TensorFlow's MatMul is kept above 2^16 multiply-adds; without, above 2^22.
    expect(matMulKernel(2 ** 23)).toBe('MatMul');
    expect(matMulKernel(32 * 784 * 128)).toBe(status.onednn === false ? 'DuetMatMul' : 'MatMul');
    const a = randn([8, 5]).keep();
    const b = randn([5, 3]).keep();
    expectNoLeaks(() => runKernel('DuetMatMul', attrs(false, false), [a._v(), b._v()]).dispose());
  });
});
