/**
 * Batches per second of iterating MNIST (60k train images) with
 * `DataLoader(MNIST + ToTensor, { batchSize: 32, shuffle: true })`, the seed
 * program's loader, against PyTorch's DataLoader over the same IDX files
 * (bench/data/mnist_loader.py).
 *
 * Run: pnpm exec tsx --conditions=source bench/data/mnist_loader.ts [--epochs 3] [--workers 0,2] [--compare]
 * Prints one JSON line per epoch; --compare also runs the PyTorch script and prints a summary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendInfo, memory } from '@duet/core';
import { DataLoader, datasets, transforms } from '@duet/data';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const epochs = Number(arg('epochs', '3'));
const workerCounts = arg('workers', '0').split(',').map(Number);

const info = backendInfo(); // load the native engine before timing (PyTorch's is loaded at import)
const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
const results: Record<number, number[]> = {};
for (const numWorkers of workerCounts) {
  const loader = new DataLoader(trainSet, { batchSize: 32, shuffle: true, numWorkers, persistentWorkers: numWorkers > 0 });
  results[numWorkers] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const t = performance.now();
    let n = 0;
    let shape: readonly number[] = [];
    for await (const [x, y] of loader) {
      if (n++ === 0) shape = [...x.shape, ...y.shape];
    }
    const seconds = (performance.now() - t) / 1000;
    results[numWorkers]!.push(n / seconds);
    console.log(JSON.stringify({ framework: 'duet', tf: info.tfVersion, node: process.version, numWorkers, epoch, batches: n, seconds: +seconds.toFixed(3), batchesPerSec: +(n / seconds).toFixed(1), shape, numTensors: memory().numTensors }));
  }
  loader.close();
}

if (process.argv.includes('--compare')) {
  const py = fileURLToPath(new URL('../../.venv-ref/bin/python', import.meta.url));
  const script = fileURLToPath(new URL('./mnist_loader.py', import.meta.url));
  const torch: Record<number, number[]> = {};
  if (!existsSync(py)) console.log(`no reference Python at ${py}; skipping PyTorch`);
  else {
    for (const w of workerCounts) {
      const r = spawnSync(py, [script, '--epochs', String(epochs), '--workers', String(w)], { encoding: 'utf8' });
      process.stdout.write(r.stdout);
      torch[w] = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).batchesPerSec as number);
    }
  }
  const best = (xs: number[] | undefined): string => (xs && xs.length ? Math.max(...xs).toFixed(0) : '-');
  console.log('\nbatches/s (best epoch), MNIST train, batchSize 32, shuffle, ToTensor');
  for (const w of workerCounts) console.log(`  numWorkers ${w}: duet ${best(results[w])}  pytorch ${best(torch[w])}`);
}
