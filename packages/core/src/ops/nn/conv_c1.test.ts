/**
 * DuetConv2DC1 and DuetConv2DBackpropFilterC1 (native/ops/conv_c1.cc): a
 * convolution whose input has one channel, with its bias and ReLU, and its
 * filter gradient, against TensorFlow's Conv2D + BiasAdd + Relu and
 * Conv2DBackpropFilter (the same sums in another order: compared to float
 * rounding), over the paths inside the kernels: 3x3 windows with 8 and 16
 * channel blocks and a tail, other windows, strides, padding on every side;
 * the ReLU's +0 and NaN; through conv2d (NHWC and NCHW, Keras's and PyTorch's
 * first conv), kernel counts, typed errors and leaks.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../../../../../test/helpers.js';
import { countKernels, customKernelStatus, functional as F, manualSeed, randn, scope, useCustomKernels, useOneChannelConv, type Tensor } from '../../index.js';
import { intAttr, runOp, stringAttr, tf, typeAttr } from '../../engine.js';
import * as K from '../../kernels/nn.js';

const status = customKernelStatus();

/** [name, NHWC input shape, filter [kH, kW, 1, C], stride, pads [top, bottom, left, right]]. */
const cases: [string, number[], number[], [number, number], [number, number, number, number]][] = [
  ['the Keras CNN\'s first conv: 28x28, 3x3, 32 channels', [8, 28, 28, 1], [3, 3, 1, 32], [1, 1], [0, 0, 0, 0]],
  ['3x3, 24 channels (a block of 16, of 8)', [3, 12, 11, 1], [3, 3, 1, 24], [1, 1], [0, 0, 0, 0]],
  ['3x3, 13 channels (blocks and a tail)', [3, 10, 10, 1], [3, 3, 1, 13], [1, 1], [0, 0, 0, 0]],
  ['3x3, 5 channels (tail only)', [2, 9, 8, 1], [3, 3, 1, 5], [1, 1], [0, 0, 0, 0]],
  ["3x3 padding 1 ('same'), 32 channels", [2, 10, 12, 1], [3, 3, 1, 32], [1, 1], [1, 1, 1, 1]],
  ['3x3 stride 2, padding after only', [2, 11, 10, 1], [3, 3, 1, 16], [2, 2], [0, 1, 0, 1]],
  ['5x5 padding 2 (LeNet), 6 channels', [2, 14, 14, 1], [5, 5, 1, 6], [1, 1], [2, 2, 2, 2]],
  ['4x3 stride [2, 3], uneven padding', [2, 13, 17, 1], [4, 3, 1, 10], [2, 3], [2, 0, 1, 2]],
  ['a window larger than the image with padding', [1, 2, 2, 1], [3, 3, 1, 16], [1, 1], [1, 1, 1, 1]],
];

describe.runIf(status.enabled)('DuetConv2DC1 and DuetConv2DBackpropFilterC1 against Conv2D, BiasAdd, Relu and Conv2DBackpropFilter', () => {
  it.each(cases)('%s', (_, xShape, fShape, stride, pads) => {
    const T = tf();
    const win: K.Window = { stride, dilation: [1, 1], pads };
    const x = T.randomNormal(xShape);
    const ho = Math.floor((xShape[1]! + pads[0] + pads[1] - fShape[0]!) / stride[0]) + 1;
    const wo = Math.floor((xShape[2]! + pads[2] + pads[3] - fShape[1]!) / stride[1]) + 1;
    const dy = T.randomNormal([xShape[0]!, ho, wo, fShape[3]!]);
    const ours = K.conv2dBackpropFilter(x, fShape, dy, win);
    useCustomKernels(false);
    let stock;
    try {
      stock = K.conv2dBackpropFilter(x, fShape, dy, win);
    } finally {
      useCustomKernels(true);
    }
    expect(ours.shape).toEqual(fShape);
    const scale = Math.max(...Array.from(stock.dataSync(), Math.abs));
    expectClose(Array.from(ours.dataSync()), Array.from(stock.dataSync()), { atol: 1e-5 * scale, rtol: 1e-5 });
    for (const t of [x, dy, ours, stock]) t.dispose();
  });

  it.each(cases)('forward, %s: Conv2D + BiasAdd (+ Relu) to rounding', (_, xShape, fShape, stride, pads) => {
    const T = tf();
    const win: K.Window = { stride, dilation: [1, 1], pads };
    const x = T.randomNormal(xShape);
    const w = T.randomNormal(fShape);
    const b = T.randomNormal([fShape[3]!]);
    for (const relu of [false, true]) {
      const ours = K.conv2dC1(x, w, b, win, relu);
      const stock = T.tidy(() => {
        useCustomKernels(false);
        try {
          const z = K.biasAdd(K.conv2d(x, w, win), b);
          return relu ? T.relu(z) : z;
        } finally {
          useCustomKernels(true);
        }
      });
      expect(ours.shape).toEqual(stock.shape);
      expectClose(Array.from(ours.dataSync()), Array.from(stock.dataSync()), { atol: 1e-5, rtol: 1e-5 });
      ours.dispose();
      stock.dispose();
    }
    for (const t of [x, w, b]) t.dispose();
  });

  it('forward ReLU: +0 for a zero of either sign, a NaN kept (as DuetBiasAddRelu), on the vector paths and the plain one', () => {
    const T = tf();
    const win: K.Window = { stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0] };
    // A 3x3 input of ones and a 3x3 filter (one output position, on the 3x3 vector paths), 27 channels
    // (16 + 8 + 3: an AVX-512 block where the CPU has it, an AVX2 block, the plain tail). Per channel c, by c % 5:
    // all taps -0 and bias -0 (a -0 sum); all +0, bias -0; a NaN tap; taps summing to 2, bias -3; 5 and bias 0.
    const C = 27;
    const tap0 = [-0, 0, NaN, 2, 5];
    const rest = [-0, 0, 0, 0, 0];
    const bias = [-0, -0, 0, -3, 0];
    const wv: number[] = [];
    for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) wv.push(t === 0 ? tap0[c % 5]! : rest[c % 5]!);
    const w = T.tensor4d(wv, [3, 3, 1, C]);
    const b = T.tensor1d(Array.from({ length: C }, (_, c) => bias[c % 5]!));
    const x = T.ones([1, 3, 3, 1]);
    const y = K.conv2dC1(x, w, b, win, true);
    const bits = new Uint32Array(Float32Array.from(y.dataSync()).buffer);
    const nan = new Uint32Array(Float32Array.of(NaN).buffer)[0];
    const five = new Uint32Array(Float32Array.of(5).buffer)[0];
    Array.from(bits).forEach((v, c) => expect(v).toBe([0, 0, nan, 0, five][c % 5]));
    for (const t of [w, b, x, y]) t.dispose();
  });

  it('rejects an input with more than one channel and a gradient of the wrong shape, with typed errors saying what was expected', () => {
    const T = tf();
    const win: K.Window = { stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0] };
    const x = T.zeros([2, 6, 6, 1]);
    const x3 = T.zeros([2, 6, 6, 3]);
    const bad = T.zeros([2, 4, 5, 8]);
    const attrs = () => K.conv2dBackpropFilter(x, [3, 3, 1, 8], bad, win);
    try {
      expect(attrs).toThrow(/DuetConv2DBackpropFilterC1: out_backprop must have the conv output's shape \[2,4,4,8\] for input \[2,6,6,1\] and filter \[3,3,1,8\], received \[2,4,5,8\]/);
      // A 3-channel input never reaches the kernel (conv2d sends it to Conv2DBackpropFilter); called directly, it is refused.
      expect(() => runOp('DuetConv2DBackpropFilterC1', [typeAttr('T', 'float32'), intAttr('strides', [1, 1, 1, 1]), stringAttr('padding', 'VALID')], [x3, T.tensor1d([3, 3, 1, 8], 'int32'), T.zeros([2, 4, 4, 8])]))
        .toThrow(/DuetConv2DBackpropFilterC1: input must be \[N, H, W, 1\], received shape \[2,6,6,3\]/);
      expect(() => K.conv2dC1(x, T.zeros([3, 3, 1, 8]), T.zeros([4]), win, true)).toThrow(/DuetConv2DC1: bias must be \[8\] \(the filter's output channels\), received shape \[4\]/);
    } finally {
      for (const t of [x, x3, bad]) t.dispose();
    }
  });
});

/** conv2d's filter gradient (and kernel counts) with Duet's one-channel kernel on or off. */
function filterGrad(on: boolean, nchw: boolean): { y: Float32Array; dw: Float32Array; db: Float32Array; kernels: Record<string, number> } {
  useOneChannelConv(on);
  try {
    return scope(() => {
      manualSeed(3);
      const x = randn(nchw ? [4, 1, 14, 14] : [4, 14, 14, 1]);
      const w = randn(nchw ? [8, 1, 3, 3] : [3, 3, 1, 8], { requiresGrad: true });
      const b = randn([8], { requiresGrad: true });
      const up = randn(nchw ? [4, 8, 12, 12] : [4, 12, 12, 8]);
      let y: Float32Array = new Float32Array();
      const { byName } = countKernels(() => {
        const out = F.conv2d(x, w, b, { dataFormat: nchw ? 'NCHW' : 'NHWC' }) as Tensor;
        y = Float32Array.from(out.dataSync());
        out.mul(up).sum().backward();
      });
      return { y, dw: Float32Array.from(w.grad!.dataSync()), db: Float32Array.from(b.grad!.dataSync()), kernels: byName };
    });
  } finally {
    useOneChannelConv(true);
  }
}

describe.runIf(status.enabled)('conv2d with one input channel', () => {
  it.each([['NHWC (Keras)', false], ['NCHW (PyTorch)', true]] as const)('%s: the forward on DuetConv2DC1 and the filter gradient on DuetConv2DBackpropFilterC1, the same values to rounding', (_, nchw) => {
    filterGrad(true, nchw); // the first call probes oneDNN's kernels once per process: not counted
    const on = filterGrad(true, nchw);
    const off = filterGrad(false, nchw);
    expect(on.kernels).toMatchObject({ DuetConv2DC1: 1, DuetConv2DBackpropFilterC1: 1 });
    for (const k of ['Conv2D', '_MklNativeFusedConv2D', 'BiasAdd', 'Conv2DBackpropFilter']) expect(on.kernels[k]).toBeUndefined();
    expect(off.kernels.Conv2DBackpropFilter).toBe(1);
    expectClose(Array.from(on.y), Array.from(off.y), { atol: 1e-5, rtol: 1e-5 });
    expectClose(Array.from(on.dw), Array.from(off.dw), { atol: 1e-4, rtol: 1e-5 });
    expect(on.db).toEqual(off.db);
  });

  it('leaks no native tensor', () => {
    expectNoLeaks(() => void filterGrad(true, true));
    expectNoLeaks(() => void filterGrad(true, false));
  });
});
