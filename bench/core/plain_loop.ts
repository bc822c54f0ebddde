/**
 * The plain-tensor MLP loop of the Foundation issue, run long: weights as
 * requiresGrad tensors, forward, cross-entropy from core ops, backward(), an
 * SGD update under noGrad, grads zeroed; no dispose, tidy or scope anywhere.
 * Prints native tensor count and RSS every 2000 steps: both must stay flat.
 *
 *   STEPS=20000 pnpm exec tsx --conditions=source bench/core/plain_loop.ts
 */
import { randn, randint, zeros, noGrad, memory, manualSeed } from '@duet/core';

const STEPS = Number(process.env.STEPS ?? 20000);
manualSeed(0);
const w1 = randn([128, 784]).mul(0.05).requiresGrad_();
const b1 = zeros([128], { requiresGrad: true });
const w2 = randn([10, 128]).mul(0.05).requiresGrad_();
const b2 = zeros([10], { requiresGrad: true });
const X = randn([1024, 784]);
const Y = randint(0, 10, [1024]);
const params = [w1, b1, w2, b2];

const rows: { step: number; loss: number; numTensors: number; rssMB: number; msPerStep: number }[] = [];
let t0 = performance.now();
let lastStep = 0;
for (let step = 1; step <= STEPS; step++) {
  const i = (step * 32) % 1024;
  const x = X.narrow(0, i, 32);
  const y = Y.narrow(0, i, 32);
  const logits = x.matmul(w1.t()).add(b1).relu().matmul(w2.t()).add(b2);
  const loss = logits.logSoftmax(1).gather(1, y.unsqueeze(1)).neg().mean();
  loss.backward();
  noGrad(() => {
    for (const p of params) {
      p.sub_(p.grad!.mul(0.05));
      p.grad = null;
    }
  });
  if (step % 2000 === 0 || step === 100) {
    const now = performance.now();
    rows.push({ step, loss: Number(loss.item().toFixed(4)), numTensors: memory().numTensors, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), msPerStep: Number(((now - t0) / (step - lastStep)).toFixed(3)) });
    t0 = now;
    lastStep = step;
  }
}
console.table(rows);
const counts = rows.slice(1).map((r) => r.numTensors);
console.log(`native tensor count flat after warm-up: ${counts.every((c) => c === counts[0])}`);
