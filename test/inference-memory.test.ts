/**
 * Issue 7 §2: inference holds flat native memory with no scope(), markStep()
 * or dispose(): plain, async and noGrad loops calling model.forward, after
 * training and in eval mode. Before, 5000 calls left 20,000 native tensors.
 * "Bounded" here: the native count varies by less than 2500 over the loop
 * (automatic boundaries come every 1000 new tensors).
 */
import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, noGrad, randint, randn } from '@duet/core';
import { nn, optim } from '@duet/nn';

class Net extends nn.Module {
  fc1 = new nn.Linear(64, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}
/** With ops that keep tensors for backward (batch norm statistics, a dropout mask). */
class NormNet extends nn.Module {
  fc1 = new nn.Linear(64, 128);
  bn = new nn.BatchNorm1d(128);
  drop = new nn.Dropout(0.5);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(this.bn.forward(this.fc1.forward(x)).relu()));
  }
}

const ITERS = 5000;
/** Duet's memory warnings in this file's process (vitest runs each file in its own module context). */
const warnings: Error[] = [];
process.on('warning', (w) => {
  if ((w as { code?: string }).code === 'DUET_GRAPHS_WITHOUT_BACKWARD') warnings.push(w);
});
function expectBounded(counts: number[]): void {
  expect(counts.length).toBeGreaterThan(3);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThan(2500);
}
function inferenceLoop(call: () => void): number[] {
  const counts: number[] = [];
  for (let i = 0; i < ITERS; i++) {
    call();
    if (i % 500 === 499) counts.push(memory().numTensors);
  }
  return counts;
}

describe('inference loops keep native memory bounded (issue 7 §2)', () => {
  it('a plain loop, gradient recording on; a one-time warning says to use noGrad', async () => {
    manualSeed(0);
    const model = new Net();
    expectBounded(inferenceLoop(() => model.forward(randn([32, 64]))));
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/never used by backward\(\).*noGrad\(/s);
  });

  it('under noGrad, where a call leaves only its output behind', () => {
    const model = new Net();
    const x = randn([32, 64]);
    noGrad(() => model.forward(x)); // warm the constant cache
    const before = memory().numTensors;
    noGrad(() => model.forward(x));
    expect(memory().numTensors).toBe(before + 1);
    expectBounded(noGrad(() => inferenceLoop(() => model.forward(randn([32, 64])))));
  });

  it('an async loop with await between iterations', async () => {
    const model = new Net();
    const counts: number[] = [];
    for (let i = 0; i < ITERS; i++) {
      model.forward(randn([32, 64]));
      await (i % 2 === 0 ? Promise.resolve() : new Promise((r) => setImmediate(r)));
      if (i % 500 === 499) counts.push(memory().numTensors);
    }
    expectBounded(counts);
  });

  it('after training, and in eval mode with batch norm and dropout (tensors kept for backward)', async () => {
    manualSeed(0);
    const model = new NormNet();
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const lossFn = new nn.CrossEntropyLoss();
    for (let s = 0; s < 10; s++) {
      const loss = lossFn.forward(model.forward(randn([32, 64])), randint(0, 10, [32]));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    expectBounded(inferenceLoop(() => model.forward(randn([32, 64])))); // train mode, after training
    model.eval();
    expectBounded(inferenceLoop(() => model.forward(randn([32, 64]))));
    expectBounded(noGrad(() => inferenceLoop(() => model.forward(randn([32, 64])))));
    await new Promise((r) => setImmediate(r));
    expect(warnings).toHaveLength(1); // once per process
  });

  it('collected predictions stay valid and correct, with and without gradient recording', () => {
    manualSeed(0);
    const model = new Net();
    const inputs: Tensor[] = [];
    const preds: Tensor[] = [];
    const graphPreds: Tensor[] = [];
    for (let i = 0; i < 1500; i++) {
      const x = randn([4, 64]);
      inputs.push(x);
      preds.push(noGrad(() => model.forward(x)));
      graphPreds.push(model.forward(x));
    }
    expect(memory().numTensors).toBeLessThan(3000);
    for (const i of [0, 1, 700, 1499]) {
      const again = noGrad(() => model.forward(inputs[i]!)).toArray();
      expect(preds[i]!.toArray()).toEqual(again);
      expect(graphPreds[i]!.toArray()).toEqual(again);
    }
  });

  it('what a forward hook receives and keeps stays valid', () => {
    // Hooks run on calls (`this.fc1(x)`), not on a bare `forward`, as in PyTorch.
    class CallingNet extends Net {
      override forward(x: Tensor): Tensor {
        return this.fc2(this.fc1(x).relu());
      }
    }
    const model = new CallingNet();
    const features: Tensor[] = [];
    const detached: Tensor[] = [];
    model.fc1.registerForwardHook((_m, _args, out: Tensor) => {
      features.push(out);
      detached.push(out.detach().relu());
    });
    const xs = Array.from({ length: 3 }, () => randn([2, 64]));
    noGrad(() => {
      for (let i = 0; i < 1000; i++) model.forward(xs[i % 3]!);
    });
    const expected = noGrad(() => model.fc1.forward(xs[0]!)).toArray();
    expect(features[0]!.toArray()).toEqual(expected);
    expect(features[999]!.toArray()).toEqual(expected);
    expect(detached[0]!.toArray()).toEqual(noGrad(() => model.fc1.forward(xs[0]!).relu()).toArray());
  });
});
