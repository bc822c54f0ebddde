/**
 * tfjs-layers fixtures for `keras.models.loadModel('model.json')` (issue 10):
 * small models built with tfjs-node's own `tf.sequential` / `tf.model` /
 * `tf.layers`, given seeded random weights (BatchNorm's moving statistics
 * too), saved with tfjs's `model.save('file://...')` (model.json +
 * weights.bin), and tfjs's predictions on fixed inputs.
 *
 * Writes test/interop/tfjs/<name>/ and test/interop/tfjs/tfjs.json (inputs,
 * predictions, versions). Like the Python generators, this is a fixture
 * generator, not Duet code: it is the only place Duet's tests touch tfjs-layers.
 *
 *   node test/golden/gen_tfjs_layers.mjs
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// tfjs-node is @duet/core's dependency; resolve it from there.
const require = createRequire(join(root, 'packages', 'core', 'package.json'));
const tf = require('@tensorflow/tfjs-node');
const OUT = join(root, 'test', 'interop', 'tfjs');

/** A deterministic stream of numbers in [-1, 1) (an LCG), so inputs do not depend on tfjs's RNG. */
function stream(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
const floats = (seed, shape) => {
  const next = stream(seed);
  return { shape, dtype: 'float32', data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(next())) };
};
const ints = (seed, shape, lo, hi, padTo) => {
  const next = stream(seed);
  const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + Math.floor(((next() + 1) / 2) * (hi - lo)));
  // Trailing padding (token 0) of a different length per row.
  if (padTo) padTo.forEach((n, row) => { for (let j = n; j < shape[1]; j++) data[row * shape[1] + j] = 0; });
  return { shape, dtype: 'int32', data };
};

const L = tf.layers;
const models = {
  mlp: {
    build: () => {
      const m = tf.sequential({ name: 'mlp' });
      m.add(L.dense({ inputShape: [6], units: 10, activation: 'relu', name: 'hidden' }));
      m.add(L.dropout({ rate: 0.25, name: 'drop' }));
      m.add(L.dense({ units: 8, activation: 'tanh', kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }), name: 'hidden2' }));
      m.add(L.dense({ units: 3, activation: 'softmax', name: 'probs' }));
      return m;
    },
    inputs: () => [floats(1, [5, 6])],
  },
  two_input: {
    build: () => {
      const a = tf.input({ shape: [4], name: 'a' });
      const b = tf.input({ shape: [3], name: 'b' });
      const ha = L.dense({ units: 5, activation: 'elu', name: 'dense_a' }).apply(a);
      const hb = L.dense({ units: 4, activation: 'sigmoid', name: 'dense_b' }).apply(b);
      const c = L.concatenate({ name: 'concat' }).apply([ha, hb]);
      const s = L.add({ name: 'skip' }).apply([L.dense({ units: 9, name: 'mix' }).apply(c), c]);
      return tf.model({ inputs: [a, b], outputs: L.dense({ units: 2, name: 'head' }).apply(s), name: 'two_input' });
    },
    inputs: () => [floats(2, [4, 4]), floats(3, [4, 3])],
  },
  conv_bn: {
    build: () => {
      const m = tf.sequential({ name: 'conv_bn' });
      m.add(L.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'conv1' }));
      m.add(L.batchNormalization({ name: 'bn1' }));
      m.add(L.activation({ activation: 'relu', name: 'relu1' }));
      m.add(L.maxPooling2d({ poolSize: 2, name: 'pool1' }));
      m.add(L.conv2d({ filters: 6, kernelSize: [3, 3], strides: 1, activation: 'relu', name: 'conv2' }));
      m.add(L.averagePooling2d({ poolSize: 2, name: 'pool2' }));
      m.add(L.batchNormalization({ name: 'bn2' }));
      m.add(L.flatten({ name: 'flat' }));
      m.add(L.dense({ units: 3, name: 'logits' }));
      return m;
    },
    inputs: () => [floats(4, [3, 8, 8, 2])],
  },
  lstm_gru: {
    build: () => {
      const m = tf.sequential({ name: 'lstm_gru' });
      m.add(L.embedding({ inputDim: 30, outputDim: 6, inputLength: 9, maskZero: true, name: 'embed' }));
      m.add(L.lstm({ units: 7, returnSequences: true, name: 'lstm' }));
      m.add(L.gru({ units: 5, name: 'gru' }));
      m.add(L.dense({ units: 2, activation: 'softmax', name: 'probs' }));
      return m;
    },
    inputs: () => [ints(5, [4, 9], 1, 30, [9, 6, 3, 1])],
  },
  rnn_plain: {
    build: () => {
      // The defaults tfjs users get: LSTM/GRU with hard_sigmoid recurrent activations, no mask.
      const m = tf.sequential({ name: 'rnn_plain' });
      m.add(L.embedding({ inputDim: 20, outputDim: 4, inputLength: 5, name: 'embed' }));
      m.add(L.gru({ units: 6, returnSequences: true, name: 'gru' }));
      m.add(L.simpleRNN({ units: 4, name: 'rnn' }));
      m.add(L.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
      return m;
    },
    inputs: () => [ints(6, [3, 5], 0, 20)],
  },
  nested: {
    build: () => {
      // A Sequential used as a layer of a functional model.
      const inner = tf.sequential({ name: 'inner' });
      inner.add(L.dense({ inputShape: [5], units: 6, activation: 'relu', name: 'inner_dense1' }));
      inner.add(L.dense({ units: 4, name: 'inner_dense2' }));
      const x = tf.input({ shape: [5], name: 'x' });
      const h = inner.apply(x);
      const out = L.dense({ units: 2, name: 'head' }).apply(L.concatenate({ name: 'concat' }).apply([h, x]));
      return tf.model({ inputs: x, outputs: out, name: 'nested' });
    },
    inputs: () => [floats(7, [4, 5])],
  },
};

/** Seeded random weights everywhere; BatchNorm's moving variances positive. */
function randomize(model, seed) {
  const values = model.weights.map((w, i) => {
    const r = tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i);
    return w.name.includes('moving_variance') ? r.abs().add(0.5) : r;
  });
  model.setWeights(values);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const out = { versions: { tfjs: tf.version.tfjs, 'tfjs-layers': tf.version_layers, 'tfjs-node': tf.version['tfjs-node'] ?? null, node: process.version }, models: {} };
let seed = 1000;
for (const [name, spec] of Object.entries(models)) {
  const model = spec.build();
  randomize(model, (seed += 100));
  const inputs = spec.inputs();
  const xs = inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype));
  const p = model.predict(xs.length > 1 ? xs : xs[0]);
  await model.save(`file://${join(OUT, name)}`);
  out.models[name] = {
    inputs,
    predict: { shape: p.shape, data: Array.from(p.dataSync()) },
    layers: model.layers.map((l) => [l.getClassName(), l.name]),
    weights: model.weights.map((w) => w.originalName), // tfjs's names in the file (w.name gets a _1 suffix when another model reuses it)
  };
  console.error(`${name}: ${model.layers.length} layers, ${model.weights.length} weights`);
}
writeFileSync(join(OUT, 'tfjs.json'), `${JSON.stringify(out)}\n`);
console.error(`wrote ${OUT}`);
