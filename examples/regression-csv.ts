/**
 * MSE regression from a CSV file: fuel efficiency (mpg) of 392 cars from
 * seven numbers about each, in Keras style, following TensorFlow's "Basic
 * regression: Predict fuel efficiency" tutorial: an 80/20 train/test split,
 * a `Normalization` layer adapted to the training features, two hidden
 * `Dense(64)` layers, and `fit` with `validationSplit: 0.2` and an
 * `EarlyStopping` callback that stops when the validation loss has not
 * improved for `patience` epochs and puts back the best epoch's weights.
 *
 * The file is read by @duet/data's `CSVDataset` (header names pick the
 * target; `toTensors()` gives the whole file as two tensors, as it is small).
 *
 * Data: examples/data/auto-mpg/auto-mpg.csv, the Auto MPG data set (UCI
 * Machine Learning Repository, CC BY 4.0; see the README.md beside it for
 * the source, licence and how the file was made). It is the classic small
 * numeric regression set, the one TensorFlow's tutorial uses.
 *
 *   pnpm tsx --conditions=source examples/regression-csv.ts            # up to 1000 epochs, stops early
 *   pnpm tsx --conditions=source examples/regression-csv.ts --quick    # up to 100 epochs
 *   pnpm tsx --conditions=source examples/regression-csv.ts --epochs 300
 */
import { fileURLToPath } from 'node:url';
import { manualSeed, memory, randperm, type Tensor } from '@duet/core';
import { CSVDataset } from '@duet/data';
import * as keras from '@duet/keras';
import { runExample, type ExampleOptions } from './common/cli.js';

export const CSV_PATH = fileURLToPath(new URL('data/auto-mpg/auto-mpg.csv', import.meta.url));

export const USAGE = `Usage: pnpm tsx --conditions=source examples/regression-csv.ts [--epochs N] [--quick] [--limit N]

  --epochs N   the most epochs to train (default 1000; EarlyStopping ends sooner)
  --quick      at most 100 epochs
  --limit N    use only the first N training rows`;

export interface RegressionResult {
  /** Epochs run before EarlyStopping stopped training (or the limit was reached). */
  epochsRun: number;
  /** The epoch (0-based) whose weights were kept, and its validation MSE. */
  bestEpoch: number;
  bestValLoss: number;
  history: Record<string, number[]>;
  /** On the held-out 20 %: mean squared error and mean absolute error (mpg). */
  testMse: number;
  testMae: number;
  /** Predicted and true mpg of the first test cars. */
  examples: [number, number][];
  /** MSE of always predicting the training mean, on the test cars. */
  baselineMse: number;
  /** Native tensors alive at the end of each epoch. */
  tensorsPerEpoch: number[];
}

export async function main(options: ExampleOptions & { patience?: number }, log: (...a: unknown[]) => void = console.log): Promise<RegressionResult> {
  manualSeed(0);
  const dataset = new CSVDataset(CSV_PATH, { target: 'mpg' });
  const [features, labels] = dataset.toTensors() as [Tensor, Tensor];
  log(`${dataset.path}: ${features.shape[0]} cars, ${features.shape[1]} features each`);

  // 80 % for training (fit takes its own 20 % of these for validation), 20 % for the test
  const order = randperm(features.shape[0]!);
  const nTrainAll = Math.round(features.shape[0]! * 0.8);
  const nTrain = Math.min(options.limit ?? nTrainAll, nTrainAll);
  const trainIdx = order.narrow(0, 0, nTrain);
  const testIdx = order.narrow(0, nTrainAll, features.shape[0]! - nTrainAll);
  const trainFeatures = features.indexSelect(0, trainIdx);
  const trainLabels = labels.indexSelect(0, trainIdx).unsqueeze(1);
  const testFeatures = features.indexSelect(0, testIdx);
  const testLabels = labels.indexSelect(0, testIdx).unsqueeze(1);

  const normalizer = new keras.layers.Normalization({ axis: -1 });
  normalizer.adapt(trainFeatures);

  const model = new keras.Sequential([
    keras.Input({ shape: [features.shape[1]!] }),
    normalizer,
    new keras.layers.Dense(64, { activation: 'relu' }),
    new keras.layers.Dense(64, { activation: 'relu' }),
    new keras.layers.Dense(1),
  ]);
  model.compile({ loss: 'mean_squared_error', optimizer: new keras.optimizers.Adam({ learningRate: 0.001 }), metrics: ['mae'] });

  const earlyStopping = new keras.callbacks.EarlyStopping({ monitor: 'val_loss', patience: options.patience ?? 20, restoreBestWeights: true, verbose: 1 });
  const tensorsPerEpoch: number[] = [];
  const countTensors = new keras.callbacks.LambdaCallback({ onEpochEnd: () => void tensorsPerEpoch.push(memory().numTensors) });
  const maxEpochs = options.quick ? Math.min(options.epochs, 100) : options.epochs;
  const history = await model.fit(trainFeatures, trainLabels, {
    epochs: maxEpochs,
    batchSize: 32,
    validationSplit: 0.2,
    callbacks: [countTensors, earlyStopping],
    verbose: 0,
  });
  const valLoss = history.history.val_loss!;
  const epochsRun = valLoss.length;
  const bestEpoch = valLoss.indexOf(Math.min(...valLoss));
  log(`Trained ${epochsRun} of at most ${maxEpochs} epochs; best validation MSE ${valLoss[bestEpoch]!.toFixed(3)} at epoch ${bestEpoch + 1}${epochsRun < maxEpochs ? ' (early stopping, best weights restored)' : ''}`);

  const [testMse, testMae] = (await model.evaluate(testFeatures, testLabels, { verbose: 0 })) as number[];
  const mean = trainLabels.mean().item();
  const baselineMse = testLabels.sub(mean).square().mean().item();
  log(`Test MSE ${testMse!.toFixed(3)} (mpg²), MAE ${testMae!.toFixed(3)} mpg; predicting the training mean gives MSE ${baselineMse.toFixed(3)}`);

  const predicted = (await model.predict(testFeatures.narrow(0, 0, 5), { verbose: 0 })) as Tensor;
  const examples = (predicted.toArray() as number[][]).map((p, i) => [p[0]!, testLabels.narrow(0, i, 1).item()] as [number, number]);
  for (const [p, t] of examples) log(`  predicted ${p.toFixed(1)} mpg, true ${t.toFixed(1)} mpg`);
  for (const t of [features, labels, order, trainFeatures, trainLabels, testFeatures, testLabels, predicted]) t.dispose();
  return { epochsRun, bestEpoch, bestValLoss: valLoss[bestEpoch]!, history: history.history, testMse: testMse!, testMae: testMae!, examples, baselineMse, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 1000, main);
