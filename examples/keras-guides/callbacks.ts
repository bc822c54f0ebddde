/**
 * Keras's guide "Writing your own callbacks" (keras-io
 * guides/writing_your_own_callbacks.py, Keras 3, by Rick Chao and
 * Francois Chollet, Apache-2.0), ported line by line: each section is here
 * in the guide's order, under its title. docs/ports/keras-guides.md puts
 * the Python beside this TypeScript.
 *
 *   pnpm tsx --conditions=source examples/keras-guides/callbacks.ts
 */
import { fileURLToPath } from 'node:url';
import * as keras from '@duet/keras';
import { runExample, type ExampleOptions } from '../common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/keras-guides/callbacks.ts [--limit N]

  --limit N    at most N training and test samples (the guide's 1000 by default)`;

type Logs = keras.callbacks.Logs;

/** Where the guide's `print` goes (console.log; the test collects the lines). */
let print: (...a: unknown[]) => void = console.log;

// ## A basic example

// Define the Keras model to add callbacks to
export function getModel(): keras.Sequential {
  const model = new keras.Sequential();
  model.add(new keras.layers.Dense(1));
  model.compile({
    optimizer: new keras.optimizers.RMSprop({ learningRate: 0.1 }),
    loss: 'mean_squared_error',
    metrics: ['mean_absolute_error'],
  });
  return model;
}

/** Python's `list(logs.keys())` as Python prints it. */
const keysOf = (logs: object): string => `[${Object.keys(logs).map((k) => `'${k}'`).join(', ')}]`;

export class CustomCallback extends keras.callbacks.Callback {
  override onTrainBegin(logs: Logs) {
    const keys = keysOf(logs);
    print(`Starting training; got log keys: ${keys}`);
  }

  override onTrainEnd(logs: Logs) {
    const keys = keysOf(logs);
    print(`Stop training; got log keys: ${keys}`);
  }

  override onEpochBegin(epoch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`Start epoch ${epoch} of training; got log keys: ${keys}`);
  }

  override onEpochEnd(epoch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`End epoch ${epoch} of training; got log keys: ${keys}`);
  }

  override onTestBegin(logs: Logs) {
    const keys = keysOf(logs);
    print(`Start testing; got log keys: ${keys}`);
  }

  override onTestEnd(logs: Logs) {
    const keys = keysOf(logs);
    print(`Stop testing; got log keys: ${keys}`);
  }

  override onPredictBegin(logs: Logs) {
    const keys = keysOf(logs);
    print(`Start predicting; got log keys: ${keys}`);
  }

  override onPredictEnd(logs: Logs) {
    const keys = keysOf(logs);
    print(`Stop predicting; got log keys: ${keys}`);
  }

  override onTrainBatchBegin(batch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`...Training: start of batch ${batch}; got log keys: ${keys}`);
  }

  override onTrainBatchEnd(batch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`...Training: end of batch ${batch}; got log keys: ${keys}`);
  }

  override onTestBatchBegin(batch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`...Evaluating: start of batch ${batch}; got log keys: ${keys}`);
  }

  override onTestBatchEnd(batch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`...Evaluating: end of batch ${batch}; got log keys: ${keys}`);
  }

  override onPredictBatchBegin(batch: number, logs: Logs) {
    const keys = keysOf(logs);
    print(`...Predicting: start of batch ${batch}; got log keys: ${keys}`);
  }

  override onPredictBatchEnd(batch: number, logs: keras.callbacks.PredictBatchLogs) {
    const keys = keysOf(logs);
    print(`...Predicting: end of batch ${batch}; got log keys: ${keys}`);
  }
}

// ### Usage of `logs` dict

/** Python's `"{:7.2f}".format(v)`. */
const f72 = (v: number): string => v.toFixed(2).padStart(7);

export class LossAndErrorPrintingCallback extends keras.callbacks.Callback {
  override onTrainBatchEnd(batch: number, logs: Logs) {
    print(
      `Up to batch ${batch}, the average loss is ${f72(logs.loss!)}.`,
    );
  }

  override onTestBatchEnd(batch: number, logs: Logs) {
    print(
      `Up to batch ${batch}, the average loss is ${f72(logs.loss!)}.`,
    );
  }

  override onEpochEnd(epoch: number, logs: Logs) {
    print(
      `The average loss for epoch ${epoch} is ${f72(logs.loss!)} ` +
        `and mean absolute error is ${f72(logs.mean_absolute_error!)}.`,
    );
  }
}

// ### Early stopping at minimum loss

/**
 * Stop training when the loss is at its min, i.e. the loss stops decreasing.
 *
 * Arguments:
 *   patience: Number of epochs to wait after min has been hit. After this
 *   number of no improvement, training stops.
 */
export class EarlyStoppingAtMinLoss extends keras.callbacks.Callback {
  // best_weights to store the weights at which the minimum loss occurs.
  bestWeights: keras.layers.WeightValue[] | null = null;
  wait = 0;
  stoppedEpoch = 0;
  best = Infinity;
  constructor(readonly patience = 0) {
    super();
  }

  override onTrainBegin(_logs: Logs) {
    // The number of epoch it has waited when loss is no longer minimum.
    this.wait = 0;
    // The epoch the training stops at.
    this.stoppedEpoch = 0;
    // Initialize the best as infinity.
    this.best = Infinity;
  }

  override onEpochEnd(epoch: number, logs: Logs) {
    const current = logs.loss!;
    if (current < this.best) {
      this.best = current;
      this.wait = 0;
      // Record the best weights if current results is better (less).
      this.bestWeights = this.model!.getWeights();
    } else {
      this.wait += 1;
      if (this.wait >= this.patience) {
        this.stoppedEpoch = epoch;
        this.model!.stopTraining = true;
        print('Restoring model weights from the end of the best epoch.');
        this.model!.setWeights(this.bestWeights!);
      }
    }
  }

  override onTrainEnd(_logs: Logs) {
    if (this.stoppedEpoch > 0) {
      print(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    }
  }
}

// ### Learning rate scheduling

/**
 * Learning rate scheduler which sets the learning rate according to schedule.
 *
 * Arguments:
 *   schedule: a function that takes an epoch index
 *     (integer, indexed from 0) and current learning rate
 *     as inputs and returns a new learning rate as output (float).
 */
export class CustomLearningRateScheduler extends keras.callbacks.Callback {
  constructor(readonly schedule: (epoch: number, lr: number) => number) {
    super();
  }

  override onEpochBegin(epoch: number, _logs: Logs) {
    if (!('learningRate' in this.model!.optimizer!)) {
      throw new Error('Optimizer must have a "learning_rate" attribute.');
    }
    // Get the current learning rate from model's optimizer.
    const lr = this.model!.optimizer!.learningRate;
    // Call schedule function to get the scheduled learning rate.
    const scheduledLr = this.schedule(epoch, lr);
    // Set the value back to the optimizer before this epoch starts
    this.model!.optimizer!.learningRate = scheduledLr;
    print(`\nEpoch ${epoch}: Learning rate is ${scheduledLr}.`);
  }
}

export const LR_SCHEDULE: [number, number][] = [
  // (epoch to start, learning rate) tuples
  [3, 0.05],
  [6, 0.01],
  [9, 0.005],
  [12, 0.001],
];

/** Helper function to retrieve the scheduled learning rate based on epoch. */
export function lrSchedule(epoch: number, lr: number): number {
  if (epoch < LR_SCHEDULE[0]![0] || epoch > LR_SCHEDULE.at(-1)![0]) {
    return lr;
  }
  for (let i = 0; i < LR_SCHEDULE.length; i++) {
    if (epoch === LR_SCHEDULE[i]![0]) {
      return LR_SCHEDULE[i]![1];
    }
  }
  return lr;
}

export interface GuideResult {
  /** Every line the guide printed, in order. */
  lines: string[];
  /** Epochs run by the early-stopping fit, and the learning rates seen by the scheduled one. */
  earlyStoppingEpochs: number;
  learningRates: number[];
}

export async function main(options: ExampleOptions, log: (...a: unknown[]) => void = console.log): Promise<GuideResult> {
  keras.utils.setRandomSeed(1337);
  const lines: string[] = [];
  print = (...a: unknown[]) => {
    lines.push(a.join(' '));
    log(...a);
  };
  const limit = options.limit ?? 1000;

  // Load example MNIST data and pre-process it
  let [[xTrain, yTrain], [xTest, yTest]] = await keras.datasets.mnist.loadData();
  xTrain = xTrain.reshape([-1, 784]).div(255.0);
  xTest = xTest.reshape([-1, 784]).div(255.0);

  // Limit the data to 1000 samples
  xTrain = xTrain.narrow(0, 0, limit);
  yTrain = yTrain.narrow(0, 0, limit);
  xTest = xTest.narrow(0, 0, limit);
  yTest = yTest.narrow(0, 0, limit);

  // Let's try it out:
  let model = getModel();
  await model.fit(
    xTrain,
    yTrain,
    {
      batchSize: 128,
      epochs: 1,
      verbose: 0,
      validationSplit: 0.5,
      callbacks: [new CustomCallback()],
    },
  );

  let res = await model.evaluate(
    xTest, yTest, { batchSize: 128, verbose: 0, callbacks: [new CustomCallback()] },
  );

  const predictions = await model.predict(xTest, { batchSize: 128, callbacks: [new CustomCallback()] });

  // ### Usage of `logs` dict
  model = getModel();
  await model.fit(
    xTrain,
    yTrain,
    {
      batchSize: 128,
      epochs: 2,
      verbose: 0,
      callbacks: [new LossAndErrorPrintingCallback()],
    },
  );

  res = await model.evaluate(
    xTest,
    yTest,
    {
      batchSize: 128,
      verbose: 0,
      callbacks: [new LossAndErrorPrintingCallback()],
    },
  );

  // ### Early stopping at minimum loss
  model = getModel();
  const stopped = await model.fit(
    xTrain,
    yTrain,
    {
      batchSize: 64,
      epochs: 30,
      verbose: 0,
      callbacks: [new LossAndErrorPrintingCallback(), new EarlyStoppingAtMinLoss()],
    },
  );

  // ### Learning rate scheduling
  model = getModel();
  const learningRates: number[] = [];
  await model.fit(
    xTrain,
    yTrain,
    {
      batchSize: 64,
      epochs: 15,
      verbose: 0,
      callbacks: [
        new LossAndErrorPrintingCallback(),
        new CustomLearningRateScheduler(lrSchedule),
        new keras.callbacks.LambdaCallback({ onEpochBegin: () => void learningRates.push(model.optimizer!.learningRate) }),
      ],
    },
  );

  void res, predictions;
  print = console.log;
  return { lines, earlyStoppingEpochs: stopped.epoch.length, learningRates };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 1, main);
