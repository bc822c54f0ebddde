/**
 * The Keras CNN (Conv2D relu -> MaxPooling2D -> Conv2D relu -> MaxPooling2D
 * -> Flatten -> Dense relu -> Dense softmax, Adam) trained with Duet's own
 * kernels (DuetBiasAddRelu / DuetBiasAddReluGrad for the convs' bias and ReLU,
 * DuetMaxPool / DuetMaxPoolGrad or oneDNN's workspace pooling, DuetApplyAdam) and with TensorFlow's stock kernels only:
 * the same weights, bit for bit, after a few steps. With the pooling's
 * gradient through the ReLU and bias in one kernel (DuetMaxPoolGradArgmax, the
 * default), the bias gradients are summed in another order (float64), so the
 * weights agree to rounding instead; so with the filter gradient of the first
 * conv (one input channel) on DuetConv2DBackpropFilterC1.
 */
import { describe, expect, it } from 'vitest';
import { countKernels, customKernelStatus, fusedConvSupported, manualSeed, oneDnnPoolingSupported, randint, randn, scope, useArgmaxPooling, useCustomKernels, useOneChannelConv } from '@duet/core';
import { expectClose } from '../../../../../test/helpers.js';
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

/** The bits of every weight after 3 training steps, with Duet's kernels on or off (and those that sum in another order on or off). */
function train(custom: boolean, reordered = true): Uint32Array[] {
  useCustomKernels(custom);
  useArgmaxPooling(reordered);
  useOneChannelConv(reordered);
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
    useArgmaxPooling(true);
    useOneChannelConv(true);
  }
}

describe('the Keras CNN with and without Duet\'s kernels', () => {
  it('ends with the same weights, bit for bit (to rounding with the kernels that sum in another order)', () => {
    const stock = train(false);
    const custom = train(true, false);
    expect(custom.length).toBe(stock.length);
    custom.forEach((w, i) => expect(w).toEqual(stock[i]));
    const fused = train(true);
    const floats = (w: Uint32Array) => Array.from(new Float32Array(w.buffer));
    fused.forEach((w, i) => expectClose(floats(w), floats(stock[i]!), { atol: 1e-6, rtol: 1e-5 }));
  });

  it.runIf(status.enabled)("runs Duet's kernels for the convs' bias and ReLU, the pooling and Adam", () => {
    manualSeed(0);
    const m = cnn();
    const x = randn([4, 12, 12, 1]).keep();
    const y = randint(0, 10, [4]).keep();
    scope(() => m.trainOnBatch(x, y));
    const { byName } = countKernels(() => scope(() => m.trainOnBatch(x, y)));
    // The Dense(16, relu) forward is one _FusedMatMul, its backward one DuetBiasAddReluGrad; each pool's gradient
    // goes through its conv's ReLU and bias in one DuetMaxPoolGradArgmax.
    expect(byName).toMatchObject({ DuetBiasAddReluGrad: 1, DuetMaxPoolArgmax: 2, DuetMaxPoolGradArgmax: 2, DuetApplyAdam: 1 });
    // The first conv's filter gradient (one input channel) on Duet's kernel, the second's on TensorFlow's.
    expect(byName).toMatchObject({ DuetConv2DBackpropFilterC1: 1, Conv2DBackpropFilter: 1 });
    // The convs' forward: the first (one input channel) on Duet's DuetConv2DC1; the second on oneDNN's fused
    // convolution where TensorFlow has it, else Conv2D + DuetBiasAddRelu.
    expect(byName).toMatchObject({ DuetConv2DC1: 1 });
    expect(byName).toMatchObject(fusedConvSupported() ? { _MklNativeFusedConv2D: 1 } : { Conv2D: 1, DuetBiasAddRelu: 1 });
    expect(byName.ReluGrad).toBeUndefined();
    for (const k of ['MaxPool', 'MaxPoolGrad', 'DuetMaxPool', 'DuetMaxPoolGrad', '_MklNativeMaxPool', '_MklNativeMaxPoolGrad', 'ResourceApplyAdam']) expect(byName[k]).toBeUndefined();
    // Without that kernel: the unpadded pool trains on oneDNN's workspace kernels where TensorFlow has them
    // (core's kernels/nn.ts), the 'same' one on Duet's, and the convs' ReLU and bias gradients are DuetBiasAddReluGrad's.
    useArgmaxPooling(false);
    try {
      const { byName: separate } = countKernels(() => scope(() => m.trainOnBatch(x, y)));
      expect(separate).toMatchObject({ DuetBiasAddReluGrad: 3 });
      if (oneDnnPoolingSupported()) expect(separate).toMatchObject({ _MklNativeMaxPool: 1, _MklNativeMaxPoolGrad: 1, DuetMaxPool: 1, DuetMaxPoolGrad: 1 });
      else expect(separate).toMatchObject({ DuetMaxPool: 2, DuetMaxPoolGrad: 2 });
    } finally {
      useArgmaxPooling(true);
    }
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
