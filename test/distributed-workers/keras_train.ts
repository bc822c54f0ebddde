/**
 * The seed Keras MLP (Dense 128 relu, Dense 10 softmax; adam;
 * sparse_categorical_crossentropy; accuracy) fitted for 3 epochs on a fixed
 * synthetic set with a global batch of 64 (shuffle off), by one process
 * (`single`) or by MultiWorkerMirroredStrategy (`mwms`, under pnpm duet-run).
 * Rank 0 writes the weights, the History and evaluate()'s result as JSON.
 * Used by test/distributed-keras.test.ts.
 *
 *   keras_train.ts <single|mwms> --out result.json
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Generator, distributed, manualSeed, memory, tensor } from '@duet/core';
import * as keras from '@duet/keras';

const argv = process.argv.slice(2);
const mode = argv[0];
const out = argv[argv.indexOf('--out') + 1]!;
const N = 64 * 4 + 10; // the last global batch has 10 rows: 5 per worker

const gen = new Generator(1234);
const x = tensor(Float32Array.from({ length: N * 784 }, () => gen.random()), { shape: [N, 784] });
const y = tensor(Int32Array.from({ length: N }, () => gen.randint(10)), { shape: [N] });

const build = (): keras.Sequential => {
  const model = new keras.Sequential([
    new keras.layers.Dense(128, { activation: 'relu' }),
    new keras.layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
};

let model: keras.Sequential;
let rank = 0;
if (mode === 'mwms') {
  const strategy = new keras.distribute.MultiWorkerMirroredStrategy();
  rank = strategy.taskId;
  manualSeed(rank === 0 ? 0 : 77); // different initial weights: the strategy's broadcast makes them rank 0's
  model = strategy.scope(build);
} else if (mode === 'single') {
  manualSeed(0);
  model = build();
} else throw new Error(`mode must be single or mwms, received ${mode}`);

// native tensors at each epoch's end: the same after every epoch (the strategy's copies leak nothing)
const tensorsAtEpochEnd: number[] = [];
const count = new keras.callbacks.LambdaCallback({ onEpochEnd: () => void tensorsAtEpochEnd.push(memory().numTensors) });
const history = await model.fit(x, y, { batchSize: 64, epochs: 3, shuffle: false, verbose: 0, callbacks: [count] });
const evaluation = await model.evaluate(x, y, { batchSize: 64, verbose: 0 });
if (rank === 0) {
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ history: history.history, evaluation, weights, tensorsAtEpochEnd }));
  renameSync(tmp, out);
}
if (mode === 'mwms') distributed.destroy();
