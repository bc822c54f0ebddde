/**
 * Duet's own TensorFlow kernels (native/ops, kernels/custom.ts): built where
 * the engine came from the tensorflow-cpu wheel, and each one gives the same
 * numbers as the TensorFlow kernel(s) it replaces.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adamStep_, customKernelStatus, memory, randn, tensor, useCustomKernels, type Tensor } from './index.js';

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
