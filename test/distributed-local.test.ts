/**
 * distributed in this process, as a group of one (a real TensorFlow gRPC
 * server on a free localhost port): the collectives, DistributedDataParallel
 * and checkpoints run their whole path with no child process, and leak no
 * native tensors (expectNoLeaks for the collectives, a flat count per DDP step). The multi-worker behaviour is covered by
 * test/distributed.test.ts, -ddp and -keras.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distributed, manualSeed, memory, randn, randint, tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';
import { expectNoLeaks } from './helpers.js';
// @ts-expect-error plain JavaScript module without types
import { freePorts } from '../scripts/duet-run.mjs';

const dir = mkdtempSync(join(tmpdir(), 'duet-dist-local-'));
beforeAll(async () => {
  const [port] = (await freePorts(1)) as number[];
  distributed.init({ cluster: [`localhost:${port}`], rank: 0, timeoutMs: 30_000 });
});
afterAll(() => {
  distributed.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('a group of one', () => {
  it('reports its rank and size; a second init() is a DistributedStateError', () => {
    expect(distributed.isInitialized()).toBe(true);
    expect([distributed.getRank(), distributed.getWorldSize()]).toEqual([0, 1]);
    expect(() => distributed.init({ cluster: ['localhost:1'], rank: 0 })).toThrow(distributed.DistributedStateError);
  });

  it('collectives return the values of the only worker, with no leaked tensors', () => {
    const t = tensor([[1.5, -2], [3, 4]]);
    const values = t.toArray();
    for (const op of ['sum', 'mean', 'max', 'min', 'product'] as const) expect(distributed.allReduce(t, op).toArray()).toEqual(values);
    expect(distributed.broadcast(t, 0).toArray()).toEqual(values);
    expect(distributed.allGather(t).map((g) => g.toArray())).toEqual([values]);
    expect(Array.from(distributed.allReduceArray(Int32Array.of(3, 4), 'sum'))).toEqual([3, 4]);
    expectNoLeaks(() => {
      distributed.allReduce(t, 'mean');
      distributed.broadcast(t, 0);
      for (const g of distributed.allGather(t)) g.dispose();
      distributed.barrier();
    });
    t.dispose();
  });

  it('checks its arguments with typed errors', () => {
    const t = tensor([1, 2]);
    expect(() => distributed.allReduce(t, 'median' as never)).toThrow(/'sum', 'mean'/);
    expect(() => distributed.allReduce(tensor([1], { dtype: 'int32' }), 'mean')).toThrow(/needs a float32 tensor/);
    expect(() => distributed.allReduce(tensor([true]), 'sum')).toThrow(/received bool/);
    expect(() => distributed.broadcast(t, 1)).toThrow(/source rank in 0\.\.0, received 1/);
    t.dispose();
  });

  it('DistributedDataParallel trains like the bare model, leaks nothing per step, and checkpoints round-trip', () => {
    manualSeed(3);
    const a = new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 3));
    const b = a.deepCopy();
    const ddp = new nn.parallel.DistributedDataParallel(a);
    const optA = new optim.SGD(ddp.parameters(), { lr: 0.1 });
    const optB = new optim.SGD(b.parameters(), { lr: 0.1 });
    const x = randn([8, 6]).keep();
    const y = randint(0, 3, [8]).keep();
    const lossFn = new nn.CrossEntropyLoss();
    const step = (model: nn.Module, opt: optim.SGD) => {
      const loss = lossFn.forward(model(x), y); // PyTorch's model(x)
      opt.zeroGrad();
      loss.backward();
      opt.step();
    };
    for (let i = 0; i < 3; i++) {
      step(ddp, optA);
      step(b, optB);
    }
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sb)) expect(sa[k]!.toArray()).toEqual(sb[k]!.toArray()); // the mean over one worker is the gradient itself
    expect(Object.keys(ddp.stateDict())[0]).toBe('module.0.weight'); // PyTorch's prefix
    // native tensors after each step: flat (a step replaces its gradients and temporaries; nothing accumulates)
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      step(ddp, optA);
      step(b, optB);
      counts.push(memory().numTensors);
    }
    expect(counts.slice(1), 'a DDP training step leaked native tensors').toEqual([counts[0], counts[0], counts[0]]);

    const path = join(dir, 'ckpt.safetensors');
    nn.parallel.saveCheckpoint(path, { model: a, optimizer: optA, extra: { step: 4 } });
    const c = b.deepCopy();
    const optC = new optim.SGD(c.parameters(), { lr: 0.5 });
    expect(nn.parallel.loadCheckpoint(path, { model: c, optimizer: optC })).toEqual({ step: 4 });
    for (const [k, v] of Object.entries(c.stateDict())) expect(v.toArray()).toEqual(sa[k]!.toArray());
    expect(optC.paramGroups[0]!.lr).toBe(0.1);
    x.dispose();
    y.dispose();
  });
});
