/**
 * Making an MNIST model small, three ways (docs/compression.md):
 *
 * 1. int8 weights: `saveQuantized` writes per-channel symmetric int8
 *    weights + float scales (safetensors); `loadQuantized` dequantizes them
 *    into a fresh model. ~4x smaller file.
 * 2. magnitude pruning: `nn.utils.prune.globalUnstructured` zeroes the 80 %
 *    smallest weights of all Linear layers, one epoch of fine-tuning (the
 *    mask survives the optimizer steps), `prune.remove` makes it permanent;
 *    for Keras, `pruneLowMagnitude` and its callback during `fit`.
 * 3. knowledge distillation: a 784-32-10 student learns from the trained
 *    model with `distillationLoss` (nn) and with `Distiller` (Keras).
 *
 *   pnpm tsx examples/compress-mnist.ts
 *   TRAIN_LIMIT=3000 OUT_DIR=/tmp/compress pnpm tsx examples/compress-mnist.ts
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, noGrad, scope, type Tensor } from '@duet/core';
import { F, nn, optim, saveSync } from '@duet/nn';
import { loadMnistTensors } from '@duet/data';
import * as keras from '@duet/keras';
import { Distiller, distillationLoss, loadQuantized, pruneLowMagnitude, saveQuantized } from '@duet/compress';

const prune = nn.utils.prune;

function mnist(train: boolean, limit: number): [Tensor, Tensor] {
  const [images, labels] = loadMnistTensors({ train });
  const n = Math.min(limit, images.shape[0]!);
  const x = images.narrow(0, 0, n).clone().float().div(255).reshape([n, 784]).keep();
  const y = labels.narrow(0, 0, n).clone().keep(); // narrow of the whole length may be the same tensor
  images.dispose();
  labels.dispose();
  return [x, y];
}

const accuracy = (f: (x: Tensor) => Tensor, x: Tensor, y: Tensor): number => noGrad(() => scope(() => f(x).argmax(1).eq(y).float().mean().item()));

function train(model: nn.Module & { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor, loss: (out: Tensor, y: Tensor, x: Tensor) => Tensor, epochs = 1): void {
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  model.train();
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < x.shape[0]!; i += 64) {
      const b = Math.min(64, x.shape[0]! - i);
      const xb = x.narrow(0, i, b);
      opt.zeroGrad();
      loss(model.forward(xb), y.narrow(0, i, b), xb).backward();
      opt.step();
    }
  }
  model.eval();
}

const makeMlp = () => new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
const ce = (out: Tensor, y: Tensor) => F.crossEntropy(out, y);

async function main(): Promise<void> {
  manualSeed(0);
  const limit = Number(process.env.TRAIN_LIMIT ?? 10000);
  const outDir = process.env.OUT_DIR ?? 'compress-mnist-out';
  mkdirSync(outDir, { recursive: true });
  const [xTrain, yTrain] = mnist(true, limit);
  const [xTest, yTest] = mnist(false, 10000);
  const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

  const model = makeMlp();
  train(model, xTrain, yTrain, ce, 2);
  const floatPath = join(outDir, 'mlp.safetensors');
  saveSync(model.stateDict(), floatPath);
  const floatAcc = accuracy((x) => model.forward(x), xTest, yTest);
  console.log(`float:   ${statSync(floatPath).size} bytes, test accuracy ${pct(floatAcc)}`);

  // 1. int8 weights, dequantized on load
  const int8Path = join(outDir, 'mlp.int8.safetensors');
  const report = saveQuantized(model, int8Path);
  const q = makeMlp();
  loadQuantized(q, int8Path);
  console.log(`int8:    ${report.fileBytes} bytes (${(report.fileBytes / statSync(floatPath).size).toFixed(3)} of float), quantized ${report.quantized.join(', ')}, accuracy ${pct(accuracy((x) => q.forward(x), xTest, yTest))}`);

  // 2. global magnitude pruning + fine-tuning
  const pruned = makeMlp();
  pruned.loadStateDict(model.stateDict());
  const linears = pruned.modules().filter((m): m is nn.Linear => m instanceof nn.Linear);
  prune.globalUnstructured(linears.map((m) => [m, 'weight'] as [nn.Module, string]), { pruningMethod: prune.L1Unstructured, amount: 0.8 });
  const before = accuracy((x) => pruned.forward(x), xTest, yTest);
  train(pruned, xTrain, yTrain, ce, 1);
  for (const m of linears) prune.remove(m, 'weight');
  const sparsities = linears.map((m) => pct(prune.sparsity(m.weight))).join(' / ');
  console.log(`pruned:  sparsity per layer ${sparsities}; accuracy ${pct(before)} right after pruning, ${pct(accuracy((x) => pruned.forward(x), xTest, yTest))} after one epoch of fine-tuning`);

  // 3. distillation into a 784-32-10 student (nn function)
  const student = new nn.Sequential(new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));
  train(student, xTrain, yTrain, (out, y, x) => distillationLoss(out, noGrad(() => model.forward(x)), y, { temperature: 4, alpha: 0.1 }), 2);
  const studentParams = student.parameters().reduce((s, p) => s + p.numel(), 0);
  const teacherParams = model.parameters().reduce((s, p) => s + p.numel(), 0);
  console.log(`student: ${studentParams} parameters (${(studentParams / teacherParams).toFixed(3)} of the teacher), accuracy ${pct(accuracy((x) => student.forward(x), xTest, yTest))}`);

  // The Keras style: int8 file and a Distiller.
  const kTeacher = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(256, { activation: 'relu' }), new keras.layers.Dense(10)]);
  const lossFn = new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true });
  kTeacher.compile({ optimizer: 'adam', loss: lossFn });
  await kTeacher.fit(xTrain, yTrain, { epochs: 2, batchSize: 64, verbose: 0 });
  const kPath = join(outDir, 'keras.int8.safetensors');
  const kReport = saveQuantized(kTeacher, kPath);
  const kq = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(256, { activation: 'relu' }), new keras.layers.Dense(10)]);
  loadQuantized(kq, kPath);
  const kAcc = (m: keras.Layer) => accuracy((x) => m.apply(x) as Tensor, xTest, yTest);
  console.log(`keras float accuracy ${pct(kAcc(kTeacher))}; int8 file ${kReport.fileBytes} bytes (${(kReport.quantizedBytes / kReport.floatBytes).toFixed(3)} of the float data), accuracy ${pct(kAcc(kq))}`);
  const kPruned = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(256, { activation: 'relu' }), new keras.layers.Dense(10)]);
  kPruned.setWeights(kTeacher.getWeights());
  const pruning = pruneLowMagnitude(kPruned, { targetSparsity: 0.8 });
  kPruned.compile({ optimizer: 'adam', loss: lossFn });
  await kPruned.fit(xTrain, yTrain, { epochs: 1, batchSize: 64, verbose: 0, callbacks: [pruning.callback()] });
  console.log(`keras pruned: ${pct(pruning.sparsity())} of kernel weights zero after fine-tuning, accuracy ${pct(kAcc(kPruned))}`);
  pruning.strip();
  const kStudent = new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(32, { activation: 'relu' }), new keras.layers.Dense(10)]);
  const distiller = new Distiller({ student: kStudent, teacher: kTeacher });
  distiller.compile({ optimizer: 'adam', studentLossFn: lossFn, metrics: ['accuracy'], alpha: 0.1, temperature: 4 });
  await distiller.fit(xTrain, yTrain, { epochs: 2, batchSize: 64, verbose: 0 });
  console.log(`keras distilled student accuracy ${pct(kAcc(kStudent))}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
