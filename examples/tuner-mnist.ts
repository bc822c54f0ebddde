/**
 * Hyperparameter search on MNIST in both of Duet's styles, with @duet/tuner
 * (KerasTuner's API):
 *
 * 1. Keras style: Hyperband over a `build(hp)` that returns a compiled
 *    model (units, activation, dropout, learning rate), `tuner.search(x, y,
 *    { validationData })`, then the best model back with its best weights.
 * 2. nn style: RandomSearch over a training function `trainMlp(hp, trial)`
 *    that trains an nn.Module and reports each epoch; its trials run in two
 *    worker processes at once (each with its own engine), so the function
 *    is passed as a module export.
 *
 * Each prints KerasTuner's results table and writes an SVG plot of the
 * objective over trials to out/tuner/. Run it twice: the second run finds
 * the finished searches on disk and does not repeat them (OVERWRITE=1 starts
 * over).
 *
 *   pnpm exec tsx --conditions=source examples/tuner-mnist.ts
 *   (ROWS=2000 MAX_EPOCHS=3 TRIALS=4 PARALLEL=1 for a quicker run)
 */
import { fileURLToPath } from 'node:url';
import { noGrad, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { nn, optim } from '@duet/nn';
import { Hyperband, RandomSearch, releaseModel, type HyperParameters, type TrialContext } from '@duet/tuner';

const ROWS = Number(process.env.ROWS ?? 6000);
const MAX_EPOCHS = Number(process.env.MAX_EPOCHS ?? 6);
const TRIALS = Number(process.env.TRIALS ?? 6);
const PARALLEL = Number(process.env.PARALLEL ?? 2);
const OUT = process.env.OUT_DIR ?? 'out/tuner';
const OVERWRITE = process.env.OVERWRITE === '1';

/** The first ROWS training images as [N, 784] in [0, 1], and 1000 test images for validation. */
async function mnist(): Promise<{ x: Tensor; y: Tensor; xVal: Tensor; yVal: Tensor }> {
  const [[xTrain, yTrain], [xTest, yTest]] = await keras.datasets.mnist.loadData();
  const flat = (t: Tensor, n: number) => t.narrow(0, 0, n).reshape([-1, 784]).div(255).keep();
  return { x: flat(xTrain, ROWS), y: yTrain.narrow(0, 0, ROWS).keep(), xVal: flat(xTest, 1000), yVal: yTest.narrow(0, 0, 1000).keep() };
}

/** Keras style: a compiled model from the hyperparameters. */
export function buildModel(hp: HyperParameters): keras.Model {
  const model = new keras.Sequential([
    keras.Input({ shape: [784] }),
    new keras.layers.Dense(hp.Int('units', 32, 256, { step: 32 })!, { activation: hp.Choice('activation', ['relu', 'tanh'])! }),
    new keras.layers.Dropout(hp.Float('dropout', 0, 0.5, { step: 0.1 })!),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
  const learningRate = hp.Float('lr', 1e-4, 1e-2, { sampling: 'log' })!;
  model.compile({ optimizer: new keras.optimizers.Adam({ learningRate }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** nn style: train an MLP for `trial.epochs` epochs, reporting validation accuracy after each. Runs in a worker process. */
export async function trainMlp(hp: HyperParameters, trial: TrialContext): Promise<void> {
  const { x, y, xVal, yVal } = await mnist();
  const hidden = hp.Int('hidden', 32, 256, { step: 32 })!;
  const model = new nn.Sequential(new nn.Linear(784, hidden), new nn.ReLU(), new nn.Linear(hidden, 10));
  const optimizer = new optim.SGD(model.parameters(), { lr: hp.Float('lr', 1e-3, 0.3, { sampling: 'log' })!, momentum: hp.Choice('momentum', [0, 0.9])! });
  const lossFn = new nn.CrossEntropyLoss();
  const batch = 64;
  for (let epoch = trial.initialEpoch; epoch < (trial.epochs ?? 3); epoch++) {
    let total = 0;
    for (let i = 0; i < ROWS; i += batch) {
      const n = Math.min(batch, ROWS - i);
      const loss = lossFn.forward(model.forward(x.narrow(0, i, n)), y.narrow(0, i, n));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      total += loss.item() * n;
    }
    const accuracy = noGrad(() => model.forward(xVal).argmax(1).eq(yVal).float().mean().item());
    trial.report({ loss: total / ROWS, val_accuracy: accuracy });
  }
}

async function main(): Promise<void> {
  const { x, y, xVal, yVal } = await mnist();
  console.log(`MNIST: ${ROWS} training rows, 1000 validation rows\n`);

  console.log('1. Keras style: Hyperband over build(hp)');
  const hyperband = new Hyperband({ hypermodel: buildModel, objective: 'val_accuracy', maxEpochs: MAX_EPOCHS, factor: 3, seed: 1, directory: OUT, projectName: 'keras-hyperband', overwrite: OVERWRITE });
  await hyperband.search(x, y, { batchSize: 64, validationData: [xVal, yVal] });
  hyperband.resultsSummary(5);
  const [best] = await hyperband.getBestModels(1);
  const [, accuracy] = (await best!.evaluate(xVal, yVal, { verbose: 0 })) as number[];
  console.log(`best model back from its checkpoint: val_accuracy ${accuracy!.toFixed(4)} (${JSON.stringify(Object.fromEntries(Object.entries(hyperband.getBestHyperparameters()[0]!.values).filter(([k]) => !k.startsWith('tuner/'))))})`);
  releaseModel(best!);
  hyperband.plotObjective(`${OUT}/keras-hyperband.svg`);

  console.log(`\n2. nn style: RandomSearch over trainMlp(hp, trial), ${PARALLEL} worker process(es)`);
  const random = new RandomSearch({
    // Workers import this file for trainMlp; in this process, the function itself.
    run: PARALLEL > 1 ? { module: import.meta.url, export: 'trainMlp' } : trainMlp, objective: 'val_accuracy', maxTrials: TRIALS, seed: 2,
    maxParallel: PARALLEL, directory: OUT, projectName: 'nn-random', overwrite: OVERWRITE,
  });
  await random.search({ epochs: Math.max(1, Math.floor(MAX_EPOCHS / 2)) });
  random.resultsSummary(5);
  random.plotObjective(`${OUT}/nn-random.svg`);
  console.log(`\nplots: ${OUT}/keras-hyperband.svg, ${OUT}/nn-random.svg`);
}

// Worker processes import this file for trainMlp; only a direct run searches.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
