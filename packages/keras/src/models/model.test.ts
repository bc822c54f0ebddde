import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tensor, randn, tensor, zeros } from '@duet/core';
import * as keras from '../index.js';

const { Dense, Concatenate } = keras.layers;

describe('Sequential', () => {
  it('add / pop, layers without the InputLayer, built once the input shape is known', () => {
    const m = new keras.Sequential([keras.Input({ shape: [8] })]);
    m.add(new Dense(4, { activation: 'relu' }));
    m.add(new Dense(2));
    expect(m.layers.map((l) => l.constructor.name)).toEqual(['Dense', 'Dense']);
    expect(m.built).toBe(true);
    expect(m.countParams()).toBe(8 * 4 + 4 + 4 * 2 + 2);
    expect(m.outputs[0]!.shape).toEqual([null, 2]);
    const last = m.pop();
    expect(last).toBeInstanceOf(Dense);
    expect(m.layers.length).toBe(1);
    expect(m.outputs[0]!.shape).toEqual([null, 4]);
    expect(() => m.add(new Dense(3, { name: m.layers[0]!.name }))).toThrow('should have unique names');
    expect(() => m.add('dense' as never)).toThrow('Only instances of `keras.Layer` can be added to a Sequential model');
  });

  it('infers the input shape at the first call', () => {
    const m = new keras.Sequential([new Dense(3), new Dense(1)]);
    expect(m.built).toBe(false);
    expect(m.apply(randn([5, 7])).shape).toEqual([5, 1]);
    expect(m.built).toBe(true);
    expect(m.layers[0]!.weights[0]!.shape).toEqual([7, 3]);
    expect(() => m.apply(randn([5, 6]))).toThrow(/expected shape=\(None, 7\), found shape=\(5, 6\)/);
  });

  it('takes a first layer inputShape (Keras 2 style)', () => {
    const m = new keras.Sequential([new Dense(3, { inputShape: [5] })]);
    expect(m.built).toBe(true);
    expect(m.countParams()).toBe(18);
  });

  it("prints Keras's summary table", () => {
    keras.utils.clearSession();
    const m = new keras.Sequential([keras.Input({ shape: [784] }), new Dense(128, { activation: 'relu' }), new Dense(10, { activation: 'softmax' })]);
    const lines: string[] = [];
    m.summary({ printFn: (s) => lines.push(s) });
    const golden = JSON.parse(readFileSync(new URL('../../../../test/golden/keras_summary.json', import.meta.url), 'utf8'));
    expect(lines.join('\n') + '\n').toBe((golden.seed as string).replace(/\n+$/, '\n'));
  });
});

describe("functional models' summary", () => {
  const golden = JSON.parse(readFileSync(new URL('../../../../test/golden/keras_summary.json', import.meta.url), 'utf8')) as Record<string, string>;
  const print = (m: keras.Model) => {
    const lines: string[] = [];
    m.summary({ printFn: (s) => lines.push(s) });
    return lines.join('\n') + '\n';
  };
  it('a chain: the plain table, input layer listed', () => {
    const x = keras.Input({ shape: [8], name: 'x' });
    const m = new keras.Model({ inputs: x, outputs: new Dense(2, { name: 'out' }).apply(new Dense(4, { activation: 'relu', name: 'hidden' }).apply(x)), name: 'chain' });
    expect(print(m)).toBe(golden.chain!.replace(/\n+$/, '\n'));
  });
  it('two inputs: Keras\'s layer order and "Connected to"', () => {
    const a = keras.Input({ shape: [4], name: 'a' });
    const b = keras.Input({ shape: [3], name: 'b' });
    const h = new Concatenate({ name: 'concatenate' }).apply([new Dense(2, { name: 'dense_a' }).apply(a), b]);
    expect(print(new keras.Model({ inputs: [a, b], outputs: h, name: 'two_inputs' }))).toBe(golden.two_inputs!.replace(/\n+$/, '\n'));
  });
  it('two outputs', () => {
    const f = keras.Input({ shape: [8], name: 'features' });
    const s = new Dense(6, { activation: 'relu', name: 'shared' }).apply(f);
    const m = new keras.Model({ inputs: f, outputs: [new Dense(3, { activation: 'softmax', name: 'cls' }).apply(s), new Dense(2, { name: 'reg' }).apply(s)], name: 'two_outputs' });
    expect(print(m)).toBe(golden.two_outputs!.replace(/\n+$/, '\n'));
  });
});

describe('functional Model', () => {
  it('several inputs and outputs, inputs by position or by name', () => {
    const a = keras.Input({ shape: [4], name: 'a' });
    const b = keras.Input({ shape: [3], name: 'b' });
    const h = new Concatenate().apply([new Dense(2, { name: 'da' }).apply(a), b]);
    const out1 = new Dense(1, { name: 'o1' }).apply(h);
    const out2 = new Dense(2, { name: 'o2', activation: 'softmax' }).apply(h);
    const m = new keras.Model({ inputs: [a, b], outputs: [out1, out2] });
    expect(m.layers.map((l) => l.name)).toEqual(['a', 'da', 'b', m.layers[3]!.name, 'o1', 'o2']);
    expect(m.outputNames).toEqual(['o1', 'o2']);
    const [y1, y2] = m.apply([randn([6, 4]), randn([6, 3])]) as unknown as Tensor[];
    expect(y1!.shape).toEqual([6, 1]);
    expect(y2!.shape).toEqual([6, 2]);
    const byName = m.apply({ a: randn([2, 4]), b: randn([2, 3]) } as never) as unknown as Tensor[];
    expect(byName[0]!.shape).toEqual([2, 1]);
    const reversed = m.apply({ b: randn([2, 3]), a: randn([2, 4]) } as never) as unknown as Tensor[];
    expect(reversed[1]!.shape).toEqual([2, 2]);
    expect(() => m.apply({ a: randn([2, 4]) } as never)).toThrow('Missing data for input(s) ["b"] of model');
    expect(m.getLayer('da')).toBeInstanceOf(Dense);
    expect(m.getLayer(4).name).toBe('o1');
    expect(() => m.getLayer('zz')).toThrow('No such layer: zz');
  });

  it('shares a layer applied twice (weights once) and nests models as layers', () => {
    const shared = new Dense(3, { name: 'shared_dense' });
    const x1 = keras.Input({ shape: [5] });
    const x2 = keras.Input({ shape: [5] });
    const inner = new keras.Sequential([keras.Input({ shape: [3] }), new Dense(2)]);
    const merged = new keras.layers.Add().apply([inner.apply(shared.apply(x1)), inner.apply(shared.apply(x2))]);
    const m = new keras.Model({ inputs: [x1, x2], outputs: merged });
    expect(m.weights.length).toBe(4);
    expect(m.countParams()).toBe(5 * 3 + 3 + 3 * 2 + 2);
    const v = randn([2, 5]);
    const y = m.apply([v, v]) as Tensor;
    const single = inner.apply(shared.apply(v)) as Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(single.mul(2).dataSync()));
  });

  it('fails on a disconnected graph', () => {
    const a = keras.Input({ shape: [2] });
    const b = keras.Input({ shape: [2] });
    const out = new keras.layers.Add().apply([a, b]);
    expect(() => new keras.Model({ inputs: a, outputs: out })).toThrow('Graph disconnected');
  });
});

describe('subclassed Model', () => {
  class TwoLayer extends keras.Model {
    dense1 = new Dense(8, { activation: 'relu' });
    dense2 = new Dense(3, { activation: 'softmax' });
    override call(inputs: Tensor, { training }: keras.layers.CallOptions): Tensor {
      return this.dense2.apply(this.dense1.apply(inputs, { training }));
    }
  }

  it('tracks layers set as properties and trains with fit', async () => {
    const m = new TwoLayer();
    expect(m.name).toBe('two_layer');
    expect(m.layers.length).toBe(2);
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const x = randn([40, 5]);
    const y = tensor(Array.from({ length: 40 }, (_, i) => i % 3), { dtype: 'int32' });
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['accuracy', 'loss']);
    expect(m.weights.length).toBe(4);
    expect(m.trainableWeights.length).toBe(4);
    const out = (await m.predict(x, { verbose: 0 })) as Tensor;
    expect(out.shape).toEqual([40, 3]);
    out.dispose();
  });

  it('a Model without graph or call says what to do', () => {
    expect(() => new keras.Model().apply(zeros([1, 2]))).toThrow('implement `call(inputs, { training })`');
  });
});

describe('functional getConfig / fromConfig', () => {
  it('rebuilds the same graph (shared layers, nested model, several inputs and outputs) with new layers', () => {
    const a = keras.Input({ shape: [4], name: 'cfg_a' });
    const b = keras.Input({ shape: [4], name: 'cfg_b' });
    const shared = new Dense(3, { name: 'cfg_shared', activation: 'tanh' });
    const inner = new keras.Sequential([keras.Input({ shape: [3] }), new Dense(2)], { name: 'cfg_inner' });
    const sum = new keras.layers.Add({ name: 'cfg_add' }).apply([inner.apply(shared.apply(a)), inner.apply(shared.apply(b))]);
    const other = new Dense(1, { name: 'cfg_other' }).apply(shared.apply(b));
    const m = new keras.Model({ inputs: { left: a, right: b }, outputs: [sum, other], name: 'cfg_model' });
    const config = JSON.parse(JSON.stringify(keras.serialize('layer', m)));
    expect(config.className).toBe('Model');
    expect(config.config.layers.find((l: { name: string }) => l.name === 'cfg_shared').inboundNodes.length).toBe(3);
    keras.utils.clearSession();
    const back = keras.deserialize<keras.Model>('layer', config);
    expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(back.countParams()).toBe(m.countParams());
    back.setWeights(m.getWeights());
    const x = { left: randn([2, 4]), right: randn([2, 4]) } as never;
    const [y1, y2] = m.apply(x) as unknown as Tensor[];
    const [z1, z2] = back.apply(x) as unknown as Tensor[];
    expect(Array.from(z1!.dataSync())).toEqual(Array.from(y1!.dataSync()));
    expect(Array.from(z2!.dataSync())).toEqual(Array.from(y2!.dataSync()));
  });

  it('a call that refers to a tensor no call makes is a KerasValueError naming the layer', () => {
    const a = keras.Input({ shape: [4], name: 'cfg_bad_in' });
    const m = new keras.Model({ inputs: a, outputs: new Dense(2, { name: 'cfg_bad_dense' }).apply(a) });
    const config = JSON.parse(JSON.stringify(keras.serialize('layer', m)));
    config.config.layers.find((l: { name: string }) => l.name === 'cfg_bad_dense').inboundNodes[0].args.kerasHistory = ['cfg_nowhere', 0, 0];
    expect(() => keras.deserialize('layer', config)).toThrow(keras.KerasValueError);
    expect(() => keras.deserialize('layer', config)).toThrow(/the calls of layer "cfg_bad_dense" refer to outputs that no other call makes/);
  });
});
