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

const here = dirname(fileURLToPath(import.meta.url));

/** The inputs both sides predict on (also written by the generator into its JSON). */
export function interopX(): number[][] {
  return Array.from({ length: 6 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) / 3, 1 - i / 6]);
}

async function main(): Promise<void> {
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
  console.log(`wrote duet_sequential.keras and duet_functional.keras in ${here}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
