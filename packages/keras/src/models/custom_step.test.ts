/**
 * What a port of Keras's guides needs from Model: `new Model(inputs, outputs)`,
 * overridable `trainStep` / `testStep`, `computeLoss`, `metrics`,
 * `trainableVariables`, training on `addLoss` alone, and typed errors.
 */
import { describe, expect, it } from 'vitest';
import { grad, memory, rand, tensor, type Tensor } from '@duet/core';
import * as keras from '../index.js';

const functional = () => {
  const inputs = keras.Input({ shape: [4] });
  return { inputs, outputs: new keras.layers.Dense(1).apply(inputs) };
};

describe('new keras.Model(inputs, outputs)', () => {
  it('is the options form, positionally', () => {
    const { inputs, outputs } = functional();
    const m = new keras.Model(inputs, outputs, { name: 'positional' });
    expect(m.name).toBe('positional');
    expect(m.isFunctional).toBe(true);
    expect(m.apply(rand([2, 4])).shape).toEqual([2, 1]);
  });
  it('a non-symbolic first argument with outputs is a KerasValueError', () => {
    const { outputs } = functional();
    expect(() => new keras.Model(rand([2]) as unknown as keras.KerasTensor, outputs)).toThrow(/`inputs` must be KerasTensors/);
  });
});

describe('trainStep / testStep overrides', () => {
  class Counting extends keras.Model {
    steps = 0;
    override trainStep(data: keras.StepData) {
      const [x, y] = data;
      const yPred = this.apply(x, { training: true });
      const loss = this.computeLoss({ y, yPred });
      const gradients = grad(loss, this.trainableVariables);
      this.optimizer!.apply(gradients, this.trainableVariables);
      this.steps++;
      return { loss, steps: this.steps };
    }
  }

  it('fit calls the override each batch; its returned logs (Tensors read) are the epoch\'s', async () => {
    const { inputs, outputs } = functional();
    const m = new Counting(inputs, outputs);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const seen: Record<string, number>[] = [];
    const cb = new keras.callbacks.LambdaCallback({ onTrainBatchEnd: (_b, logs) => void seen.push({ ...logs }) });
    const h = await m.fit(rand([40, 4]), rand([40, 1]), { batchSize: 10, epochs: 2, verbose: 0, callbacks: [cb] });
    expect(m.steps).toBe(8);
    expect(h.history.steps).toEqual([4, 8]);
    expect(typeof seen[0]!.loss).toBe('number');
    expect(seen).toHaveLength(8);
  });

  it('trainOnBatch / testOnBatch return what the overridden step returned', () => {
    class Fixed extends keras.Model {
      override trainStep() {
        return { a: 1, b: tensor(2) };
      }
      override testStep() {
        return { c: 3 };
      }
    }
    const { inputs, outputs } = functional();
    const m = new Fixed(inputs, outputs);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(m.trainOnBatch(rand([2, 4]), rand([2, 1]), { returnDict: true })).toEqual({ a: 1, b: 2 });
    expect(m.trainOnBatch(rand([2, 4]), rand([2, 1]))).toEqual([1, 2]);
    expect(m.testOnBatch(rand([2, 4]), rand([2, 1]))).toBe(3);
  });

  it('data is [x], [x, y] or [x, y, sampleWeight]; classWeight arrives as sample weights', async () => {
    const got: number[] = [];
    class Peek extends keras.Model {
      override trainStep(data: keras.StepData) {
        got.push(data.length);
        if (data.length === 3) expect(data[2]!.toArray()).toEqual([2, 1]);
        return {};
      }
    }
    const { inputs, outputs } = functional();
    const m = new Peek(inputs, outputs);
    m.compile({ optimizer: 'sgd' });
    await m.fit(rand([2, 4]), undefined, { verbose: 0, shuffle: false });
    await m.fit(rand([2, 4]), rand([2, 1]), { verbose: 0, shuffle: false });
    await m.fit(rand([2, 4]), tensor([0, 1], { dtype: 'int32' }), { verbose: 0, shuffle: false, classWeight: { 0: 2, 1: 1 } });
    expect(got).toEqual([1, 2, 3]);
  });

  it('model.metrics: the loss tracker and the compiled metrics; resetMetrics resets them', () => {
    const { inputs, outputs } = functional();
    const m = new keras.Model(inputs, outputs);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    expect(m.metrics.map((x) => x.name)).toEqual(['loss', 'compile_metrics']);
    const [loss, compiled] = m.metrics;
    loss!.updateState(tensor(2));
    compiled!.updateState(tensor([[1], [2]]), tensor([[0], [0]]));
    expect(m.metrics.map((x) => x.name)).toEqual(['loss', 'mae']);
    expect(m.metrics.map((x) => x.result())).toEqual([2, 1.5]);
    m.resetMetrics();
    expect(m.metrics.map((x) => x.result())).toEqual([0, 0]);
    expect(() => compiled!.result()).toThrow(keras.NotReadyError);
  });

  it('computeLoss adds the layers\' losses; without any loss it says what to do', () => {
    const { inputs, outputs } = functional();
    const m = new keras.Model(inputs, outputs);
    m.compile({ optimizer: 'sgd' });
    expect(() => m.computeLoss({ y: rand([2, 1]), yPred: m.apply(rand([2, 4])) })).toThrow(/No loss to compute.*addLoss/);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(() => m.computeLoss({ yPred: m.apply(rand([2, 4])) })).toThrow(/needs targets/);
    expect(m.computeLoss({ y: tensor([[1], [1]]), yPred: tensor([[0], [2]]) }).item()).toBe(1);
  });

  it('an overridden testStep gives evaluate its values, in its order', async () => {
    class Eval extends keras.Model {
      override testStep() {
        return { b: 2, a: 1 };
      }
    }
    const { inputs, outputs } = functional();
    const m = new Eval(inputs, outputs);
    m.compile({ loss: 'mse' });
    expect(await m.evaluate(rand([4, 4]), rand([4, 1]), { verbose: 0 })).toEqual([2, 1]);
  });

  it('optimizer.apply skips null gradients (a variable the loss does not use)', () => {
    const a = new keras.layers.Dense(1);
    a.apply(rand([1, 2]));
    const before = a.getWeights().map((w) => w.toArray());
    const opt = new keras.optimizers.SGD({ learningRate: 1 });
    const [dk, db] = grad(a.kernel!.sum(), a.trainableWeights);
    expect(db).toBeNull();
    opt.apply([dk!, db!], a.trainableWeights);
    const after = a.getWeights().map((w) => w.toArray());
    expect(after[1]).toEqual(before[1]);
    expect(after[0]).not.toEqual(before[0]);
  });

  it('a model without trainable weights trains on its addLoss loss without error, and leaks nothing', async () => {
    class AddsLoss extends keras.layers.Layer {
      override call(x: Tensor) {
        this.addLoss(x.mean());
        return x;
      }
    }
    const inputs = keras.Input({ shape: [3] });
    const m = new keras.Model(inputs, new AddsLoss().apply(inputs));
    m.compile({ optimizer: 'adam' });
    const x = tensor([[1, 2, 3]]);
    await m.fit(x, undefined, { verbose: 0, epochs: 2 }); // warm-up: the step boundaries keep the last two steps' tensors
    const before = memory().numTensors;
    const h = await m.fit(x, undefined, { verbose: 0, epochs: 2 });
    expect(h.history.loss).toEqual([2, 2]);
    expect(memory().numTensors).toBe(before);
  });
});

describe('Variable.assignAdd / assignSub', () => {
  it('update in place, broadcasting; a shape that does not fit is a KerasValueError', () => {
    const l = new keras.layers.Dense(2);
    l.apply(rand([1, 2]));
    l.bias!.assignAdd([1, 2]).assignSub(0.5);
    expect(l.bias!.toArray()).toEqual([0.5, 1.5]);
    expect(() => l.bias!.assignAdd([1, 2, 3])).toThrow(/assign_add.*variable.shape=\(2,\)/);
  });
});

describe('Layer.fromConfig with a positional constructor', () => {
  it('is a KerasValueError that says to override fromConfig', () => {
    class Positional extends keras.layers.Layer {
      constructor(readonly units = 32) {
        super();
      }
      override getConfig() {
        return { units: this.units };
      }
    }
    expect(() => Positional.fromConfig({ units: 4 })).toThrow(/stored it as `units`.*return new Positional\(config.units, config\)/);
  });
});

describe('callbacks get Keras\'s logs', () => {
  it('an empty object where Keras passes no values; { outputs } at the end of a predict batch', async () => {
    const seen: [string, string[]][] = [];
    class Keys extends keras.callbacks.Callback {
      override onTrainBegin(logs: keras.callbacks.Logs) { seen.push(['trainBegin', Object.keys(logs)]); }
      override onEpochBegin(_e: number, logs: keras.callbacks.Logs) { seen.push(['epochBegin', Object.keys(logs)]); }
      override onTrainBatchBegin(_b: number, logs: keras.callbacks.Logs) { seen.push(['batchBegin', Object.keys(logs)]); }
      override onPredictBatchEnd(_b: number, logs: keras.callbacks.PredictBatchLogs) {
        seen.push(['predictBatchEnd', Object.keys(logs)]);
        expect((logs.outputs as Tensor).shape).toEqual([2, 1]);
      }
    }
    const { inputs, outputs } = functional();
    const m = new keras.Model(inputs, outputs);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await m.fit(rand([2, 4]), rand([2, 1]), { verbose: 0, callbacks: [new Keys()] });
    await m.predict(rand([2, 4]), { verbose: 0, callbacks: [new Keys()] });
    expect(seen).toEqual([['trainBegin', []], ['epochBegin', []], ['batchBegin', []], ['predictBatchEnd', ['outputs']]]);
  });
});
