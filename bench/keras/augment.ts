/**
 * Keras's RandomRotation / RandomTranslation (issue 11): the CNN of
 * examples/cnn-mnist-keras.ts (augmentation at the front) against the same
 * model without the two layers, `trainOnBatch` at batch 128 on random
 * 28x28x1 images, ms per step, median of REPS alternating rounds of STEPS
 * steps; and each layer alone (training call, batch 128): TensorFlow's
 * ImageProjectiveTransformV3 (images without grad, what a model's inputs
 * are) vs the gather form (images that require grad), with kernels counted.
 *
 *   pnpm exec tsx --conditions=source bench/keras/augment.ts
 */
import { countKernels, rand, randint, randn, scope, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { buildModel } from '../../examples/cnn-mnist-keras.js';

const BATCH = 128;
const STEPS = Number(process.env.STEPS ?? 5);
const REPS = Number(process.env.REPS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const x = rand([BATCH, 28, 28, 1]).keep();
const y = keras.utils.toCategorical(randint(0, 10, [BATCH]), 10).keep();
const aug = buildModel();
const plain = new keras.Sequential([keras.Input({ shape: [28, 28, 1] }), ...buildModel().layers.slice(2)]);
for (const m of [aug, plain]) {
  m.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  for (let i = 0; i < 2; i++) m.trainOnBatch(x, y);
}
const time = (fn: () => void, n: number) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
};
const rounds: { aug: number; plain: number }[] = [];
for (let r = 0; r < REPS; r++) {
  rounds.push({ aug: time(() => aug.trainOnBatch(x, y), STEPS), plain: time(() => plain.trainOnBatch(x, y), STEPS) });
  console.log(`round ${r + 1}: with augmentation ${rounds[r]!.aug.toFixed(1)} ms, without ${rounds[r]!.plain.toFixed(1)} ms`);
}
const a = median(rounds.map((r) => r.aug));
const p = median(rounds.map((r) => r.plain));
const ka = countKernels(() => aug.trainOnBatch(x, y)).kernels;
const kp = countKernels(() => plain.trainOnBatch(x, y)).kernels;
console.log(`\nCNN step, batch ${BATCH}: with RandomRotation + RandomTranslation ${a.toFixed(1)} ms (${ka} kernels), without ${p.toFixed(1)} ms (${kp} kernels), ratio ${(a / p).toFixed(2)}`);

const xg = randn([BATCH, 28, 28, 1], { requiresGrad: true }).keep();
for (const layer of [new keras.layers.RandomRotation(0.05), new keras.layers.RandomTranslation(0.1, 0.1)]) {
  const call = (img: Tensor) => () => scope(() => void layer.apply(img, { training: true }));
  for (const img of [x, xg]) call(img)();
  const kernel: number[] = [];
  const gather: number[] = [];
  for (let r = 0; r < REPS; r++) {
    kernel.push(time(call(x), STEPS * 2));
    gather.push(time(call(xg), STEPS * 2));
  }
  const kk = countKernels(call(x));
  const kg = countKernels(call(xg));
  console.log(`${layer.constructor.name}: images without grad ${median(kernel).toFixed(1)} ms (${kk.kernels} kernels: ImageProjectiveTransformV3), images with grad ${median(gather).toFixed(1)} ms (${kg.kernels} kernels: the gather form)`);
}
