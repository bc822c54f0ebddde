/**
 * Duet's Keras `fit` against raw tfjs-layers `model.fit` (what a tfjs user
 * runs today), on the same data, in the same process, on the same engine
 * (both run TensorFlow's C library through @tensorflow/tfjs-node):
 * - the seed MLP (Dense 128 relu, Dense 10 softmax; Adam; batch 32), one
 *   epoch over MNIST's 60k training images;
 * - the Keras-style CNN of bench/keras/cnn.ts (two Conv2D + MaxPooling2D,
 *   Dense 128, Dense 10; Adam; batch 64), one epoch over 10k images.
 * Rounds alternate Duet and tfjs (REPS, default 3); medians are printed, and
 * the ratios as `duet / tfjs-layers ... = r` lines (bench/report.ts reads them).
 * Both sides use `verbose: 0`; the data are prepared before timing.
 *
 *   pnpm exec tsx --conditions=source bench/keras/tfjs_layers.ts
 */
import type * as TF from '@tensorflow/tfjs-node';
import { manualSeed, noGrad, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { kerasCnn as duetCnn } from './cnn_model.js';

const REPS = Number(process.env.REPS ?? 3);
const CNN_ROWS = Number(process.env.CNN_ROWS ?? 10000);
const L = keras.layers;

const [[xAll, yAll]] = await keras.datasets.mnist.loadData();
const xFlat = noGrad(() => xAll.reshape([-1, 784]).div(255)).keep();
const xImg = noGrad(() => xAll.narrow(0, 0, CNN_ROWS).reshape([-1, 28, 28, 1]).div(255)).keep();
const yCnn = noGrad(() => yAll.narrow(0, 0, CNN_ROWS).clone()).keep();
// Imported once Duet's engine is up: Duet loads the library with TensorFlow's start-up lines muted.
const tf = await import('@tensorflow/tfjs-node');

/** The same arrays as tfjs tensors (labels as float class indices, what tfjs's sparse crossentropy takes). */
function toTf(t: Tensor, asFloat = false): TF.Tensor {
  const data = t.dataSync();
  return tf.tensor(asFloat ? Float32Array.from(data as ArrayLike<number>) : (data as Float32Array), [...t.shape], 'float32');
}
const tfXFlat = toTf(xFlat);
const tfYAll = toTf(yAll, true);
const tfXImg = toTf(xImg);
const tfYCnn = toTf(yCnn, true);

function duetMlp(): keras.Sequential {
  const m = new keras.Sequential([new L.Dense(128, { activation: 'relu' }), new L.Dense(10, { activation: 'softmax' })]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}
function tfMlp(): TF.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  m.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
function tfCnn(): TF.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

interface Run { seconds: number; accuracy: number }
async function timeDuet(make: () => keras.Sequential, x: Tensor, y: Tensor, batchSize: number): Promise<Run> {
  manualSeed(0);
  const m = make();
  const t0 = performance.now();
  const h = await m.fit(x, y, { batchSize, epochs: 1, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, accuracy: h.history.accuracy![0]! };
}
async function timeTf(make: () => TF.Sequential, x: TF.Tensor, y: TF.Tensor, batchSize: number): Promise<Run> {
  const m = make();
  const t0 = performance.now();
  const h = await m.fit(x, y, { batchSize, epochs: 1, verbose: 0, shuffle: true });
  const seconds = (performance.now() - t0) / 1000;
  m.dispose();
  return { seconds, accuracy: Number((h.history.acc ?? h.history.accuracy)![0]) };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const rows: Record<string, { duet: Run[]; tfjs: Run[] }> = { mlp: { duet: [], tfjs: [] }, cnn: { duet: [], tfjs: [] } };
for (let r = 0; r < REPS; r++) {
  // Alternate which side goes first, so neither always gets the warmer machine.
  const duetFirst = r % 2 === 0;
  for (const side of duetFirst ? ['duet', 'tfjs'] : ['tfjs', 'duet']) {
    if (side === 'duet') {
      rows.mlp!.duet.push(await timeDuet(duetMlp, xFlat, yAll, 32));
      rows.cnn!.duet.push(await timeDuet(duetCnn, xImg, yCnn, 64));
    } else {
      rows.mlp!.tfjs.push(await timeTf(tfMlp, tfXFlat, tfYAll, 32));
      rows.cnn!.tfjs.push(await timeTf(tfCnn, tfXImg, tfYCnn, 64));
    }
  }
  console.error(`round ${r + 1}/${REPS} done`);
}

const label = { mlp: 'seed MLP, 1 epoch of 60k, batch 32', cnn: `CNN, 1 epoch of ${CNN_ROWS}, batch 64` } as const;
console.table(
  (['mlp', 'cnn'] as const).flatMap((k) => [
    { model: label[k], side: 'Duet keras fit', 'median s': median(rows[k]!.duet.map((r) => r.seconds)).toFixed(2), runs: rows[k]!.duet.map((r) => r.seconds.toFixed(2)).join(' '), accuracy: rows[k]!.duet.at(-1)!.accuracy.toFixed(4) },
    { model: label[k], side: 'tfjs-layers fit', 'median s': median(rows[k]!.tfjs.map((r) => r.seconds)).toFixed(2), runs: rows[k]!.tfjs.map((r) => r.seconds.toFixed(2)).join(' '), accuracy: rows[k]!.tfjs.at(-1)!.accuracy.toFixed(4) },
  ]),
);
for (const k of ['mlp', 'cnn'] as const) {
  const ratio = median(rows[k]!.duet.map((r) => r.seconds)) / median(rows[k]!.tfjs.map((r) => r.seconds));
  console.log(`duet / tfjs-layers fit time, ${label[k]} = ${ratio.toFixed(2)}`);
}
