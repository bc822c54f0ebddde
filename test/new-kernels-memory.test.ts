/**
 * The memory promise for this release's pieces outside training: Duet's own
 * kernels on the forward path (whole-sequence LSTM / GRU, small matrix
 * products, bias + ReLU, max pooling), a custom autograd.Function applied
 * without backward, and grad() whose results are dropped. A plain loop, an
 * async loop and an HTTP request handler each call them with no scope(),
 * markStep() or dispose(), and memory().numTensors stays bounded (automatic
 * step boundaries come every 1000 new tensors; see inference-memory.test.ts).
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { autograd, grad, manualSeed, memory, noGrad, randn, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';
import * as keras from '@duet/keras';

class Cube extends autograd.Function {
  static forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.square()).mul(3);
  }
}

manualSeed(0);
const lstm = new nn.LSTM(16, 32, 2);
const gru = new nn.GRU(16, 32);
const mlp = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 4));
const cnn = new keras.Sequential([
  keras.Input({ shape: [12, 12, 1] }), new keras.layers.Conv2D(4, 3, { activation: 'relu' }), new keras.layers.MaxPooling2D(),
  new keras.layers.Flatten(), new keras.layers.Dense(8, { activation: 'relu' }), new keras.layers.Dense(3),
]);
const w = randn([8], { requiresGrad: true });
function work(): void {
  lstm(randn([5, 3, 16])); // a graph recorded and never walked
  noGrad(() => gru(randn([5, 3, 16])));
  mlp(randn([2, 64]));
  cnn.apply(randn([2, 12, 12, 1]));
  Cube.apply(w.mul(2)).sum();
  grad(Cube.apply(w).sum(), [w]);
}
const ITERS = 400;
function expectBounded(counts: number[]): void {
  expect(counts.length).toBeGreaterThan(3);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThan(2500);
}

describe('native memory stays bounded outside training', () => {
  it('in a plain loop', () => {
    const counts: number[] = [];
    for (let i = 0; i < ITERS; i++) {
      work();
      if (i % 50 === 49) counts.push(memory().numTensors);
    }
    expectBounded(counts);
  });

  it('in an async loop', async () => {
    const counts: number[] = [];
    for (let i = 0; i < ITERS; i++) {
      await new Promise((r) => setImmediate(r));
      work();
      if (i % 50 === 49) counts.push(memory().numTensors);
    }
    expectBounded(counts);
  });

  it('in an HTTP request handler', async () => {
    const server = createServer((_req, res) => {
      work();
      res.end(String(memory().numTensors));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const counts: number[] = [];
    try {
      for (let i = 0; i < ITERS; i++) {
        const n = Number(await (await fetch(`http://127.0.0.1:${port}/`)).text());
        if (i % 50 === 49) counts.push(n);
      }
    } finally {
      server.close();
    }
    expectBounded(counts);
  });
});
