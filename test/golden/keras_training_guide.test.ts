/**
 * The port of Keras's guide "Training & evaluation with the built-in
 * methods" (examples/keras-guides/training-with-built-in-methods.ts) against
 * Keras 3.15 (gen_keras_training_guide.py): the guide's models, custom
 * losses, custom metric, addLoss layers, weighting, multi-output compiles and
 * learning-rate schedule, run unshuffled from the weights and data both sides
 * compute from one integer pattern, give Keras's logs.
 */
import { describe, expect, it } from 'vitest';
import { memory, randint, randn, scope, tensor, type Tensor } from '@duet/core';
import { DataLoader, TensorDataset } from '@duet/data';
import * as keras from '@duet/keras';
import { layers, ops } from '@duet/keras';
import {
  ActivityRegularizationLayer, CategoricalTruePositives, CustomMSE, LogisticEndpoint, customMeanSquaredError, getCompiledModel, getMultiInputMultiOutputModel, getUncompiledModel,
} from '../../examples/keras-guides/training-with-built-in-methods.js';
import { readFixture } from './keras_fixtures.js';

type History = Record<string, number[]>;
interface Fixture {
  weightShapes: number[][];
  multiWeightShapes: number[][];
  overview: History;
  overviewEvaluate: number[];
  customLossFunction: History;
  customLossClass: History;
  customMetric: History;
  activityRegularization: History;
  logisticEndpoint: History;
  validationSplit: History;
  classWeight: History;
  sampleWeight: History;
  lossWeights: History;
  listMetrics: History;
  listLossWithNone: History;
  multiLists: History;
  multiDicts: History;
  schedule: { steps: number[]; rates: number[] };
}

const F = readFixture<Fixture>('keras_training_guide.json');

/** gen_keras_training_guide.py's `pattern`: values in [lo, hi] from integers, the same float32 on both sides. */
function pattern(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) v[k] = lo + (hi - lo) * (((k * 7919 + seed * 104729) % 2003) / 2002);
  return tensor(v, { shape });
}
/** gen_keras_training_guide.py's `labels` (float32, as the guide's y_train.astype("float32")). */
function labels(n: number, seed: number): Tensor {
  return tensor(Float32Array.from({ length: n }, (_, k) => (k * 7 + seed * 3 + Math.floor(k / 10)) % 10));
}
function setPatternWeights(model: keras.Model, seed: number, lo = -0.1, hi = 0.1): void {
  model.setWeights(model.getWeights().map((w, i) => pattern([...w.shape], seed + i, lo, hi)));
}

const close = (got: History, want: History, tol = 2e-5) => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    expect(got[k]).toHaveLength(w.length);
    w.forEach((v, i) => expect(Math.abs(got[k]![i]! - v), `${k}[${i}]: ${got[k]![i]} vs ${v}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
  }
};

const n = 256;
const held = 64;
const xTrain = pattern([n, 784], 1, 0, 1);
const yTrain = labels(n, 1);
const xVal = pattern([held, 784], 2, 0, 1);
const yVal = labels(held, 2);
const fitArgs = { batchSize: 64, epochs: 1, shuffle: false, verbose: 0 } as const;

function fresh(compile: keras.CompileOptions): keras.Model {
  const m = getUncompiledModel();
  setPatternWeights(m, 10);
  m.compile(compile);
  return m;
}
function compiled(): keras.Model {
  const m = getCompiledModel();
  setPatternWeights(m, 10);
  return m;
}

describe('Training & evaluation with the built-in methods (Keras 3.15)', () => {
  it('the guide\'s model has Keras\'s weights in Keras\'s order; fit with validationData, evaluate', async () => {
    const model = getUncompiledModel();
    expect(model.getWeights().map((w) => [...w.shape])).toEqual(F.weightShapes);
    setPatternWeights(model, 10);
    model.compile({ optimizer: new keras.optimizers.RMSprop(), loss: new keras.losses.SparseCategoricalCrossentropy(), metrics: [new keras.metrics.SparseCategoricalAccuracy()] });
    close((await model.fit(xTrain, yTrain, { ...fitArgs, epochs: 2, validationData: [xVal, yVal] })).history, F.overview);
    const r = await model.evaluate(xVal, yVal, { batchSize: 128, verbose: 0 }) as number[];
    close({ r }, { r: F.overviewEvaluate });
  });

  it('custom losses: a function and a Loss subclass, on ops.oneHot targets', async () => {
    const yOneHot = ops.oneHot(yTrain, 10);
    close((await fresh({ optimizer: new keras.optimizers.Adam(), loss: customMeanSquaredError }).fit(xTrain, yOneHot, fitArgs)).history, F.customLossFunction);
    close((await fresh({ optimizer: new keras.optimizers.Adam(), loss: new CustomMSE() }).fit(xTrain, yOneHot, fitArgs)).history, F.customLossClass);
  });

  it('the custom metric CategoricalTruePositives, reset every epoch', async () => {
    const m = fresh({ optimizer: new keras.optimizers.RMSprop({ learningRate: 1e-3 }), loss: new keras.losses.SparseCategoricalCrossentropy(), metrics: [new CategoricalTruePositives()] });
    close((await m.fit(xTrain, yTrain, { ...fitArgs, epochs: 2 })).history, F.customMetric);
  });

  it('addLoss in a layer (activity regularization) and the LogisticEndpoint model compiled without a loss', async () => {
    const inputs = keras.Input({ shape: [784], name: 'digits' });
    let x = new layers.Dense(64, { activation: 'relu', name: 'dense_1' }).apply(inputs);
    x = new ActivityRegularizationLayer().apply(x);
    x = new layers.Dense(64, { activation: 'relu', name: 'dense_2' }).apply(x);
    const outputs = new layers.Dense(10, { name: 'predictions' }).apply(x);
    let model = new keras.Model({ inputs, outputs });
    setPatternWeights(model, 10);
    model.compile({ optimizer: new keras.optimizers.RMSprop({ learningRate: 1e-3 }), loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    close((await model.fit(xTrain, yTrain, fitArgs)).history, F.activityRegularization);

    const inputs2 = keras.Input({ shape: [3], name: 'inputs' });
    const targets = keras.Input({ shape: [10], name: 'targets' });
    const logits = new keras.layers.Dense(10).apply(inputs2);
    const predictions = new LogisticEndpoint({ name: 'predictions' }).apply([targets, logits]);
    model = new keras.Model({ inputs: [inputs2, targets], outputs: predictions });
    setPatternWeights(model, 20);
    model.compile({ optimizer: 'adam' });
    const data = { inputs: pattern([3, 3], 3, 0, 1), targets: pattern([3, 10], 4, 0, 1) };
    close((await model.fit(data, undefined, { shuffle: false, verbose: 0 })).history, F.logisticEndpoint);
  });

  it('validationSplit holds out the last 20%; classWeight and sampleWeight weigh class 5 twice', async () => {
    close((await compiled().fit(xTrain, yTrain, { ...fitArgs, validationSplit: 0.2 })).history, F.validationSplit);
    const classWeight = { 0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0 };
    close((await compiled().fit(xTrain, yTrain, { ...fitArgs, classWeight })).history, F.classWeight);
    let sampleWeight = ops.ones([yTrain.shape[0]!]);
    sampleWeight = ops.where(ops.equal(yTrain, 5), 2.0, sampleWeight);
    close((await compiled().fit(xTrain, yTrain, { ...fitArgs, sampleWeight })).history, F.sampleWeight);
    // The same weights as the third element of a dataset's batches.
    const ds = new DataLoader(new TensorDataset(xTrain, yTrain, sampleWeight), { batchSize: 64 });
    close((await compiled().fit(ds, { epochs: 1, verbose: 0 })).history, F.sampleWeight);
  });

  it('multi-input, multi-output: losses and metrics as lists and dicts, lossWeights, a null loss, fit on lists and dicts', async () => {
    const multiModel = (): keras.Model => {
      const m = getMultiInputMultiOutputModel();
      m.setWeights(m.getWeights().map((w, i) => pattern([...w.shape], 30 + i, -0.3, 0.3)));
      return m;
    };
    expect(multiModel().getWeights().map((w) => [...w.shape])).toEqual(F.multiWeightShapes);
    const imgData = pattern([100, 32, 32, 3], 5, 0, 1);
    const tsData = pattern([100, 20, 10], 6, 0, 1);
    const scoreTargets = pattern([100, 1], 7, 0, 1);
    const classTargets = pattern([100, 5], 8, 0, 1);
    const mse = () => new keras.losses.MeanSquaredError();
    const cce = () => new keras.losses.CategoricalCrossentropy();
    const compiles: Record<string, keras.CompileOptions> = {
      lossWeights: {
        loss: { score_output: mse(), class_output: cce() },
        metrics: { score_output: [new keras.metrics.MeanAbsolutePercentageError(), new keras.metrics.MeanAbsoluteError()], class_output: [new keras.metrics.CategoricalAccuracy()] },
        lossWeights: { score_output: 2.0, class_output: 1.0 },
      },
      listMetrics: {
        loss: [mse(), cce()],
        metrics: [[new keras.metrics.MeanAbsolutePercentageError(), new keras.metrics.MeanAbsoluteError()], [new keras.metrics.CategoricalAccuracy()]],
      },
      listLossWithNone: { loss: [null, cce()] },
      multiLists: { loss: [mse(), cce()] },
    };
    for (const [name, c] of Object.entries(compiles)) {
      const model = multiModel();
      model.compile({ optimizer: new keras.optimizers.RMSprop({ learningRate: 1e-3 }), ...c });
      const h = await model.fit([imgData, tsData], [scoreTargets, classTargets], { batchSize: 32, epochs: 1, shuffle: false, verbose: 0 });
      close(h.history, F[name as keyof Fixture] as History, 5e-5);
    }
    const model = multiModel();
    model.compile({ optimizer: new keras.optimizers.RMSprop({ learningRate: 1e-3 }), loss: [mse(), cce()] });
    const h = await model.fit(
      { img_input: imgData, ts_input: tsData },
      { score_output: scoreTargets, class_output: classTargets },
      { batchSize: 32, epochs: 1, shuffle: false, verbose: 0 },
    );
    close(h.history, F.multiDicts, 5e-5);
  }, 60_000);

  it('ExponentialDecay(0.1, { decaySteps: 100000, decayRate: 0.96, staircase: true }) gives Keras\'s rates', () => {
    const lrSchedule = new keras.optimizers.schedules.ExponentialDecay(0.1, { decaySteps: 100000, decayRate: 0.96, staircase: true });
    expect(F.schedule.steps.map((s) => lrSchedule.call(s))).toEqual(F.schedule.rates);
  });

  it('a fit of the guide\'s model with its custom metric leaks no native tensors', async () => {
    const m = fresh({ optimizer: 'rmsprop', loss: 'sparse_categorical_crossentropy', metrics: [new CategoricalTruePositives()] });
    await m.fit(xTrain, yTrain, { ...fitArgs, validationSplit: 0.2 });
    const before = memory().numTensors;
    await m.fit(xTrain, yTrain, { ...fitArgs, epochs: 2, validationSplit: 0.2 });
    await m.fit(xTrain, yTrain, { ...fitArgs, epochs: 2, validationSplit: 0.2 });
    expect(memory().numTensors).toBe(before);
  });
});

// The guide's metric, on its own (it needed Metric.addVariable, ops.equal and variable.assign).
describe('Metric.addVariable: the guide\'s CategoricalTruePositives, with its own state', () => {
  it('counts, resets, and is a compiled metric like any other', async () => {
    const yTrue = randint(0, 3, [20, 1]);
    const yPred = randn([20, 3]);
    const m = new CategoricalTruePositives();
    m.updateState(yTrue, yPred);
    const labels = yTrue.reshape([-1]).toArray() as number[];
    const argmax = yPred.argmax(1).toArray() as number[];
    const want = labels.filter((l, i) => l === argmax[i]).length;
    expect(m.result()).toBe(want);
    m.updateState(yTrue, yPred);
    expect(m.result()).toBe(2 * want);
    m.resetState();
    expect(m.result()).toBe(0);
    expect(m.variables.map((v) => v.path)).toEqual(['categorical_true_positives/ctp']);

    const model = new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense(3)]);
    model.compile({ optimizer: 'sgd', loss: new keras.losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: [new CategoricalTruePositives()] });
    const h = await model.fit(randn([16, 4]), randint(0, 3, [16, 1]), { batchSize: 8, verbose: 0, epochs: 2 });
    expect(h.history.categorical_true_positives).toHaveLength(2);
    for (const v of h.history.categorical_true_positives!) expect(Number.isInteger(v) && v >= 0 && v <= 16).toBe(true);
  });

  it('dispose frees the variables; updates leak nothing', () => {
    const m = new CategoricalTruePositives();
    const yTrue = randint(0, 3, [8, 1]);
    const yPred = randn([8, 3]);
    scope(() => m.updateState(yTrue, yPred));
    const before = memory().numTensors;
    scope(() => m.updateState(yTrue, yPred));
    m.resetState();
    expect(memory().numTensors).toBe(before);
    m.dispose();
    expect(m.truePositives.isDisposed).toBe(true);
  });
});
