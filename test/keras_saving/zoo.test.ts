/**
 * The model zoo of issue 10, both directions, against Keras 3.15.1
 * (fixtures and results by test/golden/gen_keras_zoo.py; no Python here):
 *
 * - Python -> Duet: each py_<name>.keras loads in Duet and predicts what
 *   Keras predicted, within 1e-5;
 * - Duet -> Python: the generator had Keras load each duet_<name>.keras and
 *   recorded its predictions; the committed results must say all nine
 *   passed, Duet must still predict the same from those files, and Duet's
 *   writer today must produce the same config.json as the committed files
 *   (so a writer regression fails here, not only when the generator reruns).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memory, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { expectClose, expectNoLeaks } from '../helpers.js';
import { readZip } from '../../packages/keras/src/saving/archive.js';
import { ZOO_NAMES, buildZoo, randomizeZoo } from './zoo/zoo.js';
import { toTensor, zooInputs, zooSeed } from './zoo/write_duet_zoo.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'zoo');
interface Pred { shape: number[]; data: number[] }
const zoo = JSON.parse(readFileSync(join(here, 'zoo.json'), 'utf8')) as {
  versions: Record<string, string>;
  tolerance: number;
  names: string[];
  pythonWritten: Record<string, { predict: Pred; layers: string[] }>;
  duetWritten: Record<string, { className: string; layers: string[]; predict: Pred; duetPredict: Pred; maxAbsDiff: number; passed: boolean }>;
};
const inputs = zooInputs();
const shaped = (p: Pred) => ({ shape: p.shape, values: p.data });

async function predict(model: keras.Model, name: string): Promise<Tensor> {
  const xs = inputs[name]!.map(toTensor);
  return (await model.predict(xs.length > 1 ? xs : xs[0]!, { verbose: 0 })) as Tensor;
}

const configOf = (bytes: Uint8Array, where: string) => new TextDecoder().decode(readZip(bytes, where, (n) => n === 'config.json').get('config.json'));

it('the fixtures cover the eight architectures of issue 10 (and the RNN wrappers), made with Keras 3.15', () => {
  expect(zoo.names).toEqual([...ZOO_NAMES]);
  expect(zoo.versions.keras).toBe('3.15.1');
  expect(zoo.tolerance).toBe(1e-5);
});

describe('Python Keras 3.15 -> Duet', () => {
  for (const name of ZOO_NAMES) {
    it(`${name}: py_${name}.keras loads and predicts as Keras (1e-5)`, async () => {
      const m = await keras.models.loadModel(join(here, `py_${name}.keras`));
      expect(m.layers.map((l) => l.name)).toEqual(zoo.pythonWritten[name]!.layers);
      expectClose(await predict(m, name), shaped(zoo.pythonWritten[name]!.predict), { atol: 1e-5, rtol: 0 });
    });
  }

  for (const name of ZOO_NAMES) {
    it(`${name}: Keras's weights file alone loads into the same architecture built in Duet (zoo.ts)`, async () => {
      const m = buildZoo(name);
      await m.loadWeights(join(here, `py_${name}.keras`)); // its model.weights.h5
      expectClose(await predict(m, name), shaped(zoo.pythonWritten[name]!.predict), { atol: 1e-5, rtol: 0 });
    });
  }

  it('loading and predicting leaves only the model\'s variables', async () => {
    await keras.models.loadModel(join(here, 'py_transformer.keras')); // warm-up
    const before = memory().numTensors;
    const m = await keras.models.loadModel(join(here, 'py_transformer.keras'));
    expect(memory().numTensors).toBe(before + m.weights.length);
    for (const w of m.weights) w.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('the masked model (Embedding maskZero -> LSTM -> masked GlobalAveragePooling1D) leaks nothing per call', async () => {
    const m = await keras.models.loadModel(join(here, 'py_embedding_mask.keras'));
    const ids = toTensor(inputs.embedding_mask![0]!);
    expectNoLeaks(() => void m.apply(ids));
    for (const w of m.weights) w.dispose();
    ids.dispose();
  });
});

describe('Duet -> Python Keras 3.15 (what Keras computed, recorded by the generator)', () => {
  it('Keras loaded all nine Duet files and predicted what Duet predicted (1e-5)', () => {
    const rows = ZOO_NAMES.map((n) => [n, zoo.duetWritten[n]!.passed, zoo.duetWritten[n]!.maxAbsDiff <= 1e-5]);
    expect(rows).toEqual(ZOO_NAMES.map((n) => [n, true, true]));
  });

  it('docs/interop.md\'s table shows the recorded differences', () => {
    const md = readFileSync(join(here, '..', '..', '..', 'docs', 'interop.md'), 'utf8');
    const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(1));
    for (const name of ZOO_NAMES) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${name} |`));
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row!.split('|').map((c) => c.trim())[4], name).toBe(fmt(zoo.duetWritten[name]!.maxAbsDiff));
    }
  });

  for (const [i, name] of ZOO_NAMES.entries()) {
    it(`${name}: Duet's writer still writes the committed config.json, and the committed file predicts what Keras predicted`, async () => {
      const committed = new Uint8Array(readFileSync(join(here, `duet_${name}.keras`)));
      const model = buildZoo(name);
      randomizeZoo(model, zooSeed(i));
      const now = await keras.saving.serializeModel(model);
      expect(configOf(now, 'today')).toBe(configOf(committed, `duet_${name}.keras`));
      // The same weights as the committed file: Duet today predicts what Keras predicted from it.
      expectClose(await predict(model, name), shaped(zoo.duetWritten[name]!.predict), { atol: 1e-5, rtol: 0 });
      const loaded = await keras.models.loadModel(join(here, `duet_${name}.keras`));
      expect(loaded.layers.map((l) => l.name)).toEqual(zoo.duetWritten[name]!.layers);
      expectClose(await predict(loaded, name), shaped(zoo.duetWritten[name]!.predict), { atol: 1e-5, rtol: 0 });
    });
  }
});
