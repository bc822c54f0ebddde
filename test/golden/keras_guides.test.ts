/**
 * The ported Keras guides (examples/keras-guides/) against Keras 3.15
 * (gen_keras_guides.py): the guides' own classes, run from the fixture's
 * weights and data, give Keras's numbers.
 */
import { describe, expect, it } from 'vitest';
import { memory, tensor, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { ActivityRegularizationLayer, ComputeSum, MLPBlock, OuterLayer, OuterLayerWithKernelRegularizer } from '../../examples/keras-guides/subclassing.js';
import { CustomModel, EvalCustomModel, LowLevelCustomModel, WeightedCustomModel } from '../../examples/keras-guides/custom-train-step.js';
import { main as callbacksGuide } from '../../examples/keras-guides/callbacks.js';
import { load, readFixture, type Stored } from './keras_fixtures.js';

interface Fixture {
  subclassing: {
    sums: number[][];
    counts: Record<string, number>;
    lossLengths: number[];
    activityInput: Stored;
    activityLoss: number;
    kernel: Stored;
    kernelRegularization: number;
    addLossOnly: { x: Stored; loss: number };
  };
  customTrainStep: {
    kernel: Stored; x: Stored; y: Stored; sw: Stored;
    simple: Record<string, number[]>;
    lowLevel: Record<string, number[]>;
    weighted: Record<string, number[]>;
    evaluate: number[];
  };
  callbacks: { keyLines: string[]; learningRates: number[] };
}

const F = readFixture<Fixture>('keras_guides.json');

const close = (got: number[], want: number[], tol = 2e-5) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(tol + tol * 10 * Math.abs(want[i]!)));
};

describe('Making new layers and models via subclassing (Keras 3.15)', () => {
  const S = F.subclassing;
  it('non-trainable weights: ComputeSum adds up its inputs; the weight counts', () => {
    const mySum = new ComputeSum(2);
    const x = keras.ops.ones([2, 2]);
    expect([mySum.apply(x).toArray(), mySum.apply(x).toArray()]).toEqual(S.sums);
    const mlp = new MLPBlock();
    mlp.apply(keras.ops.ones([3, 64]));
    expect({
      weights: mySum.weights.length, nonTrainableWeights: mySum.nonTrainableWeights.length, trainableWeights: mySum.trainableWeights.length,
      mlpWeights: mlp.weights.length, mlpTrainableWeights: mlp.trainableWeights.length,
    }).toEqual(S.counts);
  });

  it('addLoss: losses reset at each call, their values; a kernel regularizer\'s penalty', () => {
    const layer = new OuterLayer();
    const lengths = [layer.losses.length];
    const x = load(S.activityInput);
    layer.apply(x);
    lengths.push(layer.losses.length);
    layer.apply(x);
    lengths.push(layer.losses.length);
    expect(lengths).toEqual(S.lossLengths);
    close([layer.losses[0]!.item()], [S.activityLoss], 1e-7);
    const reg = new OuterLayerWithKernelRegularizer();
    reg.apply(keras.ops.zeros([1, 1]));
    reg.dense.kernel!.assign(load(S.kernel));
    close([reg.losses[0]!.item()], [S.kernelRegularization], 1e-7);
  });

  it('a model compiled without a loss trains on its addLoss losses (positional keras.Model(inputs, outputs))', async () => {
    const inputs = keras.Input({ shape: [3] });
    const model = new keras.Model(inputs, new ActivityRegularizationLayer().apply(inputs));
    model.compile({ optimizer: 'adam' });
    const h = await model.fit(load(S.addLossOnly.x), tensor([[0, 0, 0], [0, 0, 0]]), { verbose: 0 });
    close(h.history.loss!, [S.addLossOnly.loss], 1e-7);
    // And with no targets at all.
    const h2 = await model.fit(load(S.addLossOnly.x), undefined, { verbose: 0 });
    close(h2.history.loss!, [S.addLossOnly.loss], 1e-7);
  });
});

describe('Customizing what happens in fit() (Keras 3.15, TensorFlow backend)', () => {
  const C = F.customTrainStep;
  const make = <M extends keras.Model>(Cls: new (i: keras.KerasTensor, o: keras.KerasTensor) => M): M => {
    const inputs = keras.Input({ shape: [32] });
    const outputs = new keras.layers.Dense(1).apply(inputs);
    const m = new Cls(inputs, outputs);
    m.layers[1]!.setWeights([load(C.kernel), [0]]);
    return m;
  };
  const x = load(C.x);
  const y = load(C.y);

  it('trainStep with computeLoss, grad and model.metrics', async () => {
    const m = make(CustomModel);
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const h = await m.fit(x, y, { epochs: 3, shuffle: false, verbose: 0 });
    close(h.history.loss!, C.simple.loss!);
    close(h.history.mae!, C.simple.mae!);
  });

  it('its own metrics, listed by overriding the metrics getter (reset every epoch)', async () => {
    const m = make(LowLevelCustomModel);
    m.compile({ optimizer: 'adam' });
    const h = await m.fit(x, y, { epochs: 5, shuffle: false, verbose: 0 });
    close(h.history.loss!, C.lowLevel.loss!);
    close(h.history.mae!, C.lowLevel.mae!);
  });

  it('sample weights reach trainStep as data[2]', async () => {
    const m = make(WeightedCustomModel);
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const h = await m.fit(x, y, { sampleWeight: load(C.sw), epochs: 3, shuffle: false, verbose: 0 });
    close(h.history.loss!, C.weighted.loss!);
    close(h.history.mae!, C.weighted.mae!);
  });

  it('testStep drives evaluate', async () => {
    const m = make(EvalCustomModel);
    m.compile({ loss: 'mse', metrics: ['mae'] });
    close(await m.evaluate(x, y, { verbose: 0 }) as number[], C.evaluate);
  });

  it('a fit with an overridden trainStep leaks no native tensors', async () => {
    const m = make(CustomModel);
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    const before = memory().numTensors;
    await m.fit(x, y, { epochs: 2, verbose: 0 });
    expect(memory().numTensors).toBe(before);
  });
});

describe('Writing your own callbacks (Keras 3.15)', () => {
  it('every hook, with the log keys Keras gives it; the learning rates the scheduler sets', async () => {
    const r = await callbacksGuide({ epochs: 1, quick: true, limit: 1000 }, () => {});
    const C = F.callbacks;
    expect(r.lines.slice(0, C.keyLines.length)).toEqual(C.keyLines);
    close(r.learningRates, C.learningRates, 1e-8);
    expect(r.earlyStoppingEpochs).toBeLessThan(30);
  }, 60_000);
});

export type { Tensor };
