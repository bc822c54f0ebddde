import { describe, expect, it } from 'vitest';
import { tensor, randn, randint, zeros, noGrad, memory, scope, markStep, TensorReleasedError, softmaxCrossEntropy, linear } from './index.js';

/** One step of an MLP over plain tensors: no dispose, no tidy, no scope. */
function makeLoop() {
  const w1 = randn([16, 20]).mul(0.1).requiresGrad_();
  const b1 = zeros([16], { requiresGrad: true });
  const w2 = randn([4, 16]).mul(0.1).requiresGrad_();
  const X = randn([64, 20]);
  const Y = randint(0, 4, [64]);
  const params = [w1, b1, w2];
  return (step: number) => {
    const i = (step * 8) % 64;
    const x = X.narrow(0, i, 8);
    const y = Y.narrow(0, i, 8);
    const logits = x.matmul(w1.t()).add(b1).relu().matmul(w2.t());
    const loss = logits.logSoftmax(1).gather(1, y.unsqueeze(1)).neg().mean();
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        p.sub_(p.grad!.mul(0.1));
        p.grad = null;
      }
    });
    return loss.item();
  };
}

describe('automatic memory at step boundaries', () => {
  it('keeps the native tensor count flat over a plain training loop', () => {
    const step = makeLoop();
    for (let s = 0; s < 20; s++) step(s);
    const before = memory().numTensors;
    let first = 0;
    let last = 0;
    for (let s = 20; s < 220; s++) {
      const l = step(s);
      if (s === 20) first = l;
      last = l;
    }
    expect(memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
  });

  it('keeps a fused-kernel loop flat too', () => {
    const w = randn([4, 20]).mul(0.1).requiresGrad_();
    const X = randn([8, 20]);
    const Y = randint(0, 4, [8]);
    const run = () => {
      softmaxCrossEntropy(linear(X, w, null, { activation: 'relu' }), Y).backward();
      noGrad(() => w.sub_(w.grad!.mul(0.01)));
      w.grad = null;
    };
    for (let i = 0; i < 5; i++) run();
    const before = memory().numTensors;
    for (let i = 0; i < 50; i++) run();
    expect(memory().numTensors).toBe(before);
  });

  it('raises a clear error when a released tensor is used, and keep() prevents it', () => {
    markStep(); // training has started
    const t = randn([3]);
    const kept = randn([3]).keep();
    markStep();
    markStep();
    expect(() => t.sum()).toThrow(TensorReleasedError);
    expect(() => t.toArray()).toThrow(/released automatically at training step boundary.*keep\(\)/s);
    expect(kept.sum().item()).toBeTypeOf('number');
    kept.dispose();
    expect(() => kept.toArray()).toThrow(/dispose\(\) was called/);
  });

  it('a tensor used every step stays alive', () => {
    markStep();
    const data = randn([4]);
    for (let i = 0; i < 5; i++) {
      data.add(1);
      markStep();
    }
    expect(data.isDisposed).toBe(false);
  });
});

describe('scope()', () => {
  it('releases everything but the result', () => {
    tensor([1]).add(1).dispose(); // warm the scalar cache
    const before = memory().numTensors;
    const out = scope(() => {
      const a = randn([5, 5]);
      const b = a.matmul(a).relu();
      return { b, n: 3 };
    });
    expect(memory().numTensors).toBe(before + 1);
    expect(out.b.shape).toEqual([5, 5]);
    out.b.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('releases on throw, rejects async functions, and nests', () => {
    const before = memory().numTensors;
    expect(() => scope(() => {
      randn([2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(memory().numTensors).toBe(before);
    expect(() => scope((async () => randn([2])) as never)).toThrow(/synchronous/);
    const r = scope(() => scope(() => randn([2])).add(1));
    expect(memory().numTensors).toBe(before + 1);
    r.dispose();
  });

  it('backward inside a scope does not release outer tensors', () => {
    markStep();
    const outer = randn([3]);
    for (let i = 0; i < 3; i++) {
      scope(() => {
        const w = randn([3], { requiresGrad: true });
        w.mul(outer).sum().backward();
        w.dispose();
      });
    }
    expect(outer.isDisposed).toBe(false);
  });
});

describe('in-place ops keep identity and never consume their source', () => {
  it('copy_ copies a same-shape, same-dtype source and leaves it usable', () => {
    const dst = tensor([0, 0, 0]);
    const src = tensor([1, 2, 3]);
    expect(dst.copy_(src)).toBe(dst);
    expect(dst.toArray()).toEqual([1, 2, 3]);
    expect(src.isDisposed).toBe(false);
    expect(src.toArray()).toEqual([1, 2, 3]);
    dst.copy_(tensor([7])); // broadcast
    expect(dst.toArray()).toEqual([7, 7, 7]);
  });
});

describe('native constants', () => {
  it('a scalar that changes every step (a scheduled lr) keeps the native count bounded', () => {
    const x = randn([4]).keep();
    for (let i = 0; i < 1100; i++) x.mul(1 + i * 1e-6).dispose(); // fill the constant cache
    const before = memory().numTensors;
    for (let i = 0; i < 300; i++) x.mul(2 + i * 1e-6).dispose();
    expect(memory().numTensors).toBe(before);
    x.dispose();
  });
});
