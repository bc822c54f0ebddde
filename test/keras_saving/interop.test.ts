/**
 * .keras files cross between Duet and Keras 3.15 both ways (fixtures by
 * test/golden/gen_keras_saving.py; no Python at test time):
 * - files written by Python Keras load in Duet, predict as Keras did, and
 *   resume training (Adam's state from the file) to Keras's weights;
 * - files written by Duet (write_duet_files.ts) loaded in Keras: Keras's
 *   predictions and continued training, recorded in keras_saving.json, are
 *   what Duet computes from the same files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor, memory, tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { expectClose } from '../helpers.js';
import { histogramBuckets } from '../../packages/keras/src/callbacks/tfevents.js';
import { kerasLayerOrder } from '../../packages/keras/src/saving/keras_order.js';
import { interopXB, writeTensorBoardFixture } from './write_duet_files.js';

const here = dirname(fileURLToPath(import.meta.url));
interface Stored { shape: number[]; data: number[] }
const golden = JSON.parse(readFileSync(join(here, 'keras_saving.json'), 'utf8')) as {
  x: Stored; y: number[];
  pythonWritten: {
    sequential: { predict: Stored; iterations: number; weightsAfterOneMoreEpoch: Stored[] };
    functional: { predict: Stored };
    multi: { predict: Stored[] };
    order: { layers: string[]; predict: Stored[] };
    optimizers: Record<string, { optimizer: string; iterations: number; weightsAfterOneMoreEpoch: Stored[] }>;
  };
  tensorboard: Record<'train' | 'validation', {
    file: string;
    events: { wallTime: number; step: number; fileVersion: string | null; values: { tag: string; plugin: string; value: number | number[][] }[] }[];
    accumulatorTensors: Record<string, [number, number | number[][]][]>;
  }>;
  duetWritten: {
    sequential: { className: string; name: string; layers: string[]; optimizer: string; learningRate: number; iterations: number; predict: Stored; weightsAfterOneMoreEpoch: Stored[] };
    functional: { className: string; name: string; layers: string[]; predict: Stored };
    multi: { layers: string[]; predict: Stored[] };
  };
};
const shaped = (s: Stored) => ({ shape: s.shape, values: s.data });
const x = () => tensor(golden.x.data, { shape: golden.x.shape });
const y = () => tensor(golden.y, { dtype: 'int32' });
const first = (t: Tensor | Tensor[]) => (Array.isArray(t) ? t[0]! : t);

describe('Python Keras 3.15 -> Duet', () => {
  it('a compiled, trained Sequential loads, predicts as Keras, and resumes training to Keras\'s weights', async () => {
    const m = await keras.models.loadModel(join(here, 'py_sequential.keras'));
    expect(m).toBeInstanceOf(keras.Sequential);
    expect(m.name).toBe('py_mlp');
    expect(m.optimizer).toBeInstanceOf(keras.optimizers.Adam);
    expect(m.optimizer!.learningRate).toBeCloseTo(0.01, 7);
    expect(m.optimizer!.iterations).toBe(golden.pythonWritten.sequential.iterations);
    expectClose(first(await m.predict(x(), { verbose: 0 })), shaped(golden.pythonWritten.sequential.predict), { atol: 1e-6 });
    await m.fit(x(), y(), { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
    const ws = m.getWeights();
    golden.pythonWritten.sequential.weightsAfterOneMoreEpoch.forEach((w, i) => expectClose(ws[i]!, shaped(w), { atol: 1e-5, message: `weight ${i}` }));
  });

  for (const [name, c] of Object.entries(golden.pythonWritten.optimizers)) {
    it(`${name}: the optimizer's saved state (Keras's slot layout) resumes training to Keras's weights`, async () => {
      const m = await keras.models.loadModel(join(here, `py_opt_${name}.keras`));
      expect(m.optimizer!.constructor.name).toBe(c.optimizer);
      expect(m.optimizer!.iterations).toBe(c.iterations);
      await m.fit(x(), y(), { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
      const ws = m.getWeights();
      c.weightsAfterOneMoreEpoch.forEach((w, i) => expectClose(ws[i]!, shaped(w), { atol: 1e-5, message: `${name} weight ${i}` }));
    });
  }

  it('a functional model with a Concatenate branch loads and predicts as Keras', async () => {
    const m = await keras.models.loadModel(join(here, 'py_functional.keras'));
    expect(m.isFunctional).toBe(true);
    expect(m.layers.map((l) => l.name)).toEqual(['features', 'hidden', 'concat', 'head']);
    expectClose(first(await m.predict(x(), { verbose: 0 })), shaped(golden.pythonWritten.functional.predict), { atol: 1e-6 });
  });

  it('two inputs, two outputs and a nested Sequential: loads and predicts as Keras', async () => {
    const m = await keras.models.loadModel(join(here, 'py_multi.keras'));
    expect(m.inputs).toHaveLength(2);
    const outs = (await m.predict([x(), tensor(interopXB())], { verbose: 0 })) as Tensor[];
    expect(outs).toHaveLength(2);
    golden.pythonWritten.multi.predict.forEach((p, i) => expectClose(outs[i]!, shaped(p), { atol: 1e-6, message: `output ${i}` }));
  });

  it('layers whose Keras order differs from their creation order: weights go to the right layers', async () => {
    const m = await keras.models.loadModel(join(here, 'py_order.keras'));
    expect(kerasLayerOrder(m).map((l) => l.name)).toEqual(golden.pythonWritten.order.layers);
    expect((m.getLayer('d1') as keras.layers.Dense).kernel.shape).toEqual([4, 3]);
    const outs = (await m.predict(x(), { verbose: 0 })) as Tensor[];
    golden.pythonWritten.order.predict.forEach((p, i) => expectClose(outs[i]!, shaped(p), { atol: 1e-6, message: `output ${i}` }));
    // The same graph built in Duet lists its layers in Keras's order too.
    const inp = keras.Input({ shape: [4], name: 'inp' });
    const short = new keras.layers.Dense(2, { name: 'short' }).apply(inp);
    const d2 = new keras.layers.Dense(5, { name: 'd2' }).apply(new keras.layers.Dense(3, { name: 'd1' }).apply(inp));
    expect(kerasLayerOrder(new keras.Model({ inputs: inp, outputs: [short, d2] })).map((l) => l.name)).toEqual(['inp', 'd1', 'short', 'd2']);
  });

  it('save_weights() output loads into the same architecture built in Duet', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(5, { activation: 'relu' }), new keras.layers.Dense(3, { activation: 'softmax' })]);
    m.compile({ optimizer: new keras.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
    await m.loadWeights(join(here, 'py_mlp.weights.h5'));
    expect(m.optimizer!.iterations).toBe(golden.pythonWritten.sequential.iterations);
    expectClose(first(await m.predict(x(), { verbose: 0 })), shaped(golden.pythonWritten.sequential.predict), { atol: 1e-6 });
  });

  it('an h5py file whose dataset claims 10^12 values is refused before anything is read', async () => {
    const m = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(8)]);
    const err = await m.loadWeights(join(here, 'absurd_shape.weights.h5')).catch((e) => e);
    expect(err).toBeInstanceOf(keras.saving.SavingError);
    expect(err.code).toBe('ERR_KERAS_H5');
    expect(err.message).toMatch(/claims shape \[1000000,1000000\]/);
  });

  it('loading leaks no native tensors beyond the model\'s variables and optimizer slots', async () => {
    await keras.models.loadModel(join(here, 'py_sequential.keras')); // warm-up
    const before = memory().numTensors;
    const bare = await keras.models.loadModel(join(here, 'py_sequential.keras'), { compile: false });
    expect(memory().numTensors).toBe(before + bare.weights.length);
    for (const w of bare.weights) w.dispose();
    expect(memory().numTensors).toBe(before);
    // Compiled: the optimizer's slots (resource variables) are the only other native state.
    const m = await keras.models.loadModel(join(here, 'py_sequential.keras'));
    m.optimizer!.dispose();
    for (const w of m.weights) w.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('Duet -> Python Keras 3.15 (what Keras saw, recorded by the generator)', () => {
  it('Keras loaded the Sequential with its compile config and optimizer state', () => {
    const k = golden.duetWritten.sequential;
    expect(k.className).toBe('Sequential');
    expect(k.name).toBe('duet_mlp');
    expect(k.layers).toEqual(['Dense', 'Dense']);
    expect(k.optimizer).toBe('Adam');
    expect(k.learningRate).toBeCloseTo(0.01, 7);
    expect(k.iterations).toBe(4);
  });

  it('Keras predicts what Duet predicts from the same file, and continues training to the same weights', async () => {
    const m = await keras.models.loadModel(join(here, 'duet_sequential.keras'));
    expectClose(first(await m.predict(x(), { verbose: 0 })), shaped(golden.duetWritten.sequential.predict), { atol: 1e-6 });
    await m.fit(x(), y(), { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
    const ws = m.getWeights();
    golden.duetWritten.sequential.weightsAfterOneMoreEpoch.forEach((w, i) => expectClose(ws[i]!, shaped(w), { atol: 1e-5, message: `weight ${i}` }));
  });

  it('Keras rebuilt the two-input, two-output model with its nested Sequential and predicts what Duet predicts', async () => {
    const k = golden.duetWritten.multi;
    expect([...k.layers].sort()).toEqual(['a', 'b', 'concat', 'inner', 'o1', 'o2']);
    const m = await keras.models.loadModel(join(here, 'duet_multi.keras'));
    const outs = (await m.predict([x(), tensor(interopXB())], { verbose: 0 })) as Tensor[];
    k.predict.forEach((p, i) => expectClose(outs[i]!, shaped(p), { atol: 1e-6, message: `output ${i}` }));
  });

  it('Keras rebuilt the functional graph and predicts what Duet predicts', async () => {
    const k = golden.duetWritten.functional;
    expect(k.className).toBe('Functional');
    expect(k.name).toBe('duet_functional');
    expect(k.layers).toEqual(['features', 'hidden', 'concat', 'head']);
    const m = await keras.models.loadModel(join(here, 'duet_functional.keras'));
    expectClose(first(await m.predict(x(), { verbose: 0 })), shaped(k.predict), { atol: 1e-6 });
  });
});

describe('TensorBoard event files written by Duet, read by TensorFlow and TensorBoard 2.21', () => {
  it('the committed files are what the writer writes today', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'duet-tbfix-'));
    try {
      const out = writeTensorBoardFixture(tmp);
      expect(readFileSync(out.train)).toEqual(readFileSync(join(here, 'tensorboard', 'train', golden.tensorboard.train.file)));
      expect(readFileSync(out.validation)).toEqual(readFileSync(join(here, 'tensorboard', 'validation', golden.tensorboard.validation.file)));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('summary_iterator saw every event with its step, tag, plugin and value', () => {
    const f = Math.fround;
    const train = golden.tensorboard.train.events;
    expect(train[0]).toEqual({ wallTime: 1700000000.25, step: 0, fileVersion: 'brain.Event:2', values: [] });
    expect(train.slice(1).map((e) => [e.step, e.values.map((v) => [v.tag, v.plugin])])).toEqual([
      [0, [['epoch_loss', 'scalars'], ['epoch_accuracy', 'scalars'], ['epoch_learning_rate', 'scalars']]],
      [0, [['dense/kernel/histogram', 'histograms']]],
      [1, [['epoch_loss', 'scalars'], ['epoch_accuracy', 'scalars'], ['epoch_learning_rate', 'scalars']]],
    ]);
    expect(train[1]!.values.map((v) => v.value)).toEqual([0.75, 0.5, f(0.001)]);
    expect(train[2]!.values[0]!.value).toEqual(histogramBuckets([-1, -0.5, 0, 0.25, 0.5, 2], 4));
    const val = golden.tensorboard.validation.events;
    expect(val.slice(1).map((e) => [e.step, e.values.map((v) => [v.tag, v.value])])).toEqual([
      [0, [['epoch_loss', f(0.8)], ['epoch_accuracy', 0.25]]],
      [1, [['epoch_loss', f(0.6)], ['epoch_accuracy', 0.5]]],
    ]);
  });

  it('TensorBoard\'s EventAccumulator lists the scalar series and the histogram', () => {
    const acc = golden.tensorboard.train.accumulatorTensors;
    expect(Object.keys(acc).sort()).toEqual(['dense/kernel/histogram', 'epoch_accuracy', 'epoch_learning_rate', 'epoch_loss']);
    expect(acc.epoch_loss).toEqual([[0, 0.75], [1, 0.5]]);
    expect(golden.tensorboard.validation.accumulatorTensors.epoch_loss).toEqual([[0, Math.fround(0.8)], [1, Math.fround(0.6)]]);
  });
});
