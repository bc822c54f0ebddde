/**
 * Compression on MNIST, both styles: file size, test accuracy (10 000
 * images) and inference time per batch of 256 for
 *
 * - float: the trained model, saved as float32 safetensors;
 * - int8: `saveQuantized` (per-channel symmetric int8 weights + float
 *   scales), loaded back into a fresh model with `loadQuantized`
 *   (dequantize-on-load, so inference runs the same float kernels);
 * - pruned: `nn.utils.prune.globalUnstructured` (nn) / `pruneLowMagnitude`
 *   (Keras) at PRUNE (80 %) of the Linear/Conv weights (Dense/Conv
 *   kernels), one fine-tuning epoch (Keras: `fit` with the pruning
 *   callback), `prune.remove` / `strip()`; saved as float (a dense file:
 *   zeros cost as much as any float) and as int8;
 * - distilled student (MLP rows): a 784-32-10 MLP trained with
 *   `distillationLoss` (nn) / `Distiller` (Keras) from the float MLP as
 *   teacher (T = 4, alpha = 0.1), and the same student trained alone on
 *   the labels.
 *
 * Models: MLP 784-256-128-10 and a CNN (conv 16 3x3, pool, conv 32 3x3,
 * pool, linear 800-10), trained EPOCHS (2) epochs on TRAIN (20 000) images
 * with Adam 1e-3, batch 64. Times: median of ROUNDS (20) rounds; each round
 * runs every variant of one model once over the same 4 batches in turn
 * (alternating, so machine noise hits all alike). Ratios are against the
 * float model in the same process. Prints a markdown table and the load
 * average before and after.
 *
 *   pnpm exec tsx --conditions=source bench/compress/mnist.ts
 *   TRAIN=5000 ROUNDS=5 pnpm exec tsx --conditions=source bench/compress/mnist.ts   # quick
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tensor, manualSeed, noGrad, scope } from '@duet/core';
import { F, nn, optim, saveSync } from '@duet/nn';
import { loadMnistTensors } from '@duet/data';
import * as keras from '@duet/keras';
import { Distiller, distillationLoss, loadQuantized, pruneLowMagnitude, saveQuantized } from '@duet/compress';

const TRAIN = Number(process.env.TRAIN ?? 20000);
const EPOCHS = Number(process.env.EPOCHS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const PRUNE = Number(process.env.PRUNE ?? 0.8);
const BATCH = 256;
const dir = mkdtempSync(join(tmpdir(), 'duet-compress-bench-'));
const load0 = loadavg();
manualSeed(0);

function mnist(train: boolean, limit: number): [Tensor, Tensor] {
  const [images, labels] = loadMnistTensors({ train });
  const n = Math.min(limit, images.shape[0]!);
  const x = images.narrow(0, 0, n).clone().float().div(255).reshape([n, 1, 28, 28]).keep();
  const y = labels.narrow(0, 0, n).clone().keep(); // narrow of the whole length may be the same tensor
  images.dispose();
  labels.dispose();
  return [x, y];
}
const [xTrain, yTrain] = mnist(true, TRAIN);
const [xTest, yTest] = mnist(false, 10000);
const flat = (x: Tensor) => x.reshape([x.shape[0]!, 784]);
const nhwc = (x: Tensor) => x.permute([0, 2, 3, 1]);

type Fwd = (x: Tensor) => Tensor;

function accuracy(f: Fwd): number {
  let correct = 0;
  for (let i = 0; i < xTest.shape[0]!; i += 1000) {
    correct += noGrad(() => scope(() => f(xTest.narrow(0, i, 1000)).argmax(1).eq(yTest.narrow(0, i, 1000)).sum().item()));
  }
  return correct / xTest.shape[0]!;
}

function trainNn(model: nn.Module & { forward(x: Tensor): Tensor }, epochs: number, loss: (out: Tensor, y: Tensor, x: Tensor) => Tensor, lr = 1e-3): void {
  const opt = new optim.Adam(model.parameters(), { lr });
  model.train();
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < TRAIN; i += 64) {
      const b = Math.min(64, TRAIN - i);
      const x = xTrain.narrow(0, i, b);
      opt.zeroGrad();
      loss(model.forward(x), yTrain.narrow(0, i, b), x).backward();
      opt.step();
    }
  }
  model.eval();
}

const makeMlp = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10));
const makeCnn = () =>
  new nn.Sequential(new nn.Conv2d(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(16, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(800, 10));
const makeStudent = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));
const ce = (out: Tensor, y: Tensor) => F.crossEntropy(out, y);

interface Variant {
  name: string;
  bytes: number;
  acc: number;
  forward: Fwd;
  times: number[];
  note?: string;
}

function floatBytes(dict: Record<string, Tensor>, name: string): number {
  const p = join(dir, `${name}.safetensors`);
  saveSync(dict, p);
  return statSync(p).size;
}

/** Interleaved timing: every round runs each variant on the same batches. */
function time(variants: Variant[], prep: (x: Tensor) => Tensor): void {
  const batches = [0, 1, 2, 3].map((k) => prep(xTest.narrow(0, k * BATCH, BATCH)).keep());
  for (const v of variants) noGrad(() => scope(() => void v.forward(batches[0]!))); // warm up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const t0 = performance.now();
      noGrad(() => scope(() => batches.forEach((b) => v.forward(b).dataSync())));
      v.times.push((performance.now() - t0) / batches.length);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function nnVariants(kind: 'MLP' | 'CNN'): Variant[] {
  const make = kind === 'MLP' ? makeMlp : makeCnn;
  const model = make();
  trainNn(model, EPOCHS, ce);
  const out: Variant[] = [];
  out.push({ name: 'float', bytes: floatBytes(model.stateDict(), `nn-${kind}`), acc: accuracy((x) => model.forward(x)), forward: (x) => model.forward(x), times: [] });

  const q = make();
  const qPath = join(dir, `nn-${kind}.int8.safetensors`);
  const qr = saveQuantized(model, qPath);
  loadQuantized(q, qPath);
  q.eval();
  out.push({ name: 'int8 weights', bytes: qr.fileBytes, acc: accuracy((x) => q.forward(x)), forward: (x) => q.forward(x), times: [] });

  const pruned = make();
  pruned.loadStateDict(model.stateDict());
  const targets = pruned.modules().filter((m) => m instanceof nn.Linear || m instanceof nn.Conv2d).map((m) => [m, 'weight'] as [nn.Module, string]);
  nn.utils.prune.globalUnstructured(targets, { pruningMethod: nn.utils.prune.L1Unstructured, amount: PRUNE });
  const accPrunedNoFt = accuracy((x) => pruned.forward(x));
  trainNn(pruned, 1, ce, 5e-4);
  for (const [m] of targets) nn.utils.prune.remove(m, 'weight');
  const zeros = targets.reduce((s, [m]) => s + nn.utils.prune.sparsity((m as nn.Linear).weight) * (m as nn.Linear).weight.numel(), 0);
  const total = targets.reduce((s, [m]) => s + (m as nn.Linear).weight.numel(), 0);
  const note = `${((100 * zeros) / total).toFixed(0)} % of weights zero; ${(100 * accPrunedNoFt).toFixed(2)} % before fine-tuning`;
  out.push({ name: `pruned ${100 * PRUNE} % + fine-tune`, bytes: floatBytes(pruned.stateDict(), `nn-${kind}-pruned`), acc: accuracy((x) => pruned.forward(x)), forward: (x) => pruned.forward(x), times: [], note });
  const pq = make();
  const pqPath = join(dir, `nn-${kind}-pruned.int8.safetensors`);
  const pqr = saveQuantized(pruned, pqPath);
  loadQuantized(pq, pqPath);
  pq.eval();
  out.push({ name: `pruned ${100 * PRUNE} % + int8`, bytes: pqr.fileBytes, acc: accuracy((x) => pq.forward(x)), forward: (x) => pq.forward(x), times: [] });

  if (kind === 'MLP') {
    manualSeed(1);
    const student = makeStudent();
    trainNn(student, EPOCHS, (o, y, x) => distillationLoss(o, noGrad(() => model.forward(x)), y, { temperature: 4, alpha: 0.1 }));
    out.push({ name: 'distilled student 784-32-10', bytes: floatBytes(student.stateDict(), `nn-${kind}-student`), acc: accuracy((x) => student.forward(x)), forward: (x) => student.forward(x), times: [] });
    manualSeed(1);
    const alone = makeStudent();
    trainNn(alone, EPOCHS, ce);
    out.push({ name: 'same student, labels only', bytes: floatBytes(alone.stateDict(), `nn-${kind}-alone`), acc: accuracy((x) => alone.forward(x)), forward: (x) => alone.forward(x), times: [] });
  }
  time(out, (x) => x);
  return out;
}

async function kerasVariants(kind: 'MLP' | 'CNN'): Promise<Variant[]> {
  const make = (): keras.Sequential =>
    kind === 'MLP'
      ? new keras.Sequential([keras.Input({ shape: [784] }), new keras.layers.Dense(256, { activation: 'relu' }), new keras.layers.Dense(128, { activation: 'relu' }), new keras.layers.Dense(10)])
      : new keras.Sequential([
          keras.Input({ shape: [28, 28, 1] }),
          new keras.layers.Conv2D(16, 3, { activation: 'relu' }),
          new keras.layers.MaxPooling2D(2),
          new keras.layers.Conv2D(32, 3, { activation: 'relu' }),
          new keras.layers.MaxPooling2D(2),
          new keras.layers.Flatten(),
          new keras.layers.Dense(10),
        ]);
  const prep = kind === 'MLP' ? flat : nhwc;
  const lossFn = () => new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true });
  const model = make();
  model.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 1e-3 }), loss: lossFn() });
  await model.fit(prep(xTrain), yTrain, { epochs: EPOCHS, batchSize: 64, verbose: 0, shuffle: false });
  const fwd = (m: keras.Layer): Fwd => (x) => m.apply(prep(x)) as Tensor;
  const fwdPrepped = (m: keras.Layer): Fwd => (x) => m.apply(x) as Tensor;
  const out: Variant[] = [];
  const weightsDict = (m: keras.Model) => Object.fromEntries(m.weights.map((w) => [w.path, w as Tensor]));
  out.push({ name: 'float', bytes: floatBytes(weightsDict(model), `keras-${kind}`), acc: accuracy(fwd(model)), forward: fwdPrepped(model), times: [] });
  const q = make();
  const qPath = join(dir, `keras-${kind}.int8.safetensors`);
  const qr = saveQuantized(model, qPath);
  loadQuantized(q, qPath);
  out.push({ name: 'int8 weights', bytes: qr.fileBytes, acc: accuracy(fwd(q)), forward: fwdPrepped(q), times: [] });

  const pr = make();
  pr.setWeights(model.getWeights());
  const pruning = pruneLowMagnitude(pr, { targetSparsity: PRUNE });
  const accPrunedNoFt = accuracy(fwd(pr));
  pr.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 5e-4 }), loss: lossFn() });
  await pr.fit(prep(xTrain), yTrain, { epochs: 1, batchSize: 64, verbose: 0, shuffle: false, callbacks: [pruning.callback()] });
  const note = `${(100 * pruning.sparsity()).toFixed(0)} % of kernel weights zero; ${(100 * accPrunedNoFt).toFixed(2)} % before fine-tuning`;
  pruning.strip();
  out.push({ name: `pruned ${100 * PRUNE} % + fine-tune`, bytes: floatBytes(weightsDict(pr), `keras-${kind}-pruned`), acc: accuracy(fwd(pr)), forward: fwdPrepped(pr), times: [], note });
  const pq = make();
  const pqPath = join(dir, `keras-${kind}-pruned.int8.safetensors`);
  const pqr = saveQuantized(pr, pqPath);
  loadQuantized(pq, pqPath);
  out.push({ name: `pruned ${100 * PRUNE} % + int8`, bytes: pqr.fileBytes, acc: accuracy(fwd(pq)), forward: fwdPrepped(pq), times: [] });

  if (kind === 'MLP') {
    const mkStudent = () => new keras.Sequential([keras.Input({ shape: kind === 'MLP' ? [784] : [28, 28, 1] }), new keras.layers.Flatten(), new keras.layers.Dense(32, { activation: 'relu' }), new keras.layers.Dense(10)]);
    manualSeed(1);
    const student = mkStudent();
    const distiller = new Distiller({ student, teacher: model });
    distiller.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 1e-3 }), studentLossFn: lossFn(), temperature: 4, alpha: 0.1 });
    await distiller.fit(prep(xTrain), yTrain, { epochs: EPOCHS, batchSize: 64, verbose: 0, shuffle: false });
    out.push({ name: 'distilled student 784-32-10', bytes: floatBytes(weightsDict(student), `keras-${kind}-student`), acc: accuracy(fwd(student)), forward: fwdPrepped(student), times: [] });
    manualSeed(1);
    const alone = mkStudent();
    alone.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 1e-3 }), loss: lossFn() });
    await alone.fit(prep(xTrain), yTrain, { epochs: EPOCHS, batchSize: 64, verbose: 0, shuffle: false });
    out.push({ name: 'same student, labels only', bytes: floatBytes(weightsDict(alone), `keras-${kind}-alone`), acc: accuracy(fwd(alone)), forward: fwdPrepped(alone), times: [] });
  }
  time(out, prep);
  return out;
}

function table(title: string, vs: Variant[]): string {
  const base = vs[0]!;
  const bt = median(base.times);
  const rows = vs.map((v) => {
    const t = median(v.times);
    return `| ${title} | ${v.name} | ${(v.bytes / 1024).toFixed(1)} | ${(v.bytes / base.bytes).toFixed(3)} | ${(100 * v.acc).toFixed(2)} | ${(100 * (v.acc - base.acc)).toFixed(2)} | ${t.toFixed(3)} | ${(t / bt).toFixed(2)} | ${v.note ?? ''} |`;
  });
  return rows.join('\n');
}

const results: [string, Variant[]][] = [];
results.push(['nn MLP', nnVariants('MLP')]);
results.push(['nn CNN', nnVariants('CNN')]);
results.push(['Keras MLP', await kerasVariants('MLP')]);
results.push(['Keras CNN', await kerasVariants('CNN')]);
const load1 = loadavg();
console.log(`MNIST, trained on ${TRAIN} images x ${EPOCHS} epochs, test 10 000; batch ${BATCH}, median of ${ROUNDS} rounds; load average ${load0.map((l) => l.toFixed(2)).join(' ')} before, ${load1.map((l) => l.toFixed(2)).join(' ')} after`);
console.log('| model | variant | file KiB | size / float | test acc % | acc - float (points) | ms / batch | time / float | note |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [title, vs] of results) console.log(table(title, vs));
rmSync(dir, { recursive: true, force: true });
