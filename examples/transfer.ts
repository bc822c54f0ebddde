/**
 * Train in one style, move the weights to the other, get the same
 * predictions. Both ways, through files, with the real MNIST:
 *
 * 1. Keras -> nn: a `keras.Sequential` MLP trained by `fit`, saved as
 *    `mlp-keras.keras` and loaded back (`keras.saving.loadModel`); its Dense
 *    layers copied into an nn.Module's Linear layers
 *    (`keras.saving.denseToLinear`: Keras keeps a kernel as [in, out],
 *    PyTorch a weight as [out, in]); the module's state dict saved as
 *    `mlp-from-keras.safetensors` (what PyTorch's `load_file` reads) and
 *    loaded into a fresh module.
 * 2. nn -> Keras: the same MLP as an nn.Module trained by a PyTorch-style
 *    loop, saved as `mlp-nn.safetensors` and loaded back; copied into a Keras
 *    model (`keras.saving.linearToDense`); saved as
 *    `mlp-from-nn.weights.h5` (what Keras's `model.load_weights` reads) and
 *    loaded into a fresh Keras model.
 *
 * Each way prints the largest difference between the two styles'
 * predicted probabilities on the test images and fails above 1e-5.
 *
 *   pnpm tsx --conditions=source examples/transfer.ts            # 2 epochs on 60000 images each way
 *   pnpm tsx --conditions=source examples/transfer.ts --quick    # 1 epoch on 6000
 *
 * Only Dense <-> Linear has a helper today: a CNN would need the conv
 * kernels' layout changed by hand (Keras [kh, kw, in, out], PyTorch
 * [out, in, kh, kw]).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad, type Tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import * as keras from '@duet/keras';
import { F, load, nn, optim, save } from '@duet/nn';
import { runExample, type ExampleOptions } from './common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/transfer.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs of each training run (default 2; 1 with --quick)
  --quick      6000 training and 1000 test images
  --limit N    at most N training images

The files go to a new temporary folder, printed at the end.`;

/** The largest difference allowed between the two styles' probabilities. */
export const TOLERANCE = 1e-5;

/** PyTorch style: the MLP. */
export class MLP extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    return F.softmax(this.fc2(F.relu(this.fc1(x))), 1);
  }
}

/** Keras style: the same MLP. */
export function kerasMLP(): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: [784] }),
    new keras.layers.Dense(128, { activation: 'relu' }),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
}

function denses(model: keras.Model): keras.layers.Dense[] {
  return model.layers.filter((l): l is keras.layers.Dense => l instanceof keras.layers.Dense);
}

/** max |a - b| over every element. */
function maxAbsDiff(a: Tensor, b: Tensor): number {
  return noGrad(() => a.sub(b).abs().max().item());
}

export interface TransferResult {
  dir: string;
  kerasToNn: { maxDiff: number; kerasAccuracy: number; nnAccuracy: number };
  nnToKeras: { maxDiff: number; nnAccuracy: number; kerasAccuracy: number };
}

function accuracy(probs: Tensor, labels: Tensor): number {
  return noGrad(() => probs.argmax(1).eq(labels).float().mean().item());
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<TransferResult> {
  keras.utils.setRandomSeed(7);
  const dir = mkdtempSync(join(tmpdir(), 'duet-transfer-'));
  const [[xTrain0, yTrain0], [xTest0, yTest0]] = await keras.datasets.mnist.loadData();
  const nTrain = Math.min(options.limit ?? (options.quick ? 6000 : xTrain0.shape[0]!), xTrain0.shape[0]!);
  const nTest = options.quick ? 1000 : xTest0.shape[0]!;
  const xTrain = xTrain0.narrow(0, 0, nTrain).reshape([-1, 784]).div(255);
  const yTrain = yTrain0.narrow(0, 0, nTrain);
  const xTest = xTest0.narrow(0, 0, nTest).reshape([-1, 784]).div(255);
  const yTest = yTest0.narrow(0, 0, nTest);

  // 1. Keras -> nn
  const trained = kerasMLP();
  trained.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await trained.fit(xTrain, yTrain, { epochs: options.epochs, batchSize: 32, verbose: 0 });
  await keras.saving.saveModel(trained, join(dir, 'mlp-keras.keras'));
  const kerasModel = await keras.saving.loadModel(join(dir, 'mlp-keras.keras'));
  const converted = new MLP();
  const [d1, d2] = denses(kerasModel);
  keras.saving.denseToLinear(d1!, converted.fc1);
  keras.saving.denseToLinear(d2!, converted.fc2);
  await save(converted.stateDict(), join(dir, 'mlp-from-keras.safetensors'));
  const nnModel = new MLP();
  nnModel.loadStateDict(await load(join(dir, 'mlp-from-keras.safetensors')));
  nnModel.eval();
  const kerasProbs = (await kerasModel.predict(xTest, { verbose: 0 })) as Tensor;
  const nnProbs = noGrad(() => nnModel(xTest));
  const kerasToNn = { maxDiff: maxAbsDiff(kerasProbs, nnProbs), kerasAccuracy: accuracy(kerasProbs, yTest), nnAccuracy: accuracy(nnProbs, yTest) };
  log(`Keras -> nn: test accuracy ${kerasToNn.kerasAccuracy.toFixed(4)} (Keras) and ${kerasToNn.nnAccuracy.toFixed(4)} (nn); max |Keras - nn| = ${kerasToNn.maxDiff.toExponential(2)}`);

  // 2. nn -> Keras
  const net = new MLP();
  const optimizer = new optim.Adam(net.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 32, shuffle: true });
  net.train();
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
      optimizer.zeroGrad();
      const loss = F.nllLoss(net(x).clamp(1e-7, 1).log(), y);
      loss.backward();
      optimizer.step();
    }
  }
  await save(net.stateDict(), join(dir, 'mlp-nn.safetensors'));
  const reloaded = new MLP();
  reloaded.loadStateDict(await load(join(dir, 'mlp-nn.safetensors')));
  reloaded.eval();
  const target = kerasMLP();
  const [k1, k2] = denses(target);
  keras.saving.linearToDense(reloaded.fc1, k1!);
  keras.saving.linearToDense(reloaded.fc2, k2!);
  await keras.saving.saveWeights(target, join(dir, 'mlp-from-nn.weights.h5'));
  const fresh = kerasMLP();
  await keras.saving.loadWeights(fresh, join(dir, 'mlp-from-nn.weights.h5'));
  const nnProbs2 = noGrad(() => reloaded(xTest));
  const kerasProbs2 = (await fresh.predict(xTest, { verbose: 0 })) as Tensor;
  const nnToKeras = { maxDiff: maxAbsDiff(nnProbs2, kerasProbs2), nnAccuracy: accuracy(nnProbs2, yTest), kerasAccuracy: accuracy(kerasProbs2, yTest) };
  log(`nn -> Keras: test accuracy ${nnToKeras.nnAccuracy.toFixed(4)} (nn) and ${nnToKeras.kerasAccuracy.toFixed(4)} (Keras); max |nn - Keras| = ${nnToKeras.maxDiff.toExponential(2)}`);
  log(`Files in ${dir}: mlp-keras.keras, mlp-from-keras.safetensors, mlp-nn.safetensors, mlp-from-nn.weights.h5`);

  for (const t of [xTrain0, yTrain0, xTest0, yTest0, xTrain, yTrain, xTest, yTest, kerasProbs, nnProbs, nnProbs2, kerasProbs2]) t.dispose();
  for (const [way, d] of [['Keras -> nn', kerasToNn.maxDiff], ['nn -> Keras', nnToKeras.maxDiff]] as const) {
    if (!(d <= TOLERANCE)) throw new Error(`${way}: the predictions differ by ${d}, more than ${TOLERANCE}`);
  }
  return { dir, kerasToNn, nnToKeras };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 2, main);
