/**
 * Per-op overhead: a Duet op vs the raw tfjs op vs the raw binding op, in one
 * process, interleaved in many short rounds (median taken) so machine noise
 * hits all of them alike.
 * The PyTorch peer runs right after from op_overhead.py (same shapes).
 *
 *   pnpm exec tsx --conditions=source bench/core/op_overhead.ts
 */
import { randn, scope, memory, tensor } from '@duet/core';
import type * as TF from '@tensorflow/tfjs-node';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Duet loads the engine first (quietly); the raw tfjs peer is then the same, already loaded module.
tensor([0]).dispose();
const tf = await import('@tensorflow/tfjs-node');

const ITERS = Number(process.env.ITERS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 40);

function timeLoop(fn: () => void, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n; // us per op
}

const a = randn([32, 128]).keep();
const b = randn([32, 128]).keep();
const ta = tf.randomNormal([32, 128]);
const tb = tf.randomNormal([32, 128]);
const backend = tf.backend() as unknown as { executeSingleOutput(n: string, attrs: unknown[], inputs: TF.Tensor[]): TF.Tensor };
const T = { name: 'T', type: (tf.backend() as any).binding.TF_ATTR_TYPE, value: 1 };

const cases: Record<string, () => void> = {
  'binding AddV2': () => backend.executeSingleOutput('AddV2', [T], [ta, tb]).dispose(),
  'tfjs tf.add': () => tf.add(ta, tb).dispose(),
  'duet a.add(b)': () => a.add(b).dispose(),
  'duet a.add(b) (grad)': () => a.add(b).dispose(),
};
const totals: Record<string, number[]> = {};
for (const k of Object.keys(cases)) totals[k] = [];
a.requiresGrad_(false);
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, fn] of Object.entries(cases)) {
    if (k.includes('(grad)')) a.requiresGrad_(true);
    scope(() => timeLoop(fn, 500)); // warm-up
    totals[k]!.push(timeLoop(fn, ITERS));
    if (k.includes('(grad)')) a.requiresGrad_(false);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const res: Record<string, number> = {};
for (const [k, xs] of Object.entries(totals)) res[k] = median(xs);
let torchUs: number | undefined;
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
if (existsSync(py)) {
  const out = execFileSync(py, [new URL('./op_overhead.py', import.meta.url).pathname, String(ITERS)], { encoding: 'utf8' });
  torchUs = Number(JSON.parse(out).torch_add_us);
}
console.log(`32x128 float32 add, median of ${ROUNDS} rounds x ${ITERS} ops (us/op):`);
for (const [k, v] of Object.entries(res)) console.log(`  ${k.padEnd(24)} ${v.toFixed(2)}`);
if (torchUs !== undefined) console.log(`  ${'torch a + b'.padEnd(24)} ${torchUs.toFixed(2)}`);
const ratio = res['duet a.add(b)']! / res['tfjs tf.add']!;
console.log(`duet / tfjs = ${ratio.toFixed(3)} (target < 1.20); duet-with-graph / tfjs = ${(res['duet a.add(b) (grad)']! / res['tfjs tf.add']!).toFixed(3)}`);
if (torchUs !== undefined) console.log(`duet / torch = ${(res['duet a.add(b)']! / torchUs).toFixed(2)}`);
console.log('native tensors alive:', memory().numTensors);
