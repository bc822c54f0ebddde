/**
 * Issue 7 §2: inference with no scope(), markStep() or dispose(). 20,000
 * calls of `model.forward(randn([32, 64]))` on a 64-128-10 MLP, in a plain
 * synchronous loop and in an async loop (an `await` between calls), with
 * gradient recording on (as written) and under noGrad. Prints the native
 * tensor count and RSS every 2000 calls: both must stay flat.
 * (Before this design the count grew by 4 per call: 20,016 after 5000.)
 *
 *   CALLS=20000 pnpm exec tsx --conditions=source bench/core/inference_loop.ts
 */
import { randn, noGrad, memory, manualSeed, type Tensor } from '@duet/core';
import { nn } from '@duet/nn';

const CALLS = Number(process.env.CALLS ?? 20000);
manualSeed(0);
class Net extends nn.Module {
  fc1 = new nn.Linear(64, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}
const model = new Net();
process.on('warning', (w) => console.log(`(warning ${(w as { code?: string }).code}: ${w.message.slice(0, 90)}...)`));

type Row = { mode: string; calls: number; numTensors: number; rssMB: number; heapMB: number; usPerCall: number };
const rows: Row[] = [];
function sample(mode: string, calls: number, t0: number, last: number): number {
  const now = performance.now();
  const m = process.memoryUsage();
  rows.push({ mode, calls, numTensors: memory().numTensors, rssMB: Math.round(m.rss / 2 ** 20), heapMB: Math.round(m.heapUsed / 2 ** 20), usPerCall: Math.round(((now - t0) * 1000) / (calls - last)) });
  return now;
}

function syncLoop(mode: string, grad: boolean): void {
  let t0 = performance.now();
  let last = 0;
  const run = () => {
    for (let i = 1; i <= CALLS; i++) {
      model.forward(randn([32, 64]));
      if (i % 2000 === 0) {
        t0 = sample(mode, i, t0, last);
        last = i;
      }
    }
  };
  if (grad) run();
  else noGrad(run);
}

async function asyncLoop(mode: string, grad: boolean): Promise<void> {
  let t0 = performance.now();
  let last = 0;
  for (let i = 1; i <= CALLS; i++) {
    if (grad) model.forward(randn([32, 64]));
    else noGrad(() => model.forward(randn([32, 64])));
    await new Promise((r) => setImmediate(r));
    if (i % 2000 === 0) {
      t0 = sample(mode, i, t0, last);
      last = i;
    }
  }
}

syncLoop('sync, noGrad', false);
await asyncLoop('async, noGrad', false);
syncLoop('sync, grad on', true);
await asyncLoop('async, grad on', true);
console.table(rows);
for (const mode of new Set(rows.map((r) => r.mode))) {
  const rs = rows.filter((r) => r.mode === mode);
  const n = rs.map((r) => r.numTensors);
  const rss = rs.map((r) => r.rssMB);
  console.log(`${mode}: native tensors ${Math.min(...n)}-${Math.max(...n)}, RSS ${Math.min(...rss)}-${Math.max(...rss)} MB, median ${[...rs.map((r) => r.usPerCall)].sort((a, b) => a - b)[rs.length >> 1]} us/call`);
}
