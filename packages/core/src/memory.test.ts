import { describe, expect, it } from 'vitest';
import {
  tensor, randn, randint, zeros, noGrad, memory, scope, markStep, TensorReleasedError, AutogradError, softmaxCrossEntropy, linear,
  libraryCall, type Tensor,
} from './index.js';

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

  it('a tensor you hold stays valid across boundaries: its values move to JavaScript memory, dispose() gives a clear error', () => {
    const t = randn([3]).mul(2); // an op result made outside any library call: yours
    const values = t.toArray();
    const kept = randn([3]).keep();
    const before = memory().numTensors;
    markStep();
    markStep();
    markStep();
    expect(memory().numTensors).toBeLessThan(before); // t left native memory ...
    expect(t.isDisposed).toBe(false);
    expect(t.toArray()).toEqual(values); // ... and comes back when used
    expect(t.sum().item()).toBeCloseTo(values.reduce((a: number, b: number) => a + b, 0), 5);
    expect(kept.sum().item()).toBeTypeOf('number');
    kept.dispose();
    expect(() => kept.toArray()).toThrow(TensorReleasedError);
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

/** A stand-in for a module: its forward runs as a library call, as nn.Module's does. */
class Layer {
  w = randn([8, 4]).requiresGrad_();
  stash: Tensor | null = null;
  forward(x: Tensor): Tensor {
    return libraryCall(this, 'forward', () => {
      const h = x.matmul(this.w);
      this.stash = h; // a tensor made inside the call and not returned
      return h.relu().sum(1);
    });
  }
}

/** Bounded: the native count over `counts` varies by less than `bound` (it grew by 4 per iteration before). */
function expectBounded(counts: number[], bound = 2500): void {
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThan(bound);
}

describe('library calls and reachable tensors (issue 7, sections 2 and 2b)', () => {
  it('frees what a call made and did not return at once when no graph was recorded; the result stays yours', () => {
    const layer = new Layer();
    const x = randn([2, 8]);
    noGrad(() => layer.forward(x)); // warm the constant cache
    const before = memory().numTensors;
    const y = noGrad(() => layer.forward(x));
    expect(memory().numTensors).toBe(before + 1); // only the result is left
    expect(y.shape).toEqual([2]);
    expect(() => layer.stash!.toArray()).toThrow(TensorReleasedError);
    expect(() => layer.stash!.toArray()).toThrow(/made inside Layer\.forward\(\) and not returned.*\.keep\(\)/s);
  });

  it('running sum, last value, best value and a list of per-epoch values stay valid across many boundaries', () => {
    const layer = new Layer();
    const xs = Array.from({ length: 6 }, () => randn([2, 8]));
    const expected = xs.map((x) => noGrad(() => x.matmul(layer.w).relu().sum(1)).toArray() as number[]);
    let sum = tensor(0);
    let last: Tensor | null = null;
    let best: Tensor | null = null;
    const perEpoch: Tensor[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      for (const x of xs) {
        const y = noGrad(() => layer.forward(x));
        sum = sum.add(y.sum());
        last = y;
        if (best === null || y.sum().item() > best.sum().item()) best = y;
        markStep(); // a DataLoader batch
      }
      perEpoch.push(sum.clone());
    }
    const total = expected.flat().reduce((a, b) => a + b, 0);
    expect(sum.item()).toBeCloseTo(5 * total, 3);
    expect(last!.toArray()).toEqual(expected[5]);
    expect(best!.sum().item()).toBeCloseTo(Math.max(...expected.map((e) => e.reduce((a, b) => a + b, 0))), 4);
    expect(perEpoch.map((t) => t.item() / total)).toEqual([1, 2, 3, 4, 5].map((k) => expect.closeTo(k, 4)));
  });

  it('a loop with no boundary at all (plain ops) keeps the native count bounded', () => {
    const w = randn([64, 64]);
    const counts: number[] = [];
    noGrad(() => {
      for (let i = 0; i < 5000; i++) {
        randn([32, 64]).matmul(w).relu();
        if (i % 500 === 499) counts.push(memory().numTensors);
      }
    });
    expectBounded(counts);
  });

  it('automatic boundaries keep a long graph built with plain ops: backward() still works', () => {
    const w = randn([16, 16]).mul(0.1).requiresGrad_();
    let h = randn([4, 16]);
    for (let i = 0; i < 1500; i++) h = h.matmul(w).tanh().add(h); // ~4500 tensors: several automatic boundaries
    expect(memory().step).toBeGreaterThan(0);
    h.sum().backward();
    expect(Number.isFinite(w.grad!.sum().item())).toBe(true);
    w.grad = null;
  });

  it('summing losses over batches and calling backward() once names the pattern and the fix', () => {
    const w = randn([8, 4]).requiresGrad_();
    let total = tensor(0);
    for (let i = 0; i < 4; i++) {
      total = total.add(randn([2, 8]).matmul(w).square().mean());
      markStep(); // the next batch
    }
    let error: unknown;
    try {
      total.backward();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AutogradError);
    expect((error as Error).message).toMatch(/released before backward\(\) reached it.*call backward\(\) on each batch/s);
  });
});

describe('library calls that return a Promise', () => {
  it('leave what they made to the user (an async forward goes on after returning)', async () => {
    const owner = { constructor: { name: 'AsyncNet' } };
    let h: Tensor | null = null;
    const out = await noGrad(() =>
      libraryCall(owner, 'forward', () => {
        h = randn([2, 3]).mul(2);
        return Promise.resolve().then(() => h!.add(1));
      }),
    );
    markStep();
    markStep();
    markStep();
    expect(h!.isDisposed).toBe(false);
    expect(out.shape).toEqual([2, 3]);
  });
});

describe('tensors made from JavaScript arrays', () => {
  it('copy the array: reusing it for the next batch does not change a tensor you hold, also after it left native memory', () => {
    const buf = new Float32Array([1, 2, 3]);
    const a = tensor(buf);
    a.add(0); // uploaded
    buf.set([7, 8, 9]);
    const b = tensor(buf);
    markStep();
    markStep();
    markStep();
    expect(a.toArray()).toEqual([1, 2, 3]);
    expect(b.toArray()).toEqual([7, 8, 9]);
  });
});
