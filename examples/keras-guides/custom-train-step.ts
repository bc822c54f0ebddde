/**
 * Keras's guide "Customizing what happens in `fit()` with TensorFlow"
 * (keras-io guides/custom_train_step_in_tensorflow.py, Keras 3, by
 * fchollet, Apache-2.0), ported line by line: each section is here in the
 * guide's order, under its title. TensorFlow's `tf.GradientTape` becomes
 * core's `grad(loss, variables)`: Duet records every op's graph while grad
 * mode is on, so there is no tape to open, only gradients to ask for.
 * docs/ports/keras-guides.md puts the Python beside this TypeScript.
 *
 *   pnpm tsx --conditions=source examples/keras-guides/custom-train-step.ts            # as the guide (GAN: 100 batches)
 *   pnpm tsx --conditions=source examples/keras-guides/custom-train-step.ts --quick    # fewer samples and GAN batches
 */
import { fileURLToPath } from 'node:url';
import { cat, grad, rand, type Tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import * as keras from '@duet/keras';
import { layers, ops } from '@duet/keras';
import { runExample, type ExampleOptions } from '../common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/keras-guides/custom-train-step.ts [--quick] [--limit N]

  --quick      200 samples for the small models, 3 GAN batches
  --limit N    at most N GAN batches (the guide's 100 by default)`;

// ## A first simple example

export class CustomModel extends keras.Model {
  override trainStep(data: keras.StepData) {
    // Unpack the data. Its structure depends on your model and
    // on what you pass to `fit()`.
    const [x, y] = data;

    const yPred = this.apply(x, { training: true }); // Forward pass
    // Compute the loss value
    // (the loss function is configured in `compile()`)
    const loss = this.computeLoss({ y, yPred });

    // Compute gradients
    const trainableVars = this.trainableVariables;
    const gradients = grad(loss, trainableVars);

    // Update weights
    this.optimizer!.apply(gradients, trainableVars);

    // Update metrics (includes the metric that tracks the loss)
    for (const metric of this.metrics) {
      if (metric.name === 'loss') {
        metric.updateState(loss);
      } else {
        metric.updateState(y, yPred);
      }
    }

    // Return a dict mapping metric names to current value
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

// ## Going lower-level

export class LowLevelCustomModel extends keras.Model {
  lossTracker = new keras.metrics.Mean({ name: 'loss' });
  maeMetric = new keras.metrics.MeanAbsoluteError({ name: 'mae' });
  lossFn = new keras.losses.MeanSquaredError();

  override trainStep(data: keras.StepData) {
    const [x, y] = data;

    const yPred = this.apply(x, { training: true }); // Forward pass
    // Compute our own loss
    const loss = this.lossFn.compute(y, yPred);

    // Compute gradients
    const trainableVars = this.trainableVariables;
    const gradients = grad(loss, trainableVars);

    // Update weights
    this.optimizer!.apply(gradients, trainableVars);

    // Compute our own metrics
    this.lossTracker.updateState(loss);
    this.maeMetric.updateState(y, yPred);
    return {
      loss: this.lossTracker.result(),
      mae: this.maeMetric.result(),
    };
  }

  override get metrics(): keras.metrics.Metric[] {
    // We list our `Metric` objects here so that `resetState()` can be
    // called automatically at the start of each epoch
    // or at the start of `evaluate()`.
    return [this.lossTracker, this.maeMetric];
  }
}

// ## Supporting `sample_weight` & `class_weight`

export class WeightedCustomModel extends keras.Model {
  override trainStep(data: keras.StepData) {
    // Unpack the data. Its structure depends on your model and
    // on what you pass to `fit()`.
    let x: Tensor, y: Tensor, sampleWeight: Tensor | undefined;
    if (data.length === 3) {
      [x, y, sampleWeight] = data;
    } else {
      sampleWeight = undefined;
      [x, y] = data;
    }

    const yPred = this.apply(x, { training: true }); // Forward pass
    // Compute the loss value.
    // The loss function is configured in `compile()`.
    const loss = this.computeLoss({
      y,
      yPred,
      sampleWeight,
    });

    // Compute gradients
    const trainableVars = this.trainableVariables;
    const gradients = grad(loss, trainableVars);

    // Update weights
    this.optimizer!.apply(gradients, trainableVars);

    // Update the metrics.
    // Metrics are configured in `compile()`.
    for (const metric of this.metrics) {
      if (metric.name === 'loss') {
        metric.updateState(loss);
      } else {
        metric.updateState(y, yPred, sampleWeight);
      }
    }

    // Return a dict mapping metric names to current value.
    // Note that it will include the loss (tracked in self.metrics).
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

// ## Providing your own evaluation step

export class EvalCustomModel extends keras.Model {
  override testStep(data: keras.StepData) {
    // Unpack the data
    const [x, y] = data;
    // Compute predictions
    const yPred = this.apply(x, { training: false });
    // Updates the metrics tracking the loss
    const loss = this.computeLoss({ y, yPred });
    // Update the metrics.
    for (const metric of this.metrics) {
      if (metric.name === 'loss') {
        metric.updateState(loss);
      } else {
        metric.updateState(y, yPred);
      }
    }
    // Return a dict mapping metric names to current value.
    // Note that it will include the loss (tracked in self.metrics).
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

// ## Wrapping up: an end-to-end GAN example

export interface GANCompileOptions extends keras.CompileOptions {
  dOptimizer: keras.optimizers.Optimizer;
  gOptimizer: keras.optimizers.Optimizer;
  lossFn: keras.losses.Loss;
}

export class GAN extends keras.Model {
  dLossTracker = new keras.metrics.Mean({ name: 'd_loss' });
  gLossTracker = new keras.metrics.Mean({ name: 'g_loss' });
  seedGenerator = new keras.random.SeedGenerator(1337);
  dOptimizer!: keras.optimizers.Optimizer;
  gOptimizer!: keras.optimizers.Optimizer;
  lossFn!: keras.losses.Loss;
  constructor(readonly discriminator: keras.Model, readonly generator: keras.Model, readonly latentDim: number) {
    super();
  }

  override get metrics(): keras.metrics.Metric[] {
    return [this.dLossTracker, this.gLossTracker];
  }

  override compile({ dOptimizer, gOptimizer, lossFn }: GANCompileOptions): void {
    super.compile({});
    this.dOptimizer = dOptimizer;
    this.gOptimizer = gOptimizer;
    this.lossFn = lossFn;
  }

  override trainStep(data: keras.StepData | Tensor) {
    let realImages = data;
    if (Array.isArray(realImages)) {
      realImages = realImages[0];
    }
    // Sample random points in the latent space
    const batchSize = ops.shape(realImages)[0]!;
    let randomLatentVectors = keras.random.normal(
      [batchSize, this.latentDim], { seed: this.seedGenerator },
    );

    // Decode them to fake images
    const generatedImages = this.generator.apply(randomLatentVectors);

    // Combine them with real images
    const combinedImages = ops.concatenate([generatedImages, realImages], { axis: 0 });

    // Assemble labels discriminating real from fake images
    let labels = ops.concatenate(
      [ops.ones([batchSize, 1]), ops.zeros([batchSize, 1])], { axis: 0 },
    );
    // Add random noise to the labels - important trick!
    labels = labels.add(keras.random.uniform(
      ops.shape(labels), { seed: this.seedGenerator },
    ).mul(0.05));

    // Train the discriminator
    let predictions = this.discriminator.apply(combinedImages);
    const dLoss = this.lossFn.compute(labels, predictions);
    let grads = grad(dLoss, this.discriminator.trainableWeights);
    this.dOptimizer.apply(grads, this.discriminator.trainableWeights);

    // Sample random points in the latent space
    randomLatentVectors = keras.random.normal(
      [batchSize, this.latentDim], { seed: this.seedGenerator },
    );

    // Assemble labels that say "all real images"
    const misleadingLabels = ops.zeros([batchSize, 1]);

    // Train the generator (note that we should *not* update the weights
    // of the discriminator)!
    predictions = this.discriminator.apply(this.generator.apply(randomLatentVectors));
    const gLoss = this.lossFn.compute(misleadingLabels, predictions);
    grads = grad(gLoss, this.generator.trainableWeights);
    this.gOptimizer.apply(grads, this.generator.trainableWeights);

    // Update metrics and return their value.
    this.dLossTracker.updateState(dLoss);
    this.gLossTracker.updateState(gLoss);
    return {
      d_loss: this.dLossTracker.result(),
      g_loss: this.gLossTracker.result(),
    };
  }
}

export interface GuideResult {
  /** The loss per epoch of each `fit` (and `evaluate`'s values), in the guide's order. */
  histories: Record<string, number>[][];
  evaluate: number | number[] | Record<string, number>;
  gan: Record<string, number>;
}

const epochLogs = (h: keras.callbacks.History): Record<string, number>[] =>
  h.epoch.map((_, i) => Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, v[i]!])));

export async function main(options: ExampleOptions, print: (...a: unknown[]) => void = console.log): Promise<GuideResult> {
  keras.utils.setRandomSeed(1337);
  const n = options.quick ? 200 : 1000;
  const histories: Record<string, number>[][] = [];

  // ## A first simple example

  // Construct and compile an instance of CustomModel
  let inputs = keras.Input({ shape: [32] });
  let outputs = new keras.layers.Dense(1).apply(inputs);
  let model: keras.Model = new CustomModel(inputs, outputs);
  model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });

  // Just use `fit` as usual
  let x = rand([n, 32]);
  let y = rand([n, 1]);
  await model.fit(x, y, { epochs: 3 });
  histories.push(epochLogs(model.history!));

  // ## Going lower-level

  // Construct an instance of CustomModel
  inputs = keras.Input({ shape: [32] });
  outputs = new keras.layers.Dense(1).apply(inputs);
  model = new LowLevelCustomModel(inputs, outputs);

  // We don't pass a loss or metrics here.
  model.compile({ optimizer: 'adam' });

  // Just use `fit` as usual -- you can use callbacks, etc.
  x = rand([n, 32]);
  y = rand([n, 1]);
  await model.fit(x, y, { epochs: 5 });
  histories.push(epochLogs(model.history!));

  // ## Supporting `sample_weight` & `class_weight`

  // Construct and compile an instance of CustomModel
  inputs = keras.Input({ shape: [32] });
  outputs = new keras.layers.Dense(1).apply(inputs);
  model = new WeightedCustomModel(inputs, outputs);
  model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });

  // You can now use sample_weight argument
  x = rand([n, 32]);
  y = rand([n, 1]);
  const sw = rand([n, 1]);
  await model.fit(x, y, { sampleWeight: sw, epochs: 3 });
  histories.push(epochLogs(model.history!));

  // ## Providing your own evaluation step

  // Construct an instance of CustomModel
  inputs = keras.Input({ shape: [32] });
  outputs = new keras.layers.Dense(1).apply(inputs);
  model = new EvalCustomModel(inputs, outputs);
  model.compile({ loss: 'mse', metrics: ['mae'] });

  // Evaluate with our custom test_step
  x = rand([n, 32]);
  y = rand([n, 1]);
  const evaluate = await model.evaluate(x, y);

  // ## Wrapping up: an end-to-end GAN example

  // Create the discriminator
  const discriminator = new keras.Sequential(
    [
      keras.Input({ shape: [28, 28, 1] }),
      new layers.Conv2D(64, [3, 3], { strides: [2, 2], padding: 'same' }),
      new layers.LeakyReLU({ negativeSlope: 0.2 }),
      new layers.Conv2D(128, [3, 3], { strides: [2, 2], padding: 'same' }),
      new layers.LeakyReLU({ negativeSlope: 0.2 }),
      new layers.GlobalMaxPooling2D(),
      new layers.Dense(1),
    ],
    { name: 'discriminator' },
  );

  // Create the generator
  const latentDim = 128;
  const generator = new keras.Sequential(
    [
      keras.Input({ shape: [latentDim] }),
      // We want to generate 128 coefficients to reshape into a 7x7x128 map
      new layers.Dense(7 * 7 * 128),
      new layers.LeakyReLU({ negativeSlope: 0.2 }),
      new layers.Reshape([7, 7, 128]),
      new layers.Conv2DTranspose(128, [4, 4], { strides: [2, 2], padding: 'same' }),
      new layers.LeakyReLU({ negativeSlope: 0.2 }),
      new layers.Conv2DTranspose(128, [4, 4], { strides: [2, 2], padding: 'same' }),
      new layers.LeakyReLU({ negativeSlope: 0.2 }),
      new layers.Conv2D(1, [7, 7], { padding: 'same', activation: 'sigmoid' }),
    ],
    { name: 'generator' },
  );

  // Prepare the dataset. We use both the training & test MNIST digits.
  const batchSize = 64;
  const [[xTrain], [xTest]] = await keras.datasets.mnist.loadData();
  let allDigits = cat([xTrain, xTest]);
  allDigits = allDigits.div(255.0);
  allDigits = ops.reshape(allDigits, [-1, 28, 28, 1]);
  const dataset = new DataLoader(new TensorDataset(allDigits), { batchSize, shuffle: true });

  const gan = new GAN(discriminator, generator, latentDim);
  gan.compile({
    dOptimizer: new keras.optimizers.Adam({ learningRate: 0.0003 }),
    gOptimizer: new keras.optimizers.Adam({ learningRate: 0.0003 }),
    lossFn: new keras.losses.BinaryCrossentropy({ fromLogits: true }),
  });

  // To limit the execution time, we only train on 100 batches. You can train on
  // the entire dataset. You will need about 20 epochs to get nice results.
  const steps = options.limit ?? (options.quick ? 3 : 100);
  await gan.fit(dataset, { epochs: 1, stepsPerEpoch: steps });
  print('evaluate:', evaluate);
  for (const t of [xTrain, xTest, allDigits]) t.dispose();
  return { histories, evaluate, gan: epochLogs(gan.history!)[0]! };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 1, main);
