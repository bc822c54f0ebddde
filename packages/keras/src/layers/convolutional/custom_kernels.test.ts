/**
 * The Keras CNN (Conv2D relu -> MaxPooling2D -> Conv2D relu -> MaxPooling2D
 * -> Flatten -> Dense relu -> Dense softmax, Adam) trained with Duet's own
 * kernels (DuetBiasAddRelu / DuetBiasAddReluGrad for the convs' bias and ReLU,
 * DuetMaxPool / DuetMaxPoolGrad or oneDNN's workspace pooling, DuetApplyAdam) and with TensorFlow's stock kernels only:
 * the same weights, bit for bit, after a few steps.
 */
import { describe, expect, it } from 'vitest';
import { countKernels, customKernelStatus, fusedConvSupported, manualSeed, oneDnnPoolingSupported, randint, randn, scope, useCustomKernels } from '@duet/core';
import * as keras from '../../index.js';

const L = keras.layers;
const status = customKernelStatus();

function cnn(): keras.Sequential {
  const m = new keras.Sequential([
    keras.Input({ shape: [12, 12, 1] }),
    new L.Conv2D(8, 3, { activation: 'relu' }), new L.MaxPooling2D(),
    new L.Conv2D(16, 3, { activation: 'relu', padding: 'same' }), new L.MaxPooling2D({ padding: 'same' }),
    new L.Flatten(), new L.Dense(16, { activation: 'relu' }), new L.Dense(10, { activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  return m;
}

/** The bits of every weight after 3 training steps, with Duet's kernels on or off. */
function train(custom: boolean): Uint32Array[] {
  useCustomKernels(custom);
  try {
    manualSeed(4);
    const m = cnn();
    const x = randn([16, 12, 12, 1]).keep();
    const y = randint(0, 10, [16]).keep();
    for (let s = 0; s < 3; s++) scope(() => m.trainOnBatch(x, y));
    x.dispose();
    y.dispose();
    const out = m.getWeights().map((w) => new Uint32Array(Float32Array.from(w.dataSync()).buffer));
    m.dispose();
    return out;
  } finally {
    useCustomKernels(true);
  }
}

describe('the Keras CNN with and without Duet\'s kernels', () => {
  it('ends with the same weights, bit for bit', () => {
    const stock = train(false);
    const custom = train(true);
    expect(custom.length).toBe(stock.length);
    custom.forEach((w, i) => expect(w).toEqual(stock[i]));
  });

  it.runIf(status.enabled)("runs Duet's kernels for the convs' bias and ReLU, the pooling and Adam", () => {
    manualSeed(0);
    const m = cnn();
    const x = randn([4, 12, 12, 1]).keep();
    const y = randint(0, 10, [4]).keep();
    scope(() => m.trainOnBatch(x, y));
    const { byName } = countKernels(() => scope(() => m.trainOnBatch(x, y)));
    // The Dense(16, relu) forward is one _FusedMatMul; its backward shares the convs' one-pass ReLU + bias gradient: 3.
    expect(byName).toMatchObject({ DuetBiasAddReluGrad: 3, DuetApplyAdam: 1 });
    // The convs' forward: oneDNN's fused convolution where TensorFlow has it, else Conv2D + DuetBiasAddRelu.
    expect(byName).toMatchObject(fusedConvSupported() ? { _MklNativeFusedConv2D: 2 } : { Conv2D: 2, DuetBiasAddRelu: 2 });
    // The unpadded pool trains on oneDNN's workspace kernels where TensorFlow has them (core's kernels/nn.ts); the 'same' one on Duet's.
    if (oneDnnPoolingSupported()) expect(byName).toMatchObject({ _MklNativeMaxPool: 1, _MklNativeMaxPoolGrad: 1, DuetMaxPool: 1, DuetMaxPoolGrad: 1 });
    else expect(byName).toMatchObject({ DuetMaxPool: 2, DuetMaxPoolGrad: 2 });
    expect(byName.ReluGrad).toBeUndefined();
    for (const k of ['MaxPool', 'MaxPoolGrad', 'ResourceApplyAdam']) expect(byName[k]).toBeUndefined();
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
