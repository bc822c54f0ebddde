/**
 * What typing TensorFlow's errors costs on the hot path: Duet wraps the
 * backend's executeSingleOutput (engine.ts, typeKernelErrors) in a try/catch.
 * Interleaved rounds of `a.add(b)` with the wrapper and with the raw
 * prototype method (no try at all), in one process, median taken.
 *
 *   pnpm exec tsx --conditions=source bench/core/kernel_errors.ts
 */
import { randn, scope } from '@duet/core';
import * as tf from '@tensorflow/tfjs-node';

const ROUNDS = Number(process.env.ROUNDS ?? 60);
const a = randn([32, 128]).keep();
const b = randn([32, 128]).keep();
const backend = tf.backend() as unknown as Record<string, unknown>;
const wrapped = backend.executeSingleOutput;
const time = (n: number) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) a.add(b).dispose();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
};
const us: Record<'wrapped' | 'raw', number[]> = { wrapped: [], raw: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const k of ['wrapped', 'raw'] as const) {
    if (k === 'raw') delete backend.executeSingleOutput; // falls back to the prototype's method
    else backend.executeSingleOutput = wrapped;
    scope(() => time(300)); // warm-up
    us[k].push(time(2000));
  }
}
backend.executeSingleOutput = wrapped;
const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
const [w, r] = [median(us.wrapped), median(us.raw)];
console.log(`32x128 add, median of ${ROUNDS} interleaved rounds (us/op): with typed errors ${w.toFixed(2)}, raw ${r.toFixed(2)}, ratio ${(w / r).toFixed(3)}`);
