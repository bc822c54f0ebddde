/**
 * One worker of bench/distributed/ddp.ts (started by duet-run's `launch`).
 * Trains the seed MLP (784-128-10, Adam, cross-entropy) with
 * DistributedDataParallel on in-memory synthetic batches of 32 per worker
 * (so data loading is not measured), then times allReduceArray at several
 * sizes. Rank 0 prints one line `BENCH <json>`.
 */
import { Generator, distributed, tensor, type Tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';

const STEPS = Number(process.env.STEPS ?? 300);
const WARMUP = 30;
const BATCH = 32;
const REPS = Number(process.env.REPS ?? 15);

class MyModel extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

distributed.init();
const rank = distributed.getRank();
const world = distributed.getWorldSize();
const gen = new Generator(rank + 1);
const batches = Array.from({ length: 8 }, () => [
  tensor(Float32Array.from({ length: BATCH * 784 }, () => gen.random()), { shape: [BATCH, 784] }).keep(),
  tensor(Int32Array.from({ length: BATCH }, () => gen.randint(10)), { shape: [BATCH] }).keep(),
] as const);
const inner = new MyModel();
const model = world > 1 ? new nn.parallel.DistributedDataParallel(inner) : inner;
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
const gradFloats = inner.parameters().reduce((s, p) => s + p.numel(), 0);

function step(i: number): void {
  const [x, y] = batches[i % batches.length]!;
  const loss = lossFn.forward(model.forward(x), y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
}
for (let i = 0; i < WARMUP; i++) step(i);
if (world > 1) distributed.barrier();
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step(i);
if (world > 1) distributed.barrier();
const secs = (performance.now() - t0) / 1000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const allReduce: { mb: number; msMedian: number }[] = [];
if (world > 1) {
  for (const mb of [0.01, 0.1, 0.41, 1, 4, 16]) {
    const data = new Float32Array(Math.round((mb * 1024 * 1024) / 4)).fill(1);
    const times: number[] = [];
    for (let r = 0; r < REPS; r++) {
      distributed.barrier();
      const s = performance.now();
      distributed.allReduceArray(data, 'mean');
      times.push(performance.now() - s);
    }
    allReduce.push({ mb, msMedian: median(times) });
  }
}
if (rank === 0) {
  console.log(`BENCH ${JSON.stringify({ world, steps: STEPS, batchPerWorker: BATCH, secs, stepsPerSec: STEPS / secs, samplesPerSec: (STEPS * BATCH * world) / secs, gradMB: (gradFloats * 4) / 1024 / 1024, allReduce })}`);
}
distributed.destroy();
