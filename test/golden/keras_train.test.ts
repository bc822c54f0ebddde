/**
 * @duet/keras training against Keras 3.15 / TensorFlow 2.21 (keras_train.json,
 * written by gen_keras.py): the same model from the same initial weights,
 * compiled the same way, fit on the same unshuffled data, must log Keras's
 * per-epoch history (same keys, same order, same values) and end with
 * Keras's weights; `evaluate` must return Keras's values in Keras's order.
 * Covers every optimizer at Keras's defaults and with momentum / clipping /
 * weight decay / schedules, the main losses and metrics, sample and class
 * weights, validation split, regularizers and constraints, and a
 * two-output functional model.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { expectClose } from '../helpers.js';
import { load, readFixture, shaped, type Stored } from './keras_fixtures.js';

interface TrainCase {
  id: string;
  model: 'mlp' | 'two_outputs' | 'masked_sequence';
  xData?: Stored;
  yData?: Stored;
  outUnits?: number;
  outActivation?: string | null;
  y?: 'sparse' | 'onehot' | 'binary' | 'regression';
  modelOptions?: { l2?: number; maxNorm?: number; activityL1?: number };
  compile: Record<string, any>;
  fit: Record<string, any>;
  init: Stored[];
  history: Record<string, number[]>;
  historyKeys: string[];
  weights: Stored[];
  evaluate?: number[];
  evaluateDict?: Record<string, number>;
  predict?: Stored[];
}
const golden = readFixture<{ x: Stored; y: Stored; yOnehot: Stored; yBinary: Stored; yRegression: Stored; cases: TrainCase[] }>('keras_train.json');

function buildModel(c: TrainCase): keras.Model {
  const L = keras.layers;
  if (c.model === 'two_outputs') {
    const inp = keras.Input({ shape: [8], name: 'features' });
    const h = new L.Dense(6, { activation: 'relu', name: 'shared' }).apply(inp);
    const a = new L.Dense(3, { activation: 'softmax', name: 'cls' }).apply(h);
    const b = new L.Dense(2, { name: 'reg' }).apply(h);
    return new keras.Model({ inputs: inp, outputs: [a, b] });
  }
  if (c.model === 'masked_sequence') {
    return new keras.Sequential([keras.Input({ shape: [5], dtype: 'int32' }), new L.Embedding(7, 4, { maskZero: true }), new L.Dense(3, { activation: 'softmax' })]);
  }
  const mo = c.modelOptions ?? {};
  return new keras.Sequential([
    keras.Input({ shape: [8] }),
    new L.Dense(6, {
      activation: 'relu',
      kernelRegularizer: mo.l2 !== undefined ? keras.regularizers.l2(mo.l2) : null,
      kernelConstraint: mo.maxNorm !== undefined ? new keras.constraints.MaxNorm({ maxValue: mo.maxNorm }) : null,
      activityRegularizer: mo.activityL1 !== undefined ? keras.regularizers.l1(mo.activityL1) : null,
    }),
    new L.Dense(c.outUnits!, { activation: c.outActivation ?? null }),
  ]);
}

function fitOptions(f: Record<string, any>): keras.FitOptions {
  const o: keras.FitOptions = { epochs: f.epochs, batchSize: f.batchSize, shuffle: false, verbose: 0 };
  if (f.validationSplit !== undefined) o.validationSplit = f.validationSplit;
  if (f.sampleWeight !== undefined) o.sampleWeight = load(f.sampleWeight);
  if (f.classWeight !== undefined) o.classWeight = f.classWeight;
  return o;
}

const TOL = { atol: 2e-5, rtol: 2e-4 };

describe(`keras training vs Keras ${golden.versions.keras} (TF ${golden.versions.tensorflow})`, () => {
  const xAll = load(golden.x).keep();
  const ys: Record<string, Tensor> = {
    sparse: load(golden.y).keep(), onehot: load(golden.yOnehot).keep(), binary: load(golden.yBinary).keep(), regression: load(golden.yRegression).keep(),
  };
  for (const c of golden.cases) {
    it(c.id, async () => {
      const model = buildModel(c);
      model.setWeights(c.init.map((s) => load(s)));
      model.compile(c.compile as keras.CompileOptions);
      const y = c.model === 'two_outputs' ? { cls: ys.sparse!, reg: ys.regression! } : c.yData !== undefined ? load(c.yData) : ys[c.y!]!;
      const x = c.xData !== undefined ? load(c.xData) : xAll;
      const history = await model.fit(x, y as Tensor, fitOptions(c.fit));
      expect(Object.keys(history.history)).toEqual(c.historyKeys);
      for (const k of c.historyKeys) expectClose(history.history[k]!, c.history[k]!, { ...TOL, message: `history.${k}` });
      const ws = model.getWeights();
      ws.forEach((w, i) => expectClose(w, shaped(c.weights[i]!), { ...TOL, message: `weight ${i}` }));
      for (const w of ws) w.dispose();
      if (c.evaluate !== undefined) {
        const ev = await model.evaluate(x, y as Tensor, { verbose: 0 });
        expectClose(typeof ev === 'number' ? [ev] : (ev as number[]), c.evaluate, { ...TOL, message: 'evaluate' });
      }
      if (c.evaluateDict !== undefined) {
        const ev = (await model.evaluate(x, y as Tensor, { verbose: 0, returnDict: true })) as Record<string, number>;
        expect(Object.keys(ev).sort()).toEqual(Object.keys(c.evaluateDict).sort());
        for (const [k, v] of Object.entries(c.evaluateDict)) expectClose(ev[k]!, v, { ...TOL, message: `evaluate.${k}` });
      }
      if (c.predict !== undefined) {
        const p = (await model.predict(x.narrow(0, 0, 5), { verbose: 0 })) as Tensor[];
        p.forEach((t, i) => expectClose(t, shaped(c.predict![i]!), { ...TOL, message: `predict ${i}` }));
        for (const t of p) t.dispose();
      }
    });
  }
});

describe('learning-rate schedules vs Keras', () => {
  const sched = readFixture<{ cases: { spec: { className: string; config: Record<string, unknown> }; values: number[] }[] }>('keras_schedules.json');
  for (const c of sched.cases) {
    it(`${c.spec.className} ${JSON.stringify(c.spec.config)}`, () => {
      const opt = keras.optimizers.get({ className: 'SGD', config: { learningRate: c.spec } });
      const s = opt.schedule!;
      expectClose(c.values.map((_, step) => s.call(step)), c.values, { atol: 1e-8, rtol: 1e-6 });
    });
  }
});
