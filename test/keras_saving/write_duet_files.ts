/**
 * Writes the Duet side of the Keras interop fixtures: duet_sequential.keras
 * (a compiled, trained Dense MLP, with Adam's state) and
 * duet_functional.keras (a functional model with a Concatenate branch).
 * test/golden/gen_keras_saving.py loads both in Keras 3 and records what
 * Keras predicts and sees in duet_in_keras.json.
 *
 *   pnpm exec tsx --conditions=source test/keras_saving/write_duet_files.ts
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, tensor } from '@duet/core';
import * as keras from '../../packages/keras/src/index.js';
import { EventFileWriter } from '../../packages/keras/src/callbacks/tfevents.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The inputs both sides predict on (also written by the generator into its JSON). */
export function interopX(): number[][] {
  return Array.from({ length: 6 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) / 3, 1 - i / 6]);
}

/** The second input of the two-input model (also in the generator). */
export function interopXB(): number[][] {
  return Array.from({ length: 6 }, (_, i) => [i / 6, 1 - i / 6]);
}

/** Two inputs, two outputs, a nested Sequential used by both branches (as multi_io_model in the generator). */
export function multiIoModel(name: string): keras.Model {
  const a = keras.Input({ shape: [4], name: 'a' });
  const b = keras.Input({ shape: [2], name: 'b' });
  const inner = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(3, { activation: 'relu' }), new keras.layers.Dense(3)], { name: 'inner' });
  const h = inner.apply(a);
  const c = new keras.layers.Concatenate({ name: 'concat' }).apply([h, b]);
  const o1 = new keras.layers.Dense(2, { name: 'o1' }).apply(c);
  const o2 = new keras.layers.Dense(1, { activation: 'sigmoid', name: 'o2' }).apply(h);
  return new keras.Model({ inputs: [a, b], outputs: [o1, o2], name });
}

/**
 * TensorBoard event files with fixed wall times (so the bytes are
 * reproducible): `<dir>/train` and `<dir>/validation`, as the TensorBoard
 * callback lays them out, with scalars at two epochs and a histogram.
 */
export function writeTensorBoardFixture(dir: string): { train: string; validation: string } {
  let t = 1_700_000_000;
  const now = () => (t += 0.25);
  const filename = 'events.out.tfevents.1700000000.duet.0.v2';
  const train = new EventFileWriter(join(dir, 'train'), { now, filename });
  const validation = new EventFileWriter(join(dir, 'validation'), { now, filename });
  train.scalars(0, { epoch_loss: 0.75, epoch_accuracy: 0.5, epoch_learning_rate: 0.001 });
  validation.scalars(0, { epoch_loss: 0.8, epoch_accuracy: 0.25 });
  train.histogram(0, 'dense/kernel/histogram', [-1, -0.5, 0, 0.25, 0.5, 2], 4);
  train.scalars(1, { epoch_loss: 0.5, epoch_accuracy: 0.75, epoch_learning_rate: 0.001 });
  validation.scalars(1, { epoch_loss: 0.6, epoch_accuracy: 0.5 });
  return { train: train.path, validation: validation.path };
}

async function main(): Promise<void> {
  writeTensorBoardFixture(join(here, 'tensorboard'));

  manualSeed(11);
  const seq = new keras.Sequential([
    keras.Input({ shape: [4] }),
    new keras.layers.Dense(5, { activation: 'relu' }),
    new keras.layers.Dense(3, { activation: 'softmax' }),
  ], { name: 'duet_mlp' });
  seq.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const x = tensor(interopX());
  const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
  await seq.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
  await seq.save(join(here, 'duet_sequential.keras'));

  const inp = keras.Input({ shape: [4], name: 'features' });
  const h = new keras.layers.Dense(3, { activation: 'tanh', name: 'hidden' }).apply(inp);
  const cat = new keras.layers.Concatenate({ name: 'concat' }).apply([h, inp]);
  const out = new keras.layers.Dense(2, { name: 'head' }).apply(cat);
  const fn = new keras.Model({ inputs: inp, outputs: out, name: 'duet_functional' });
  await fn.save(join(here, 'duet_functional.keras'));
  await multiIoModel('duet_multi').save(join(here, 'duet_multi.keras'));
  console.log(`wrote duet_sequential.keras, duet_functional.keras, duet_multi.keras and tensorboard/ in ${here}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
