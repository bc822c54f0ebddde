/**
 * @duet/keras Embedding, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed
 * and MultiHeadAttention against Keras 3.15 / TensorFlow 2.21
 * (keras_rnn.json, written by gen_keras_rnn.py): the same layer, given the
 * same weights with `setWeights`, called with the same mask / initial states
 * / attention options, must give Keras's outputs and the gradients of
 * sum_i sum(output_i * upstream_i) for its inputs and weights, and Keras's
 * output shape; each case runs forward + backward twice and must not leak.
 * Text models (Embedding(maskZero) -> recurrent -> Dense) must predict and
 * fit as Keras does.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { disposeWithGrads, expectClose, expectNoLeaks } from '../helpers.js';
import { load, readFixture, shaped, type Stored } from './keras_fixtures.js';

interface Spec {
  cls: string;
  args: unknown[];
  options: Record<string, unknown>;
}
interface LayerCase {
  id: string;
  layer: Spec;
  inputs: Stored[];
  stateInputs: boolean;
  mask: Stored | null;
  callOptions: Record<string, unknown>;
  attentionMask?: Stored | null;
  kerasMasks?: Stored[] | null;
  weights: Stored[];
  weightNames: string[];
  outputs: Stored[];
  upstreams: Stored[];
  inputGrads: (Stored | null)[];
  weightGrads: (Stored | null)[];
  outputShape: (number | null)[] | (number | null)[][];
}
interface EmbeddingCase {
  id: string;
  layer: Spec;
  ids: Stored;
  weights: Stored[];
  outputs: Stored[];
  upstreams: Stored[];
  weightGrads: Stored[];
  outputMask: Stored | null;
}
interface ModelCase {
  id: string;
  layers: Spec[];
  x: Stored;
  y: Stored;
  weights: Stored[];
  predict: Stored;
  loss: number[];
  finalWeights: Stored[];
}
const golden = readFixture<{ layers: LayerCase[]; embedding: EmbeddingCase[]; models: ModelCase[] }>('keras_rnn.json');

/** A layer from its spec; arguments that are specs are layers (Bidirectional, TimeDistributed). */
function make(s: Spec): keras.Layer {
  const Cls = (keras.layers as unknown as Record<string, new (...a: unknown[]) => keras.Layer>)[s.cls];
  if (Cls === undefined) throw new Error(`no keras.layers.${s.cls}`);
  const args = s.args.map((a) => (a !== null && typeof a === 'object' && 'cls' in (a as object) ? make(a as Spec) : a));
  return new Cls(...args, s.options);
}

// Keras runs the generic per-step loop; Duet's LSTM is TensorFlow's fused kernel: float32 noise.
const TOL = { atol: 2e-5, rtol: 2e-4 };

describe(`keras recurrent and attention layers vs Keras ${golden.versions.keras} (TF ${golden.versions.tensorflow})`, () => {
  for (const c of golden.layers) {
    it(c.id, () => {
      const layer = make(c.layer);
      const xs = c.inputs.map((s) => load(s, true));
      const mask = c.mask === null ? null : load(c.mask);
      const am = c.attentionMask ? load(c.attentionMask) : null;
      const km = c.kerasMasks ? c.kerasMasks.map((m) => load(m)) : null;
      const isMha = c.layer.cls === 'MultiHeadAttention';
      const arg = isMha || c.stateInputs ? xs : xs[0]!;
      const opts = { ...c.callOptions, ...(mask !== null ? { mask } : {}), ...(am !== null ? { attentionMask: am } : {}) };
      const call = () => {
        if (km !== null) xs.forEach((x, i) => km[i] !== undefined && keras.layers.setKerasMask(x, km[i]));
        return layer.applyMulti(arg, opts);
      };
      call(); // build
      layer.setWeights(c.weights.map((s) => load(s)));
      expect(layer.weights.map((w) => w.path.split('/').pop())).toEqual(c.weightNames.map((n) => n.split('/').pop()));
      const run = () => {
        const ys = call();
        expect(ys.length).toBe(c.outputs.length);
        ys.forEach((y, i) => expectClose(y, shaped(c.outputs[i]!), { ...TOL, message: `output ${i}` }));
        ys.map((y, i) => y.mul(load(c.upstreams[i]!)).sum()).reduce((a, b) => a.add(b)).backward();
        c.inputGrads.forEach((g, i) => g !== null && expectClose(xs[i]!.grad!, shaped(g), { ...TOL, message: `input ${i} grad` }));
        c.weightGrads.forEach((g, i) => g !== null && expectClose(layer.trainableWeights[i]!.grad!, shaped(g), { ...TOL, message: `weight ${i} grad` }));
        for (const t of [...xs, ...layer.weights]) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      run();
      expectNoLeaks(run);
      const shapes = c.inputs.map((s) => [null, ...s.shape.slice(1)]);
      const inShape = isMha || c.stateInputs ? shapes : shapes[0]!;
      // Keras lists the state shapes after the output's; Duet's computeOutputShape takes only the sequence shape.
      expect(layer.computeOutputShape(c.stateInputs ? shapes[0]! : inShape)).toEqual(c.outputShape);
      disposeWithGrads(xs);
      for (const t of [mask, am, ...(km ?? [])]) t?.dispose();
      for (const w of layer.weights) w.dispose();
    });
  }

  for (const c of golden.embedding) {
    it(c.id, () => {
      const layer = make(c.layer);
      const ids = load(c.ids);
      layer.apply(ids);
      layer.setWeights(c.weights.map((s) => load(s)));
      const run = () => {
        const y = layer.apply(ids) as Tensor;
        expectClose(y, shaped(c.outputs[0]!), { ...TOL, message: 'output' });
        const m = keras.layers.getKerasMask(y);
        if (c.outputMask === null) expect(m).toBeNull();
        else expect(m!.toArray()).toEqual(nestBool(c.outputMask));
        y.mul(load(c.upstreams[0]!)).sum().backward();
        expectClose(layer.trainableWeights[0]!.grad!, shaped(c.weightGrads[0]!), { ...TOL, message: 'embeddings grad' });
        const w = layer.weights[0]!;
        w.grad?.dispose();
        w.grad = null;
      };
      run();
      expectNoLeaks(run);
      ids.dispose();
      for (const w of layer.weights) w.dispose();
    });
  }
});

function nestBool(s: Stored): boolean[][] {
  const [n, t] = s.shape as [number, number];
  return Array.from({ length: n }, (_, i) => s.data.slice(i * t, (i + 1) * t).map((v) => v !== 0));
}

describe('text models (Embedding(maskZero) -> recurrent -> Dense) vs Keras: predict and fit', () => {
  for (const c of golden.models) {
    it(c.id, async () => {
      const inp = keras.Input({ shape: [c.x.shape[1]!], dtype: 'int32' });
      let h: keras.KerasTensor = inp;
      for (const s of c.layers) h = make(s).apply(h);
      const model = new keras.Model({ inputs: inp, outputs: h });
      model.setWeights(c.weights.map((s) => load(s)));
      const x = load(c.x);
      const y = load(c.y);
      const p = (await model.predict(x, { verbose: 0 })) as Tensor;
      expectClose(p, shaped(c.predict), { ...TOL, message: 'predict' });
      p.dispose();
      model.compile({ optimizer: new keras.optimizers.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy' });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
      expectClose(history.history.loss!, c.loss, { ...TOL, message: 'loss' });
      const ws = model.getWeights();
      ws.forEach((w, i) => expectClose(w, shaped(c.finalWeights[i]!), { ...TOL, message: `weight ${i}` }));
      for (const t of [...ws, x, y]) t.dispose();
    });
  }
});
