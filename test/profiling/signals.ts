/**
 * The program test/profiling.test.ts signals: it listens for SIGUSR2 with
 * `process.on` (what a server's graceful shutdown does with SIGTERM), then
 * runs `steps` matrix products of the seed MLP's first layer (32 x 784 x 128:
 * TensorFlow's oneDNN sgemm) while the test sends it SIGUSR2 every
 * millisecond. It prints "ready" once listening, and its last stdout line is
 * JSON: the product's sum after the last step and the signals it received.
 *
 *   node --import tsx --conditions=source test/profiling/signals.ts [steps]
 */
import { manualSeed, randn, scope } from '@duet/core';

const steps = Number(process.argv[2] ?? 3000);
let received = 0;
process.on('SIGUSR2', () => {
  received++;
});
manualSeed(0);
const x = randn([32, 784]).keep();
const w = randn([784, 128]).keep();
console.log('ready');
let sum = 0;
for (let i = 0; i < steps; i++) sum = scope(() => x.matmul(w).sum().item());
// Let the last signals' listeners run.
await new Promise((resolve) => setTimeout(resolve, 20));
console.log(JSON.stringify({ sum, received }));
