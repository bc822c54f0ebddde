/**
 * NCHW tensors stored as NHWC (docs/design/layout.md): they read back like
 * logical ones, gradients through conv nets equal the all-logical path, the
 * Transposes are gone, and both cached values are freed.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, countKernels, functional as F, linear, memory, noGrad, randn, scope, softmaxCrossEntropy, randint, manualSeed } from './index.js';

/** The same ops with every tensor stored logically: channels-last kernels behind explicit permutes. */
const ref = {
  conv2d: (x: Tensor, w: Tensor, b: Tensor | null, o: F.Conv2dOptions = {}) =>
    F.conv2d(x.permute([0, 2, 3, 1]), w.permute([2, 3, 1, 0]), b, { ...o, dataFormat: 'NHWC' }).permute([0, 3, 1, 2]),
  maxPool2d: (x: Tensor, k: number) => F.maxPool2d(x.permute([0, 2, 3, 1]), k, { dataFormat: 'NHWC' }).permute([0, 3, 1, 2]),
  avgPool2d: (x: Tensor, k: number) => F.avgPool2d(x.permute([0, 2, 3, 1]), k, { dataFormat: 'NHWC' }).permute([0, 3, 1, 2]),
};

function expectSame(a: Tensor, b: Tensor, atol = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  expect(worst).toBeLessThanOrEqual(atol);
}

describe('NHWC-stored tensors read like logical ones', () => {
  it('conv and pool results keep their NCHW shape and values', () => {
    scope(() => {
      const x = randn([2, 3, 6, 5]);
      const w = randn([4, 3, 3, 3]);
      const b = randn([4]);
      const y = F.conv2d(x, w, b, { padding: 1 });
      expect(y._nhwc).toBe(true);
      expect(y.shape).toEqual([2, 4, 6, 5]);
      expect(y.toArray()).toEqual(ref.conv2d(x, w, b, { padding: 1 }).toArray());
      const p = F.maxPool2d(y.relu(), 2);
      expect(p._nhwc).toBe(true);
      expect(p.toArray()).toEqual(ref.maxPool2d(y.relu(), 2).toArray());
    });
  });

  it('layout-unaware ops read the logical value; elementwise ones keep the layout', () => {
    scope(() => {
      const x = randn([2, 3, 4, 5]);
      const y = F.avgPool2d(x, 1); // x's values, stored NHWC
      expect(y._nhwc).toBe(true);
      expect(y.toArray()).toEqual(x.toArray());
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      for (const f of [(t: Tensor) => t.sum(1), (t: Tensor) => t.flatten(1), (t: Tensor) => t.mul(t.sum(1, { keepdim: true })), (t: Tensor) => t.narrow(2, 1, 2), (t: Tensor) => t.permute([0, 2, 3, 1]), (t: Tensor) => t.softmax(1)]) {
        expect(f(y).toArray()).toEqual(f(x).toArray());
      }
      for (const f of [(t: Tensor) => t.relu(), (t: Tensor) => t.exp(), (t: Tensor) => t.leakyRelu(0.1), (t: Tensor) => t.mul(2), (t: Tensor) => t.sub(t.exp()), (t: Tensor) => t.detach()]) {
        const r = f(y);
        expect(r._nhwc).toBe(true);
        expect(r.toArray()).toEqual(f(x).toArray());
      }
      expect(y.max().item()).toBe(x.max().item());
      const drop = (t: Tensor) => {
        manualSeed(7);
        return F.dropout2d(t, 0.5, true);
      };
      expect(drop(y)._nhwc).toBe(true);
      expect(drop(y).toArray()).toEqual(drop(x).toArray()); // one draw per (n, c): the same mask in either layout
    });
  });

  it('in-place ops make the tensor logical', () => {
    scope(() => {
      const x = randn([1, 2, 3, 3]);
      const y = F.maxPool2d(x, 1);
      noGrad(() => y.add_(1));
      expect(y._nhwc).toBe(false);
      expect(y.toArray()).toEqual(x.add(1).toArray());
    });
  });
});

/** conv -> relu -> maxpool -> residual conv -> conv -> leakyRelu -> avgpool -> flatten -> linear -> cross-entropy, with a side branch. */
function net(ops: typeof ref, p: Tensor[], x: Tensor, y: Tensor): Tensor {
  const [w1, b1, w2, b2, lw, lb, w3] = p as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const h1 = ops.maxPool2d(ops.conv2d(x, w1, b1, { padding: 1 }).relu(), 2);
  const r = ops.conv2d(h1, w3, null, { padding: 1 }).add(h1).relu();
  const h2 = ops.avgPool2d(ops.conv2d(r, w2, b2).leakyRelu(0.1), 2);
  // h1 also feeds a layout-unaware op: its gradient arrives in both layouts.
  return softmaxCrossEntropy(linear(h2.flatten(1), lw, lb), y).add(h1.square().mean());
}

describe('gradients through an NHWC-stored conv net', () => {
  it('equal the all-logical path', () => {
    scope(() => {
      manualSeed(3);
      const params = [randn([4, 2, 3, 3]), randn([4]), randn([6, 4, 3, 3]), randn([6]), randn([3, 6]), randn([3]), randn([4, 4, 3, 3])].map((t) => t.mul(0.3).requiresGrad_());
      const x = randn([2, 2, 10, 10], { requiresGrad: true });
      const y = randint(0, 3, [2]);
      const grads = (ops: typeof ref) => {
        const loss = net(ops, params, x, y);
        loss.backward();
        const g = [x, ...params].map((t) => t.grad!.clone());
        for (const t of [x, ...params]) t.grad = null;
        return { loss: loss.item(), g };
      };
      const a = grads({ conv2d: F.conv2d, maxPool2d: (t, k) => F.maxPool2d(t, k), avgPool2d: (t, k) => F.avgPool2d(t, k) });
      const b = grads(ref);
      expect(a.loss).toBeCloseTo(b.loss, 5);
      a.g.forEach((g, i) => {
        expect(g._nhwc).toBe(false);
        expectSame(g, b.g[i]!);
      });
      for (const t of [x, ...params]) t.dispose();
    });
  });

  it("gives an NHWC-stored leaf a logical .grad", () => {
    scope(() => {
      const x = randn([2, 3, 4, 4]);
      const leaf = noGrad(() => F.maxPool2d(x, 2)).requiresGrad_();
      expect(leaf._nhwc).toBe(true);
      const up = randn([2, 3, 2, 2]);
      leaf.relu().mul(up).sum().backward();
      expect(leaf.grad!._nhwc).toBe(false);
      expect(leaf.grad!.toArray()).toEqual(up.mul(leaf.gt(0)).toArray());
      leaf.grad!.dispose();
      leaf.dispose();
    });
  });
});

describe('batchNorm2d (fused, NHWC-stored)', () => {
  it('matches the composite formula, values and gradients, in training and eval', () => {
    scope(() => {
      const x = randn([3, 4, 5, 2], { requiresGrad: true });
      const w = randn([4], { requiresGrad: true });
      const b = randn([4], { requiresGrad: true });
      const up = randn([3, 4, 5, 2]);
      const ch = (t: Tensor) => t.reshape([1, 4, 1, 1]);
      const composite = (mean: Tensor, variance: Tensor) => x.sub(ch(mean)).mul(ch(variance.add(1e-5).rsqrt())).mul(ch(w)).add(ch(b));
      const grads = (y: Tensor) => {
        y.mul(up).sum().backward();
        const g = [x, w, b].map((t) => t.grad!.clone());
        for (const t of [x, w, b]) t.grad = null;
        return g;
      };
      const fused = F.batchNorm2d(x, null, null, { weight: w, bias: b, training: true });
      expect(fused.y._nhwc).toBe(true);
      const mean = x.mean([0, 2, 3]);
      const variance = x.var([0, 2, 3], { correction: 0 });
      expectSame(fused.mean!, mean);
      expectSame(fused.variance!, variance);
      const want = composite(mean, variance);
      expectSame(fused.y, want);
      const [got, expected] = [grads(fused.y), grads(want)];
      got.forEach((g, i) => expectSame(g, expected[i]!, 1e-4));

      const rm = randn([4]);
      const rv = randn([4]).abs().add(0.5);
      const evalY = F.batchNorm2d(x, rm, rv, { weight: w, bias: b, training: false }).y;
      const evalWant = composite(rm, rv);
      expectSame(evalY, evalWant);
      const [gotEval, expectedEval] = [grads(evalY), grads(evalWant)];
      gotEval.forEach((g, i) => expectSame(g, expectedEval[i]!, 1e-4));
    });
  });
});

describe('the MNIST CNN step', () => {
  const step = (p: Tensor[], x: Tensor, y: Tensor) => {
    const [w1, b1, w2, b2, l1, c1, l2, c2] = p as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    let h = F.maxPool2d(F.conv2d(x, w1, b1).relu(), 2);
    h = F.maxPool2d(F.conv2d(h, w2, b2).relu(), 2);
    const logits = linear(linear(h.flatten(1), l1, c1).relu(), l2, c2);
    softmaxCrossEntropy(logits, y).backward();
  };
  const make = () => {
    const p = [[8, 1, 3, 3], [8], [16, 8, 3, 3], [16], [32, 16 * 5 * 5], [32], [10, 32], [10]].map((s) => randn(s).mul(0.1).requiresGrad_());
    return { p, x: randn([4, 1, 28, 28]), y: randint(0, 10, [4]) };
  };
  const clear = (p: Tensor[]) => {
    for (const t of p) {
      t.grad?.dispose();
      t.grad = null;
    }
  };

  it('transposes only the weights, their gradients, and at flatten (6 instead of 19)', () => {
    scope(() => {
      const { p, x, y } = make();
      step(p, x, y);
      clear(p);
      const { byName } = countKernels(() => step(p, x.clone(), y));
      expect(byName.Transpose).toBe(6);
      clear(p);
      for (const t of p) t.dispose();
    });
  });

  it('leaks nothing: forward + backward in a scope, released tensors free both cached values', () => {
    const { p, x, y } = make();
    const once = () => scope(() => step(p, x, y));
    once();
    clear(p);
    const before = memory().numTensors;
    once();
    clear(p);
    expect(memory().numTensors).toBe(before);

    const nhwc = () => F.maxPool2d(x, 2).relu(); // stored NHWC
    scope(() => nhwc().toArray()); // warm the constant caches
    const out = nhwc();
    const stored = memory().numTensors;
    out.toArray(); // caches the logical value
    expect(memory().numTensors).toBe(stored + 1);
    out.dispose();
    expect(memory().numTensors).toBe(stored - 1);
    for (const t of [...p, x, y]) t.dispose();
  });
});
