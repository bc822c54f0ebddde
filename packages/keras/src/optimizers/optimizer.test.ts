import { describe, expect, it } from 'vitest';
import { countKernels, customKernelStatus, manualSeed, randn, randint, zeros } from '@duet/core';
import * as keras from '../index.js';
import { trainStep } from '../trainers/train_step.js';

const O = keras.optimizers;

describe('optimizers', () => {
  it("resolve by name in any spelling, with Keras's defaults", () => {
    const cases: [string, typeof O.Optimizer, number][] = [
      ['adam', O.Adam, 0.001], ['Adam', O.Adam, 0.001], ['sgd', O.SGD, 0.01], ['SGD', O.SGD, 0.01], ['rmsprop', O.RMSprop, 0.001],
      ['RMSprop', O.RMSprop, 0.001], ['adagrad', O.Adagrad, 0.001], ['adamw', O.AdamW, 0.001], ['AdamW', O.AdamW, 0.001], ['nadam', O.Nadam, 0.001],
    ];
    for (const [name, cls, lr] of cases) {
      const o = O.get(name);
      expect(o).toBeInstanceOf(cls);
      expect(o.learningRate).toBeCloseTo(lr, 10);
    }
    const adam = O.get('adam') as InstanceType<typeof O.Adam>;
    expect([adam.beta1, adam.beta2, adam.epsilon, adam.amsgrad]).toEqual([0.9, 0.999, 1e-7, false]);
    expect((O.get('adamw') as InstanceType<typeof O.AdamW>).weightDecay).toBe(0.004);
    const rms = O.get('rmsprop') as InstanceType<typeof O.RMSprop>;
    expect([rms.rho, rms.momentum, rms.epsilon, rms.centered]).toEqual([0.9, 0, 1e-7, false]);
    expect((O.get('adagrad') as InstanceType<typeof O.Adagrad>).initialAccumulatorValue).toBe(0.1);
    expect(() => O.get('adamax')).toThrow(keras.UnknownIdentifierError);
  });

  it('validate their options', () => {
    expect(() => new O.SGD({ momentum: 2 })).toThrow('`momentum` must be a float between [0, 1]. Received: momentum=2');
    expect(() => new O.Adam({ learningRate: -1 })).toThrow('Received: learning_rate=-1');
    expect(() => new O.Adam({ clipnorm: 1, clipvalue: 1 })).toThrow('Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set');
    expect(() => new O.schedules.PiecewiseConstantDecay({ boundaries: [1, 2], values: [1] })).toThrow('The length of boundaries should be 1 less than the length of values');
  });

  it('ExponentialDecay / InverseTimeDecay take the initial rate positionally, as the guide writes ExponentialDecay(0.1, decay_steps=..., ...)', () => {
    const a = new O.schedules.ExponentialDecay(0.1, { decaySteps: 100000, decayRate: 0.96, staircase: true });
    const b = new O.schedules.ExponentialDecay(0.1, 100000, 0.96, { staircase: true });
    const c = new O.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100000, decayRate: 0.96, staircase: true });
    for (const s of [a, b]) expect(s.getConfig()).toEqual(c.getConfig());
    expect(new O.schedules.InverseTimeDecay(0.1, { decaySteps: 10, decayRate: 0.5 }).getConfig()).toMatchObject({ initialLearningRate: 0.1, decaySteps: 10 });
    expect(() => new O.schedules.ExponentialDecay(0.1, 10, undefined as unknown as number)).toThrow('Argument `decay_rate` must be a number');
    expect(() => new O.schedules.ExponentialDecay(0.1, { decaySteps: 0, decayRate: 0.5 })).toThrow('Argument `decay_steps` must be > 0');
    expect(() => new (O.schedules.ExponentialDecay as unknown as new (a: number) => unknown)(0.1)).toThrow(keras.KerasValueError);
  });

  it('round-trip their config, schedules included', () => {
    const o = new O.SGD({ learningRate: new O.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }), momentum: 0.9, nesterov: true });
    const back = O.get(keras.serialize('optimizer', o));
    expect(back.getConfig()).toEqual(o.getConfig());
    expect(back.schedule).toBeInstanceOf(O.schedules.ExponentialDecay);
  });

  it('apply one TensorFlow kernel per variable (SGD, momentum, RMSprop, Adagrad; Adam: one for all with Duet\'s kernels)', () => {
    for (const name of ['adam', 'sgd', 'rmsprop', 'adagrad']) {
      const o = O.get(name);
      const d = new keras.layers.Dense(3);
      d.build([null, 4]);
      const grads = [zeros([4, 3]), zeros([3])];
      o.apply(grads, d.trainableWeights);
      const expected = name === 'adam' && customKernelStatus().enabled ? 1 : 2;
      expect(countKernels(() => o.apply(grads, d.trainableWeights)).kernels).toBe(expected);
    }
    const m = new O.SGD({ momentum: 0.9 });
    const d = new keras.layers.Dense(3);
    d.build([null, 4]);
    const g = [zeros([4, 3]), zeros([3])];
    m.apply(g, d.trainableWeights);
    expect(countKernels(() => m.apply(g, d.trainableWeights)).byName).toEqual({ ResourceApplyKerasMomentum: 2 });
    expect(m.iterations).toBe(2);
  });
});

describe("the seed model's fit step", () => {
  it("runs the nn seed loop's fused kernels: at most 26 per step, one SparseSoftmaxCrossEntropyWithLogits, no softmax backward", () => {
    manualSeed(0);
    const model = new keras.Sequential([new keras.layers.Dense(128, { activation: 'relu' }), new keras.layers.Dense(10, { activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const x = randn([32, 784]);
    const y = randint(0, 10, [32]);
    const ctx = { variables: null, classWeights: null };
    for (let i = 0; i < 3; i++) trainStep(model, model.compiled!, { x, y, sampleWeight: null }, ctx);
    const k = countKernels(() => trainStep(model, model.compiled!, { x, y, sampleWeight: null }, ctx));
    expect(k.byName.SparseSoftmaxCrossEntropyWithLogits).toBe(1);
    // One DuetApplyAdam for the 4 weights when Duet's kernels are built, else one ResourceApplyAdam each.
    if (customKernelStatus().enabled) expect([k.byName.DuetApplyAdam, k.byName.ResourceApplyAdam ?? 0]).toEqual([1, 0]);
    else expect(k.byName.ResourceApplyAdam).toBe(4);
    expect(k.byName.SoftmaxGrad ?? 0).toBe(0);
    expect(k.kernels).toBeLessThanOrEqual(26);
  });
});
