/**
 * Duet's CNN kernels against the ones they replace, in one process, on the
 * Keras CNN's shapes (bench/keras/cnn.ts): each pair timed in alternating
 * rounds (median of ROUNDS medians of 20 calls), then the whole training step
 * with the kernels on and off (alternating, STEPS steps each round):
 *
 * - conv 1 + ReLU -> max pool 2x2, backward: DuetMaxPoolGradArgmax (the pool's
 *   gradient through the ReLU, with the bias's) against _MklNativeMaxPoolGrad
 *   + DuetBiasAddReluGrad (or DuetMaxPoolGrad where oneDNN is off), and the
 *   forward, DuetMaxPoolArgmax against _MklNativeMaxPool (or DuetMaxPool);
 * - conv 1 (one input channel) forward with bias and ReLU: DuetConv2DC1
 *   against _MklNativeFusedConv2D (or Conv2D + DuetBiasAddRelu where oneDNN
 *   is off), and its filter gradient: DuetConv2DBackpropFilterC1 against
 *   Conv2DBackpropFilter;
 * - the Keras CNN's trainOnBatch (batch 64) with useArgmaxPooling and
 *   useOneChannelConv on against off.
 *
 *   pnpm exec tsx --conditions=source bench/keras/cnn_kernels.ts
 */
import { customKernelStatus, manualSeed, noGrad, oneDnnPoolingSupported, scope, useArgmaxPooling, useOneChannelConv, type Tensor } from '@duet/core';
import * as keras from '@duet/keras';
import { kerasCnn } from './cnn_model.js';
import { tf } from '../../packages/core/src/kernels/index.js';
import * as K from '../../packages/core/src/kernels/nn.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const STEPS = Number(process.env.STEPS ?? 30);
const status = customKernelStatus();
if (!status.ops.includes('DuetMaxPoolGradArgmax')) {
  console.log(`Duet's kernels are not in use (${status.reason ?? 'not built'}): nothing to compare.`);
  process.exit(0);
}
const T = tf();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ms per call of `a` and `b`, alternating rounds of 20 calls each. */
function pair(a: () => unknown, b: () => unknown): [number, number] {
  const round = (f: () => unknown) => {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      T.tidy(() => void f());
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  round(a);
  round(b);
  const ra: number[] = [];
  const rb: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ra.push(round(a));
    rb.push(round(b));
  }
  return [median(ra), median(rb)];
}

const win: K.Window = { stride: [2, 2], dilation: [1, 1], pads: [0, 0, 0, 0] };
const conv1: K.Window = { stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0] };
const x = T.relu(T.randomNormal([64, 26, 26, 32]));
const dy = T.randomNormal([64, 13, 13, 32]);
const [, argmax] = K.maxPoolArgmax(x, [2, 2], win);
const onednn = oneDnnPoolingSupported();
const [y, ws] = onednn ? K.maxPoolWorkspace(x, [2, 2], win) : [K.maxPool(x, [2, 2], win), null];
const img = T.randomNormal([64, 28, 28, 1]);
const dyConv = T.randomNormal([64, 26, 26, 32]);
const [c1On, c1Off] = (() => {
  useOneChannelConv(true);
  const on = () => K.conv2dBackpropFilter(img, [3, 3, 1, 32], dyConv, conv1);
  const off = () => T.tidy(() => {
    useOneChannelConv(false);
    try {
      return K.conv2dBackpropFilter(img, [3, 3, 1, 32], dyConv, conv1);
    } finally {
      useOneChannelConv(true);
    }
  });
  return [on, off];
})();
const rows: { kernel: string; 'duet ms': string; 'replaced ms': string; 'duet/replaced': string }[] = [];
const add = (kernel: string, [d, s]: [number, number]) => rows.push({ kernel, 'duet ms': d.toFixed(3), 'replaced ms': s.toFixed(3), 'duet/replaced': (d / s).toFixed(2) });
add(`pool 1 forward: DuetMaxPoolArgmax vs ${onednn ? '_MklNativeMaxPool' : 'DuetMaxPool'}`, pair(() => K.maxPoolArgmax(x, [2, 2], win), () => (onednn ? K.maxPoolWorkspace(x, [2, 2], win) : K.maxPool(x, [2, 2], win))));
add(`pool 1 + ReLU + bias backward: DuetMaxPoolGradArgmax vs ${onednn ? '_MklNativeMaxPoolGrad' : 'DuetMaxPoolGrad'} + DuetBiasAddReluGrad`, pair(
  () => K.maxPoolGradArgmax(argmax!, dy, [64, 26, 26, 32], [2, 2], win, true),
  () => K.biasAddReluGrad(onednn ? K.maxPoolGradWorkspace(x, y!, dy, ws!, [2, 2], win) : K.maxPoolGrad(x, y!, dy, [2, 2], win), x),
));
const filt = T.randomNormal([3, 3, 1, 32]);
const bias = T.randomNormal([32]);
const fused = K.fusedConvSupported();
add(`conv 1 + bias + ReLU forward: DuetConv2DC1 vs ${fused ? '_MklNativeFusedConv2D' : 'Conv2D + DuetBiasAddRelu'}`, pair(
  () => K.conv2dC1(img, filt, bias, conv1, true),
  () => (fused ? K.fusedConv2d(img, filt, bias, conv1, true) : K.biasAddRelu(K.conv2d(img, filt, conv1), bias)),
));
add('conv 1 filter gradient: DuetConv2DBackpropFilterC1 vs Conv2DBackpropFilter', pair(c1On, c1Off));

// The whole training step, the kernels on and off.
manualSeed(0);
const model = kerasCnn();
const [[xAll, yAll]] = await keras.datasets.mnist.loadData();
const batches = Array.from({ length: 10 }, (_, i) => scope(() => [
  noGrad(() => xAll.narrow(0, i * 64, 64).reshape([64, 28, 28, 1]).div(255)).keep(),
  yAll.narrow(0, i * 64, 64).clone().keep(),
] as [Tensor, Tensor]));
const steps = (on: boolean) => {
  useArgmaxPooling(on);
  useOneChannelConv(on);
  try {
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) {
      const [xb, yb] = batches[s % batches.length]!;
      scope(() => model.trainOnBatch(xb, yb));
    }
    return (performance.now() - t0) / STEPS;
  } finally {
    useArgmaxPooling(true);
    useOneChannelConv(true);
  }
};
steps(true);
steps(false);
const on: number[] = [];
const off: number[] = [];
for (let r = 0; r < Math.max(3, Math.floor(ROUNDS / 2)); r++) {
  on.push(steps(true));
  off.push(steps(false));
}
add('Keras CNN trainOnBatch, batch 64 (ms per step)', [median(on), median(off)]);

console.log(`Duet's CNN kernels vs the kernels they replace, one process, alternating rounds (oneDNN pooling ${onednn ? 'on' : 'off'})`);
console.table(rows);
