/**
 * tfjs-layers fixtures for compiled model.json files (issue 9): models
 * built, compiled and trained a few steps with tfjs-node's own tfjs-layers,
 * saved with `model.save('file://...', { includeOptimizer: true })`
 * (model.json with `trainingConfig`, weights.bin with the optimizer's
 * weights in group 'optimizer'). Then tfjs loads each file back
 * (`tf.loadLayersModel`, which compiles it from `trainingConfig` and
 * restores the optimizer's weights) and trains one more batch: the loss of
 * that step and the predictions after it are what Duet must reproduce.
 *
 * Writes test/interop/tfjs_training/<name>/ and
 * test/interop/tfjs_training/tfjs_training.json. Like gen_tfjs_layers.mjs,
 * a fixture generator, not Duet code.
 *
 *   node test/golden/gen_tfjs_training.mjs
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// tfjs-node is @duet/core's dependency; resolve it from there.
const require = createRequire(join(root, 'packages', 'core', 'package.json'));
const tf = require('@tensorflow/tfjs-node');
const OUT = join(root, 'test', 'interop', 'tfjs_training');

/** Seeded data, stored in the JSON beside the models (so the tests need no tfjs). */
const stored = (t) => ({ shape: t.shape, dtype: 'float32', data: Array.from(t.dataSync()) });
const floats = (seed, shape) => stored(tf.randomUniform(shape, -1, 1, 'float32', seed));
const classes = (seed, n, k) => tf.randomUniform([n], 0, k, 'int32', seed);
const oneHot = (seed, n, k) => stored(tf.oneHot(classes(seed, n, k), k).toFloat());

const L = tf.layers;
const mlp = (name, out, activation) => {
  const m = tf.sequential({ name });
  m.add(L.dense({ inputShape: [5], units: 8, activation: 'tanh', name: 'hidden' }));
  m.add(L.dense({ units: out, activation, name: 'out' }));
  return m;
};
const cases = {
  adam: {
    build: () => mlp('adam_mlp', 3, 'softmax'),
    compile: () => ({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] }),
    data: () => ({ x: floats(11, [12, 5]), y: oneHot(12, 12, 3) }),
  },
  momentum: {
    build: () => mlp('momentum_mlp', 2, 'linear'),
    compile: () => ({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'meanSquaredError', metrics: ['mse'] }),
    data: () => ({ x: floats(21, [12, 5]), y: floats(22, [12, 2]) }),
  },
  adagrad: {
    build: () => mlp('adagrad_mlp', 2, 'linear'),
    compile: () => ({ optimizer: tf.train.adagrad(0.1), loss: 'meanAbsoluteError' }),
    data: () => ({ x: floats(31, [12, 5]), y: floats(32, [12, 2]) }),
  },
  rmsprop: {
    build: () => mlp('rmsprop_mlp', 2, 'linear'),
    compile: () => ({ optimizer: tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, false), loss: 'meanSquaredError', metrics: ['mae'] }),
    data: () => ({ x: floats(51, [12, 5]), y: floats(52, [12, 2]) }),
  },
  sgd: {
    build: () => mlp('sgd_mlp', 1, 'sigmoid'),
    compile: () => ({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] }),
    data: () => ({ x: floats(41, [12, 5]), y: stored(classes(42, 12, 2).reshape([12, 1]).toFloat()) }),
  },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const out = { versions: { tfjs: tf.version.tfjs, 'tfjs-layers': tf.version_layers, 'tfjs-node': tf.version['tfjs-node'] ?? null, node: process.version }, models: {} };
let seed = 5000;
const t = (s) => tf.tensor(s.data, s.shape, s.dtype);
for (const [name, spec] of Object.entries(cases)) {
  const model = spec.build();
  model.setWeights(model.weights.map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', (seed += 1) + i)));
  model.compile(spec.compile());
  const { x, y } = spec.data();
  // Three steps of 4 samples, so the optimizer has state worth restoring.
  await model.fit(t(x), t(y), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  const dir = join(OUT, name);
  await model.save(`file://${dir}`, { includeOptimizer: true });
  // What tfjs does with the file: load (compiled, optimizer state restored), then one more step.
  const loaded = await tf.loadLayersModel(`file://${join(dir, 'model.json')}`);
  const step = await loaded.trainOnBatch(t(x), t(y));
  const p = loaded.predict(t(x));
  out.models[name] = {
    x, y,
    iterations: loaded.optimizer.iterations,
    optimizer: loaded.optimizer.getClassName(),
    trainOnBatch: Array.isArray(step) ? step : [step],
    predictAfter: { shape: p.shape, data: Array.from(p.dataSync()) },
  };
  console.error(`${name}: ${loaded.optimizer.getClassName()} after ${loaded.optimizer.iterations} steps, trainOnBatch -> ${JSON.stringify(step)}`);
}
writeFileSync(join(OUT, 'tfjs_training.json'), `${JSON.stringify(out)}\n`);
console.error(`wrote ${OUT}`);
