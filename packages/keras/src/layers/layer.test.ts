import { describe, expect, it } from 'vitest';
import { Tensor, manualSeed, memory, randn, tensor, zeros } from '@duet/core';
import * as keras from '../index.js';
import { KerasValueError, UnknownIdentifierError } from '../errors.js';
import { expectNoLeaks } from '../../../../test/helpers.js';

const { Dense, Dropout, Flatten } = keras.layers;

describe('Layer lifecycle', () => {
  it('names layers like Keras: snake_case class name, numbered', () => {
    keras.utils.clearSession();
    expect([new Dense(2).name, new Dense(2).name, new keras.layers.RepeatVector(2).name, new Dense(2, { name: 'head' }).name]).toEqual(['dense', 'dense_1', 'repeat_vector', 'head']);
  });

  it('validates constructor arguments with Keras messages', () => {
    expect(() => new Dense(-1)).toThrow(KerasValueError);
    expect(() => new Dense(-1)).toThrow('Received: units=-1');
    expect(() => new Dense(0.5)).toThrow('expected a positive integer');
    expect(() => new Dropout(1.5)).toThrow('Received: rate=1.5');
    expect(() => new Dense(3, { activation: 'nope' })).toThrow(UnknownIdentifierError);
    expect(() => new Dense(3, { kernelInitializer: 'nope' })).toThrow(/Could not interpret initializer identifier: "nope"/);
    try {
      new Dense(-1);
    } catch (e) {
      expect((e as KerasValueError).code).toBe('ERR_KERAS_VALUE');
    }
  });

  it('builds lazily on the first call, with a Keras-layout [in, out] kernel and a zero bias', () => {
    const d = new Dense(4);
    expect(d.built).toBe(false);
    expect(d.weights).toEqual([]);
    d.apply(randn([2, 3]));
    expect(d.built).toBe(true);
    expect(d.kernel.shape).toEqual([3, 4]);
    expect(d.bias!.toArray()).toEqual([0, 0, 0, 0]);
    expect(d.weights.map((w) => w.path)).toEqual([`${d.name}/kernel`, `${d.name}/bias`]);
    // glorot_uniform: |w| <= sqrt(6 / (3 + 4))
    expect(Math.max(...Array.from(d.kernel.dataSync(), Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 7));
  });

  it('accepts initializers by Python name, camelCase name, class name or instance', () => {
    for (const init of ['ones', 'Ones', new keras.initializers.Constant({ value: 1 })]) {
      const d = new Dense(2, { kernelInitializer: init });
      d.build([null, 3]);
      expect(d.kernel.toArray()).toEqual([[1, 1], [1, 1], [1, 1]]);
    }
    for (const name of ['glorot_uniform', 'glorotUniform', 'GlorotUniform', 'he_normal', 'heNormal', 'lecun_uniform', 'truncated_normal', 'random_normal', 'orthogonal', 'identity']) {
      expect(keras.initializers.get(name)).toBeInstanceOf(keras.initializers.Initializer);
    }
    manualSeed(1);
    const he = keras.initializers.get('he_normal').call([400, 300]);
    const std = Math.sqrt(Array.from(he.dataSync()).reduce((a, v) => a + v * v, 0) / he.numel());
    expect(std).toBeGreaterThan(Math.sqrt(2 / 400) * 0.9);
    expect(std).toBeLessThan(Math.sqrt(2 / 400) * 1.1);
    expect(Math.max(...Array.from(he.dataSync(), Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(2 / 400)) / 0.87962566103423978 + 1e-6);
    he.dispose();
  });

  it("checks inputs against the layer's InputSpec with Keras's message", () => {
    const d = new Dense(4, { name: 'dense_in' });
    d.apply(zeros([2, 3]));
    expect(() => d.apply(zeros([2, 5]))).toThrow(keras.IncompatibleInputError);
    expect(() => d.apply(zeros([2, 5]))).toThrow('Input 0 of layer "dense_in" is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (2, 5)');
    expect(() => new keras.layers.RepeatVector(2).apply(zeros([2, 3, 4]))).toThrow('expected ndim=2, found ndim=3. Full shape received: (2, 3, 4)');
  });

  it('getWeights / setWeights use Keras order and shapes, from tensors or nested arrays', () => {
    const d = new Dense(2);
    d.build([null, 3]);
    d.setWeights([[[1, 2], [3, 4], [5, 6]], [0.5, -0.5]]);
    const [k, b] = d.getWeights();
    expect(k!.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(b!.toArray()).toEqual([0.5, -0.5]);
    expect(d.apply(tensor([[1, 0, 0]])).toArray()).toEqual([[1.5, 1.5]]);
    expect(() => d.setWeights([k!])).toThrow('with a weight list of length 1, but the layer was expecting 2 weights');
    expect(() => d.setWeights([b!, k!])).toThrow('Layer dense');
    expect(() => d.setWeights([b!, k!])).toThrow('weight shape (3, 2) is not compatible with provided weight shape (2,)');
    k!.dispose();
    b!.dispose();
  });

  it('countParams needs a built layer', () => {
    const d = new Dense(2, { name: 'unbuilt' });
    expect(() => d.countParams()).toThrow("You tried to call `count_params` on layer 'unbuilt', but the layer isn't built");
    d.build([null, 5]);
    expect(d.countParams()).toBe(12);
  });

  it('trainable = false empties trainableWeights (and the model freezes its sublayers)', () => {
    const m = new keras.Sequential([keras.Input({ shape: [3] }), new Dense(2), new Dense(1)]);
    expect(m.trainableWeights.length).toBe(4);
    m.layers[0]!.trainable = false;
    expect(m.trainableWeights.length).toBe(2);
    expect(m.nonTrainableWeights.length).toBe(2);
    m.trainable = false;
    expect(m.trainableWeights.length).toBe(0);
    expect(m.layers.every((l) => !l.trainable)).toBe(true);
  });

  it('regularizers add their penalty to layer.losses; constraints project after updates', () => {
    const d = new Dense(2, { kernelRegularizer: keras.regularizers.l2(0.1), biasRegularizer: 'l1', kernelConstraint: 'non_neg' });
    d.build([null, 2]);
    d.setWeights([[[1, -2], [3, 0]], [1, -1]]);
    const losses = d.losses.map((t) => t.item());
    expect(losses[0]).toBeCloseTo(0.1 * 14, 5);
    expect(losses[1]).toBeCloseTo(0.01 * 2, 6);
    const opt = new keras.optimizers.SGD({ learningRate: 0 });
    opt.apply([zeros([2, 2]), zeros([2])], d.trainableWeights);
    expect((d.kernel.toArray() as number[][]).map((r) => r.map((v) => v + 0))).toEqual([[1, 0], [3, 0]]);
  });

  it('Dropout follows the training flag of the enclosing call (call context)', () => {
    class M extends keras.Model {
      drop = new Dropout(0.5);
      override call(x: Tensor): Tensor {
        return this.drop.apply(x) as Tensor;
      }
    }
    const m = new M();
    const x = tensor(new Array(1000).fill(1), { shape: [10, 100] });
    expect(m.apply(x).toArray()).toEqual(x.toArray());
    const y = Array.from((m.apply(x, { training: true }) as Tensor).dataSync());
    expect(new Set(y)).toEqual(new Set([0, 2]));
    expect(Array.from((m.apply(x, { training: false }) as Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('Flatten, Reshape, Permute and merge layers compute output shapes symbolically', () => {
    const a = keras.Input({ shape: [3, 4] });
    expect(new Flatten().apply(a).shape).toEqual([null, 12]);
    expect(new keras.layers.Reshape([-1, 2]).apply(a).shape).toEqual([null, 6, 2]);
    expect(new keras.layers.Permute([2, 1]).apply(a).shape).toEqual([null, 4, 3]);
    const b = keras.Input({ shape: [3, 2] });
    expect(new keras.layers.Concatenate().apply([a, b]).shape).toEqual([null, 3, 6]);
    expect(() => new keras.layers.Add().apply([a, b])).toThrow('Inputs have incompatible shapes');
    expect(new keras.layers.Lambda((x: Tensor) => x.sum(-1)).apply(a).shape).toEqual([null, 3]);
    const ids = keras.Input({ shape: [2, 3], dtype: 'int32' });
    expect(new Flatten().apply(ids).dtype).toBe('int32');
    expect(new Dense(2).apply(new Flatten().apply(ids)).dtype).toBe('float32');
  });

  it('the merge layers\' functional forms (layers.concatenate([x1, x2]), layers.add, layers.dot) build and apply the layer', () => {
    const a = keras.Input({ shape: [3] });
    const b = keras.Input({ shape: [2] });
    const c = keras.layers.concatenate([a, b]);
    expect(c.shape).toEqual([null, 5]);
    expect(c.kerasHistory!.layer).toBeInstanceOf(keras.layers.Concatenate);
    const m = new keras.Model([a, b], keras.layers.concatenate([a, b], { axis: 1, name: 'joined' }));
    expect(m.getLayer('joined')).toBeInstanceOf(keras.layers.Concatenate);
    const x = tensor([[1, 2]]);
    const y = tensor([[3, 4]]);
    expect(keras.layers.add([x, y]).toArray()).toEqual([[4, 6]]);
    expect(keras.layers.subtract([x, y]).toArray()).toEqual([[-2, -2]]);
    expect(keras.layers.multiply([x, y]).toArray()).toEqual([[3, 8]]);
    expect(keras.layers.average([x, y]).toArray()).toEqual([[2, 3]]);
    expect(keras.layers.maximum([x, y]).toArray()).toEqual([[3, 4]]);
    expect(keras.layers.minimum([x, y]).toArray()).toEqual([[1, 2]]);
    expect(keras.layers.dot([x, y]).toArray()).toEqual([[11]]);
    expect(keras.layers.concatenate([x, y]).toArray()).toEqual([[1, 2, 3, 4]]);
  });

  it('layers in training mode (Dropout, noiseShape) and Lambda leak nothing', () => {
    const x = randn([4, 5, 6]);
    const layers: keras.Layer[] = [new Dropout(0.5), new Dropout(0.3, { noiseShape: [null, 1, null] }), new keras.layers.Lambda((t: Tensor) => t.square().sum(-1))];
    for (const l of layers) expectNoLeaks(() => void l.apply(x, { training: true }), `${l.constructor.name} leaked`);
    const before = memory().numTensors;
    layers.forEach((l) => l.apply(x, { training: true }));
    expect(memory().numTensors).toBeGreaterThan(before); // results outside a scope are real tensors (freed at the next step boundaries)
  });
});

describe('getConfig / fromConfig', () => {
  const layers: keras.Layer[] = [
    new Dense(3, { activation: 'relu', useBias: false, kernelInitializer: 'he_normal', kernelRegularizer: keras.regularizers.l1L2({ l1: 0.1 }), kernelConstraint: keras.constraints.maxNorm({ maxValue: 3 }) }),
    new keras.layers.Activation('softmax'), new Dropout(0.3, { noiseShape: [null, 1] }), new Flatten(), new keras.layers.Reshape([2, -1]),
    new keras.layers.Permute([2, 1]), new keras.layers.RepeatVector(4), new keras.layers.Rescaling(0.5, { offset: 1 }), new keras.layers.Add(),
    new keras.layers.Subtract(), new keras.layers.Multiply(), new keras.layers.Average(), new keras.layers.Maximum(), new keras.layers.Minimum(),
    new keras.layers.Concatenate({ axis: 1 }), new keras.layers.Dot([1, 2], { normalize: true }),
    new keras.layers.ReLU({ maxValue: 6, negativeSlope: 0.1, threshold: 0.5 }), new keras.layers.Softmax({ axis: [1, 2] }), new keras.layers.LeakyReLU({ negativeSlope: 0.1 }),
    new keras.layers.ELU({ alpha: 0.5 }), new keras.layers.Embedding(20, 3, { embeddingsInitializer: 'he_uniform' }), new keras.layers.PReLU({ sharedAxes: [1, 2], alphaInitializer: 'ones', alphaConstraint: 'non_neg' }),
  ];
  for (const l of layers) {
    it(`${l.constructor.name} round-trips through the registry`, () => {
      const s = keras.serialize('layer', l);
      expect(s.className).toBe(l.constructor.name);
      const back = keras.deserialize<keras.Layer>('layer', JSON.parse(JSON.stringify(s)));
      expect(back).toBeInstanceOf(l.constructor);
      expect(back.getConfig()).toEqual(l.getConfig());
    });
  }
  it('Sequential round-trips with its layers', () => {
    const m = new keras.Sequential([keras.Input({ shape: [4] }), new Dense(3), new Dense(2, { activation: 'sigmoid' })], { name: 'seq_cfg' });
    const back = keras.deserialize<keras.Sequential>('layer', JSON.parse(JSON.stringify(keras.serialize('layer', m))));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(back.countParams()).toBe(m.countParams());
  });
  it('unknown class names fail with the list of known ones', () => {
    expect(() => keras.deserialize('layer', { className: 'Dense3000', config: {} })).toThrow(/Could not interpret layer identifier: "Dense3000". Known layers: .*Dense/);
  });
});

describe('losses of the last call (Keras: reset at the start of the outermost call)', () => {
  it('a sublayer not called this time no longer contributes its old loss', () => {
    class AddsSum extends keras.layers.Layer {
      override call(x: Tensor) {
        this.addLoss(x.sum());
        return x;
      }
    }
    class Sometimes extends keras.layers.Layer {
      inner = new AddsSum();
      useInner = true;
      override call(x: Tensor) {
        return this.useInner ? this.inner.apply(x) : x;
      }
    }
    const outer = new Sometimes();
    outer.apply(tensor([[1, 1]]));
    expect(outer.losses.map((l) => l.item())).toEqual([2]);
    outer.useInner = false;
    outer.apply(tensor([[1, 1]]));
    expect(outer.losses).toEqual([]);
  });
});
