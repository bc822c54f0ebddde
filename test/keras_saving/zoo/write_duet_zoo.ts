/**
 * The Duet side of the zoo fixtures (run by test/golden/gen_keras_zoo.py):
 * builds each architecture of zoo.ts with random weights, saves it as
 * duet_<name>.keras, and records Duet's predictions on the generator's
 * inputs (zoo_inputs.json) in duet_predictions.json; Python then loads each
 * file with keras.saving.load_model and compares.
 *
 *   pnpm exec tsx --conditions=source test/keras_saving/zoo/write_duet_zoo.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, type Tensor } from '@duet/core';
import { ZOO_NAMES, buildZoo, randomizeZoo } from './zoo.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface Stored { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
export const zooInputs = (): Record<string, Stored[]> => JSON.parse(readFileSync(join(here, 'zoo_inputs.json'), 'utf8'));
export const toTensor = (s: Stored): Tensor => tensor(s.data, { shape: s.shape, dtype: s.dtype });

/** The seed of each model's random weights. */
export const zooSeed = (i: number): number => 100 + i;

async function main(): Promise<void> {
  const inputs = zooInputs();
  const predictions: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [i, name] of ZOO_NAMES.entries()) {
    const model = buildZoo(name);
    randomizeZoo(model, zooSeed(i));
    await model.save(join(here, `duet_${name}.keras`));
    const xs = inputs[name]!.map(toTensor);
    const p = (await model.predict(xs.length > 1 ? xs : xs[0]!, { verbose: 0 })) as Tensor;
    predictions[name] = { shape: [...p.shape], data: Array.from(p.dataSync()) };
  }
  writeFileSync(join(here, 'duet_predictions.json'), `${JSON.stringify(predictions)}\n`);
  console.error(`wrote duet_<name>.keras for ${ZOO_NAMES.length} models and duet_predictions.json in ${here}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
