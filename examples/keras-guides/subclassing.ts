/**
 * Keras's guide "Making new layers and models via subclassing"
 * (keras-io guides/making_new_layers_and_models_via_subclassing.py, Keras 3,
 * by fchollet, Apache-2.0), ported line by line: each section of the guide
 * is here in its order, under its title. docs/ports/keras-guides.md puts
 * the Python beside this TypeScript and lists what had to change.
 *
 *   pnpm tsx --conditions=source examples/keras-guides/subclassing.ts            # the guide: VAE, 2 epochs on 60000 digits
 *   pnpm tsx --conditions=source examples/keras-guides/subclassing.ts --quick    # VAE, 1 epoch on 6000
 */
import assert from 'node:assert';
import { fileURLToPath } from 'node:url';
import { rand, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { layers, ops } from '@duet/keras';
import { runExample, type ExampleOptions } from '../common/cli.js';

export const USAGE = `Usage: pnpm tsx --conditions=source examples/keras-guides/subclassing.ts [--epochs N] [--quick] [--limit N]

  --epochs N   VAE epochs (default 2, the guide's; 1 with --quick)
  --quick      6000 training digits for the VAE
  --limit N    at most N training digits`;

// ## The `Layer` class: the combination of state (weights) and some computation

export class Linear extends keras.layers.Layer {
  w: keras.Variable;
  b: keras.Variable;
  constructor(units = 32, inputDim = 32) {
    super();
    this.w = this.addWeight({
      shape: [inputDim, units],
      initializer: 'random_normal',
      trainable: true,
    });
    this.b = this.addWeight({ shape: [units], initializer: 'zeros', trainable: true });
  }

  override call(inputs: Tensor): Tensor {
    return ops.matmul(inputs, this.w).add(this.b);
  }
}

// ## Layers can have non-trainable weights

export class ComputeSum extends keras.layers.Layer {
  total: keras.Variable;
  constructor(inputDim: number) {
    super();
    this.total = this.addWeight({
      initializer: 'zeros', shape: [inputDim], trainable: false,
    });
  }

  override call(inputs: Tensor): Tensor {
    this.total.assignAdd(ops.sum(inputs, { axis: 0 }));
    return this.total;
  }
}

// ## Best practice: deferring weight creation until the shape of the inputs is known

export class LazyLinear extends keras.layers.Layer {
  w!: keras.Variable;
  b!: keras.Variable;
  constructor(readonly units = 32) {
    super();
  }

  override build(inputShape: (number | null)[]): void {
    this.w = this.addWeight({
      shape: [inputShape.at(-1)!, this.units],
      initializer: 'random_normal',
      trainable: true,
    });
    this.b = this.addWeight({
      shape: [this.units], initializer: 'random_normal', trainable: true,
    });
  }

  override call(inputs: Tensor): Tensor {
    return ops.matmul(inputs, this.w).add(this.b);
  }
}

// ## Layers are recursively composable

export class MLPBlock extends keras.layers.Layer {
  linear1 = new LazyLinear(32);
  linear2 = new LazyLinear(32);
  linear3 = new LazyLinear(1);

  override call(inputs: Tensor): Tensor {
    let x = this.linear1.apply(inputs);
    x = keras.activations.relu(x);
    x = this.linear2.apply(x);
    x = keras.activations.relu(x);
    return this.linear3.apply(x);
  }
}

// ## The `add_loss()` method

// A layer that creates an activity regularization loss
export class ActivityRegularizationLayer extends keras.layers.Layer {
  constructor(readonly rate = 1e-2) {
    super();
  }

  override call(inputs: Tensor): Tensor {
    this.addLoss(ops.mean(inputs).mul(this.rate));
    return inputs;
  }
}

export class OuterLayer extends keras.layers.Layer {
  activityReg = new ActivityRegularizationLayer(1e-2);

  override call(inputs: Tensor): Tensor {
    return this.activityReg.apply(inputs);
  }
}

export class OuterLayerWithKernelRegularizer extends keras.layers.Layer {
  dense = new keras.layers.Dense(
    32, { kernelRegularizer: keras.regularizers.l2(1e-3) },
  );

  override call(inputs: Tensor): Tensor {
    return this.dense.apply(inputs);
  }
}

// ## You can optionally enable serialization on your layers

export class SerializableLinear extends keras.layers.Layer {
  w!: keras.Variable;
  b!: keras.Variable;
  constructor(readonly units = 32) {
    super();
  }

  override build(inputShape: (number | null)[]): void {
    this.w = this.addWeight({
      shape: [inputShape.at(-1)!, this.units],
      initializer: 'random_normal',
      trainable: true,
    });
    this.b = this.addWeight({
      shape: [this.units], initializer: 'random_normal', trainable: true,
    });
  }

  override call(inputs: Tensor): Tensor {
    return ops.matmul(inputs, this.w).add(this.b);
  }

  override getConfig(): keras.layers.LayerConfig {
    return { units: this.units };
  }
  static override fromConfig(config: keras.layers.LayerConfig): SerializableLinear {
    return new SerializableLinear(config.units);
  }
}

export class LinearWithKwargs extends keras.layers.Layer {
  w!: keras.Variable;
  b!: keras.Variable;
  constructor(readonly units = 32, kwargs: keras.layers.LayerOptions = {}) {
    super(kwargs);
  }

  override build(inputShape: (number | null)[]): void {
    this.w = this.addWeight({
      shape: [inputShape.at(-1)!, this.units],
      initializer: 'random_normal',
      trainable: true,
    });
    this.b = this.addWeight({
      shape: [this.units], initializer: 'random_normal', trainable: true,
    });
  }

  override call(inputs: Tensor): Tensor {
    return ops.matmul(inputs, this.w).add(this.b);
  }

  override getConfig(): keras.layers.LayerConfig {
    const config = super.getConfig();
    Object.assign(config, { units: this.units });
    return config;
  }
  static override fromConfig(config: keras.layers.LayerConfig): LinearWithKwargs {
    return new LinearWithKwargs(config.units, config);
  }
}

// ## Privileged `training` argument in the `call()` method

export class CustomDropout extends keras.layers.Layer {
  constructor(readonly rate: number, kwargs: keras.layers.LayerOptions = {}) {
    super(kwargs);
  }

  override call(inputs: Tensor, { training }: keras.layers.CallOptions): Tensor {
    if (training) {
      return keras.random.dropout(inputs, { rate: this.rate });
    }
    return inputs;
  }
}

// ## Putting it all together: an end-to-end example

/** Uses (z_mean, z_log_var) to sample z, the vector encoding a digit. */
export class Sampling extends layers.Layer {
  override call(inputs: Tensor[]): Tensor {
    const [zMean, zLogVar] = inputs as [Tensor, Tensor];
    const batch = ops.shape(zMean)[0]!;
    const dim = ops.shape(zMean)[1]!;
    const epsilon = keras.random.normal([batch, dim]);
    return zMean.add(ops.exp(zLogVar.mul(0.5)).mul(epsilon));
  }
}

/** Maps MNIST digits to a triplet (z_mean, z_log_var, z). */
export class Encoder extends layers.Layer {
  denseProj: layers.Dense;
  denseMean: layers.Dense;
  denseLogVar: layers.Dense;
  sampling: Sampling;
  constructor({ latentDim = 32, intermediateDim = 64, name = 'encoder', ...kwargs }: { latentDim?: number; intermediateDim?: number } & keras.layers.LayerOptions = {}) {
    super({ name, ...kwargs });
    this.denseProj = new layers.Dense(intermediateDim, { activation: 'relu' });
    this.denseMean = new layers.Dense(latentDim);
    this.denseLogVar = new layers.Dense(latentDim);
    this.sampling = new Sampling();
  }

  override call(inputs: Tensor): Tensor[] {
    const x = this.denseProj.apply(inputs);
    const zMean = this.denseMean.apply(x);
    const zLogVar = this.denseLogVar.apply(x);
    const z = this.sampling.apply([zMean, zLogVar]);
    return [zMean, zLogVar, z];
  }
}

/** Converts z, the encoded digit vector, back into a readable digit. */
export class Decoder extends layers.Layer {
  denseProj: layers.Dense;
  denseOutput: layers.Dense;
  constructor(originalDim: number, { intermediateDim = 64, name = 'decoder', ...kwargs }: { intermediateDim?: number } & keras.layers.LayerOptions = {}) {
    super({ name, ...kwargs });
    this.denseProj = new layers.Dense(intermediateDim, { activation: 'relu' });
    this.denseOutput = new layers.Dense(originalDim, { activation: 'sigmoid' });
  }

  override call(inputs: Tensor): Tensor {
    const x = this.denseProj.apply(inputs);
    return this.denseOutput.apply(x);
  }
}

/** Combines the encoder and decoder into an end-to-end model for training. */
export class VariationalAutoEncoder extends keras.Model {
  encoder: Encoder;
  decoder: Decoder;
  constructor(
    readonly originalDim: number,
    intermediateDim = 64,
    latentDim = 32,
    { name = 'autoencoder', ...kwargs }: keras.ModelOptions = {},
  ) {
    super({ name, ...kwargs });
    this.encoder = new Encoder({ latentDim, intermediateDim });
    this.decoder = new Decoder(originalDim, { intermediateDim });
  }

  override call(inputs: Tensor): Tensor {
    const [zMean, zLogVar, z] = this.encoder.applyMulti(inputs) as [Tensor, Tensor, Tensor];
    const reconstructed = this.decoder.apply(z);
    // Add KL divergence regularization loss.
    const klLoss = ops.mean(
      zLogVar.sub(ops.square(zMean)).sub(ops.exp(zLogVar)).add(1),
    ).mul(-0.5);
    this.addLoss(klLoss);
    return reconstructed;
  }
}

/** What the guide prints, for the test. */
export interface GuideResult {
  linearOutput: number[][];
  sums: number[][];
  counts: Record<string, number>;
  lossesAfterCalls: number[];
  kernelRegularization: number;
  configs: keras.layers.LayerConfig[];
  addLossFitLoss: number[];
  vaeLoss: number[];
}

export async function main(options: ExampleOptions, print: (...a: unknown[]) => void = console.log): Promise<GuideResult> {
  keras.utils.setRandomSeed(1337);

  // ## The `Layer` class: the combination of state (weights) and some computation
  let x = ops.ones([2, 2]);
  const linearLayer = new Linear(4, 2);
  let y = linearLayer.apply(x);
  print(y);
  const linearOutput = y.toArray() as number[][];

  assert(linearLayer.weights.length === 2 && linearLayer.weights[0] === linearLayer.w && linearLayer.weights[1] === linearLayer.b);

  // ## Layers can have non-trainable weights
  x = ops.ones([2, 2]);
  const mySum = new ComputeSum(2);
  y = mySum.apply(x);
  print(y.toArray());
  const sums = [y.toArray() as number[]];
  y = mySum.apply(x);
  print(y.toArray());
  sums.push(y.toArray() as number[]);

  print('weights:', mySum.weights.length);
  print('non-trainable weights:', mySum.nonTrainableWeights.length);

  // It's not included in the trainable weights:
  print('trainable_weights:', mySum.trainableWeights);
  const counts: Record<string, number> = {
    weights: mySum.weights.length, nonTrainableWeights: mySum.nonTrainableWeights.length, trainableWeights: mySum.trainableWeights.length,
  };

  // ## Best practice: deferring weight creation until the shape of the inputs is known

  // At instantiation, we don't know on what inputs this is going to get called
  const lazyLinearLayer = new LazyLinear(32);

  // The layer's weights are created dynamically the first time the layer is called
  y = lazyLinearLayer.apply(x);

  // ## Layers are recursively composable
  const mlp = new MLPBlock();
  y = mlp.apply(ops.ones([3, 64])); // The first call to the `mlp` will create the weights
  print('weights:', mlp.weights.length);
  print('trainable weights:', mlp.trainableWeights.length);
  counts.mlpWeights = mlp.weights.length;
  counts.mlpTrainableWeights = mlp.trainableWeights.length;

  // ## The `add_loss()` method
  let layer: keras.layers.Layer = new OuterLayer();
  assert.equal(layer.losses.length, 0); // No losses yet since the layer has never been called
  const lossesAfterCalls = [layer.losses.length];

  layer.apply(ops.zeros([1, 1]));
  assert.equal(layer.losses.length, 1); // We created one loss value
  lossesAfterCalls.push(layer.losses.length);

  // `layer.losses` gets reset at the start of each __call__
  layer.apply(ops.zeros([1, 1]));
  assert.equal(layer.losses.length, 1); // This is the loss created during the call above
  lossesAfterCalls.push(layer.losses.length);

  layer = new OuterLayerWithKernelRegularizer();
  layer.apply(ops.zeros([1, 1]));

  // This is `1e-3 * sum(layer.dense.kernel ** 2)`,
  // created by the `kernel_regularizer` above.
  print(layer.losses);
  const kernelRegularization = layer.losses[0]!.item();

  const inputs = keras.Input({ shape: [3] });
  const outputs = new ActivityRegularizationLayer().apply(inputs);
  const model = new keras.Model(inputs, outputs);

  // If there is a loss passed in `compile`, the regularization
  // losses get added to it
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const h1 = await model.fit(rand([2, 3]), rand([2, 3]));

  // It's also possible not to pass any loss in `compile`,
  // since the model already has a loss to minimize, via the `add_loss`
  // call during the forward pass!
  model.compile({ optimizer: 'adam' });
  const h2 = await model.fit(rand([2, 3]), rand([2, 3]));
  const addLossFitLoss = [h1.history.loss![0]!, h2.history.loss![0]!];

  // ## You can optionally enable serialization on your layers

  // Now you can recreate the layer from its config:
  let serializable: keras.layers.Layer = new SerializableLinear(64);
  let config = serializable.getConfig();
  print(config);
  let newLayer: keras.layers.Layer = SerializableLinear.fromConfig(config);
  const configs = [config, newLayer.getConfig()];

  serializable = new LinearWithKwargs(64);
  config = serializable.getConfig();
  print(config);
  newLayer = LinearWithKwargs.fromConfig(config);
  configs.push(config, newLayer.getConfig());

  // ## Putting it all together: an end-to-end example
  const [[xTrain0]] = await keras.datasets.mnist.loadData();
  const n = Math.min(options.limit ?? (options.quick ? 6000 : 60000), 60000);
  const xTrain = xTrain0.narrow(0, 0, n).reshape([n, 784]).div(255);

  const originalDim = 784;
  const vae = new VariationalAutoEncoder(originalDim, 64, 32);

  const optimizer = new keras.optimizers.Adam({ learningRate: 1e-3 });
  vae.compile({ optimizer, loss: new keras.losses.MeanSquaredError() });

  const history = await vae.fit(xTrain, xTrain, { epochs: options.epochs, batchSize: 64 });
  vae.dispose();
  xTrain0.dispose();
  xTrain.dispose();
  return { linearOutput, sums, counts, lossesAfterCalls, kernelRegularization, configs, addLossFitLoss, vaeLoss: history.history.loss! };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runExample(USAGE, 2, main);
