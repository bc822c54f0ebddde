/**
 * The seed's Keras MNIST program, data-parallel (issue 13): the same model
 * code inside `strategy.scope()`, as with TensorFlow's
 * tf.distribute.MultiWorkerMirroredStrategy. `batchSize` is the global batch
 * (each worker takes its part); the logged loss and accuracy are over all
 * workers. Only rank 0 prints and saves.
 *
 *   pnpm duet-run --nproc 2 examples/ddp-keras-mnist.ts     (EPOCHS=1 for a quick run)
 *   On several machines: TF_CONFIG, or DUET_CLUSTER and DUET_RANK (docs/distributed.md).
 */
import * as keras from '@duet/keras';
import { distributed } from '@duet/core';

const EPOCHS = Number(process.env.EPOCHS ?? 5);
const strategy = new keras.distribute.MultiWorkerMirroredStrategy();
const verbose = strategy.isChief ? 2 : 0;

const [[xTrain0, yTrain], [xTest0, yTest]] = await keras.datasets.mnist.loadData();
const xTrain = xTrain0.reshape([-1, 784]).div(255);
const xTest = xTest0.reshape([-1, 784]).div(255);
const model = strategy.scope(() => {
  const m = new keras.Sequential([
    new keras.layers.Dense(128, { activation: 'relu' }),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
});
const batchSize = 32 * strategy.numReplicasInSync; // 32 per worker, as the single-process program
await model.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize, verbose });
const [loss, accuracy] = (await model.evaluate(xTest, yTest, { batchSize: 1000, verbose: 0 })) as number[];
if (strategy.isChief) {
  console.log(`${strategy.numReplicasInSync} workers: test loss ${loss!.toFixed(4)}, test accuracy ${(accuracy! * 100).toFixed(2)}%`);
  await model.save('mnist-keras-ddp.keras');
}
distributed.destroy();
