/**
 * The seed's Keras-style program (shared SEED_PROGRAMS.md), with the seed's
 * model, compile and fit, plus what the side-by-side report needs: the
 * epochs' times, memory samples and Ctrl-C, through one callback.
 */
import * as keras from '@duet/keras';
import { countKernels, type Tensor } from '@duet/core';
import { TEST_QUICK, TRAIN_QUICK, type MnistOptions } from './options.js';
import { PeakMemory, yieldToSignals, type RunResult, type StopFlag } from './run.js';

function seedModel(): keras.Sequential {
  const model = new keras.Sequential([
    new keras.layers.Dense(128, { activation: 'relu' }),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** Times each epoch, samples memory, and stops `fit` after a Ctrl-C. */
class ReportCallback extends keras.callbacks.Callback {
  readonly seconds: number[] = [];
  interrupted = false;
  private t0 = 0;
  constructor(private readonly stop: StopFlag, private readonly peak: PeakMemory) {
    super();
  }
  override onEpochBegin(): void {
    this.t0 = performance.now();
  }
  override onTrainBatchEnd(batch: number): void | Promise<void> {
    if ((batch + 1) % PeakMemory.SAMPLE_EVERY !== 0) return;
    this.peak.sample();
    return yieldToSignals().then(() => {
      if (this.stop.requested) {
        this.interrupted = true;
        this.model!.stopTraining = true;
      }
    });
  }
  override onEpochEnd(): void {
    this.peak.sample();
    if (!this.interrupted) this.seconds.push((performance.now() - this.t0) / 1000);
  }
}

/**
 * Kernels of one `trainOnBatch` step (the train step `fit` runs, then the
 * metrics read back) on a fresh copy of the model, after two warm-up steps
 * (the first one builds the weights and the optimizer's slots).
 */
function kernelsPerStep(x: Tensor, y: Tensor, batchSize: number): number {
  const model = seedModel();
  const xb = x.narrow(0, 0, batchSize);
  const yb = y.narrow(0, 0, batchSize);
  model.trainOnBatch(xb, yb);
  model.trainOnBatch(xb, yb);
  return countKernels(() => model.trainOnBatch(xb, yb)).kernels;
}

export interface KerasRun {
  result: RunResult;
  /** Writes the trained model (atomically: a temporary file renamed over the target). */
  save(path: string): Promise<void>;
}

export async function runKeras(options: MnistOptions, stop: StopFlag): Promise<KerasRun> {
  // The seed's data lines; --quick keeps the first 6000 / 1000 images.
  const [[xTrain0, yTrain0], [xTest0, yTest0]] = await keras.datasets.mnist.loadData();
  const nTrain = options.quick ? TRAIN_QUICK : xTrain0.shape[0]!;
  const nTest = options.quick ? TEST_QUICK : xTest0.shape[0]!;
  const xTrain = xTrain0.narrow(0, 0, nTrain).reshape([-1, 784]).div(255);
  const yTrain = yTrain0.narrow(0, 0, nTrain);
  const xTest = xTest0.narrow(0, 0, nTest).reshape([-1, 784]).div(255);
  const yTest = yTest0.narrow(0, 0, nTest);
  for (const t of [xTrain0, xTest0]) t.dispose();

  const kernels = kernelsPerStep(xTrain, yTrain, options.batchSize);
  const peak = new PeakMemory();
  const report = new ReportCallback(stop, peak);
  const model = seedModel();
  peak.sample();
  const history = await model.fit(xTrain, yTrain, { epochs: options.epochs, batchSize: options.batchSize, callbacks: [report] });
  const done = report.seconds.length;
  let testAccuracy: number | null = null;
  if (!report.interrupted) {
    const [, accuracy] = (await model.evaluate(xTest, yTest, { batchSize: 1000, verbose: 0 })) as number[];
    testAccuracy = accuracy!;
  }
  for (const t of new Set([xTrain, yTrain, xTest, yTest, yTrain0, yTest0])) t.dispose();
  const result: RunResult = {
    style: 'Keras',
    params: model.countParams(),
    epochs: options.epochs,
    loss: (history.history.loss ?? []).slice(0, done),
    accuracy: (history.history.accuracy ?? []).slice(0, done),
    seconds: report.seconds,
    kernelsPerStep: kernels,
    testAccuracy,
    peak,
    interrupted: report.interrupted,
  };
  return { result, save: (path) => model.save(path) };
}
