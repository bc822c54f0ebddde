/**
 * Convolution layers beyond the golden fixtures (test/golden/keras_conv.test.ts):
 * Keras's constructor errors, config round trips through the registry,
 * channels_first = channels_last transposed, and symbolic output shapes.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, noGrad, randn, type Tensor } from '@duet/core';
import * as keras from '../../index.js';
import { expectClose } from '../../../../../test/helpers.js';

const L = keras.layers;

function roundTrip(layer: keras.Layer): keras.Layer {
  const s = JSON.parse(JSON.stringify(keras.serialize('layer', layer as never)));
  const back = keras.deserialize<keras.Layer>('layer', s);
  expect(back.constructor).toBe(layer.constructor);
  expect(back.getConfig()).toEqual(layer.getConfig());
  return back;
}

describe('convolution layers', () => {
  it("validate their arguments with Keras's messages", () => {
    expect(() => new L.Conv2D(-1, 3)).toThrow('Invalid value for argument `filters`. Expected a strictly positive value. Received filters=-1.');
    expect(() => new L.Conv2D(4, 0)).toThrow('The `kernel_size` argument must be a tuple of 2 integers. Received kernel_size=0, including values {0} that do not satisfy `value > 0`');
    expect(() => new L.Conv2D(4, [3, 3, 3])).toThrow('The `kernel_size` argument must be a tuple of 2 integers. Received kernel_size=(3, 3, 3)');
    expect(() => new L.Conv2D(4, 3, { strides: 2, dilationRate: 2 })).toThrow('`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=(2, 2) and dilation_rate=(2, 2)');
    expect(() => new L.Conv2D(5, 3, { groups: 2 })).toThrow('The number of filters must be evenly divisible by the number of groups. Received: groups=2, filters=5.');
    expect(() => new L.Conv2D(4, 3, { padding: 'full' as never })).toThrow("The `padding` argument must be one of {'valid', 'same'}. Received: padding=full");
    expect(() => new L.Conv2D(4, 3, { padding: 'causal' as never })).toThrow(keras.KerasValueError);
    expect(() => new L.Conv2D(4, 3, { dataFormat: 'NHWC' as never })).toThrow("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: data_format=NHWC");
    expect(() => new L.Conv2DTranspose(4, 3, { strides: 2, outputPadding: 2 })).toThrow('`output_padding` must be strictly less than `strides` for all dimensions. At dimension 0, `output_padding` is 2 but `strides` is 2.');
    expect(() => new L.DepthwiseConv2D(3, { depthMultiplier: 0 })).toThrow('Invalid value for argument `depth_multiplier`. Expected a strictly positive value. Received depth_multiplier=0.');
    expect(() => new L.SeparableConv2D(0, 3)).toThrow('Received filters=0.');
    expect(() => new L.Conv2D(6, 3, { groups: 3 }).apply(randn([1, 5, 5, 4]))).toThrow('The number of input channels must be evenly divisible by the number of groups. Received groups=3, but the input has 4 channels');
  });

  it("get Keras's default names", () => {
    keras.utils.clearSession();
    expect([new L.Conv2D(1, 1), new L.Conv2D(1, 1), new L.Conv1D(1, 1), new L.Conv2DTranspose(1, 1), new L.SeparableConv2D(1, 1), new L.DepthwiseConv2D(1)].map((l) => l.name))
      .toEqual(['conv2d', 'conv2d_1', 'conv1d', 'conv2d_transpose', 'separable_conv2d', 'depthwise_conv2d']);
    expect([new L.MaxPooling2D(), new L.GlobalAveragePooling1D(), new L.ZeroPadding2D(), new L.UpSampling2D(), new L.BatchNormalization()].map((l) => l.name))
      .toEqual(['max_pooling2d', 'global_average_pooling1d', 'zero_padding2d', 'up_sampling2d', 'batch_normalization']);
  });

  it('check the input rank and channels', () => {
    const conv = new L.Conv2D(2, 3);
    conv.apply(randn([1, 5, 5, 3]));
    expect(() => conv.apply(randn([1, 5, 5, 4]))).toThrow('expected axis -1 of input shape to have value 3');
    expect(() => conv.apply(randn([5, 5, 3]))).toThrow('expected ndim=4, found ndim=3');
    expect(() => new L.Conv2D(2, 5).apply(randn([1, 3, 3, 1]))).toThrow('Computed output size would be negative. Received `inputs shape=(1, 3, 3, 1)`, `kernel shape=(5, 5)`');
  });

  it('round-trip their config through the registry', () => {
    roundTrip(new L.Conv2D(8, [3, 5], { strides: [1, 2], padding: 'same', activation: 'relu', useBias: false, kernelInitializer: 'he_normal', kernelRegularizer: { className: 'L2', config: { l2: 0.01 } } as never }));
    roundTrip(new L.Conv1D(4, 3, { padding: 'causal', dilationRate: 2, groups: 2 }));
    roundTrip(new L.Conv2DTranspose(4, 3, { strides: 2, padding: 'same', outputPadding: 1, dataFormat: 'channels_first' }));
    roundTrip(new L.DepthwiseConv2D(3, { depthMultiplier: 2, activation: 'tanh' }));
    const sep = roundTrip(new L.SeparableConv2D(6, 3, { depthMultiplier: 2, padding: 'same' })) as keras.layers.SeparableConv2D;
    expect(sep.filters).toBe(6);
    expect(new L.Conv2D(4, 3).getConfig()).toMatchObject({ kernelSize: [3, 3], strides: [1, 1], padding: 'valid', dataFormat: 'channels_last', dilationRate: [1, 1], groups: 1, useBias: true });
  });

  it("channels_first computes channels_last's values on transposed inputs", () => {
    manualSeed(0);
    const x = randn([2, 9, 8, 3]);
    const xt = x.permute([0, 3, 1, 2]);
    const pairs: [keras.Layer, keras.Layer][] = [
      [new L.Conv2D(4, 3, { strides: 2, padding: 'same' }), new L.Conv2D(4, 3, { strides: 2, padding: 'same', dataFormat: 'channels_first' })],
      [new L.Conv2DTranspose(2, 3, { strides: 2, padding: 'same' }), new L.Conv2DTranspose(2, 3, { strides: 2, padding: 'same', dataFormat: 'channels_first' })],
      [new L.DepthwiseConv2D(3, { depthMultiplier: 2 }), new L.DepthwiseConv2D(3, { depthMultiplier: 2, dataFormat: 'channels_first' })],
      [new L.SeparableConv2D(5, 3), new L.SeparableConv2D(5, 3, { dataFormat: 'channels_first' })],
    ];
    for (const [last, first] of pairs) {
      const yl = last.apply(x);
      first.apply(xt);
      first.setWeights(last.getWeights());
      const yf = noGrad(() => first.apply(xt) as Tensor);
      expectClose(yf.permute([0, 2, 3, 1]), yl, { atol: 1e-5, message: last.constructor.name });
    }
    const c1 = randn([2, 3, 10]);
    const l1 = new L.Conv1D(4, 3, { padding: 'same' });
    const f1 = new L.Conv1D(4, 3, { padding: 'same', dataFormat: 'channels_first' });
    const y1 = l1.apply(c1.permute([0, 2, 1]));
    f1.apply(c1);
    f1.setWeights(l1.getWeights());
    expectClose(f1.apply(c1).permute([0, 2, 1]), y1, { atol: 1e-5 });
  });

  it('give symbolic output shapes in functional models', () => {
    const inp = keras.Input({ shape: [28, 28, 1] });
    const a = new L.Conv2D(32, 3).apply(inp);
    expect(a.shape).toEqual([null, 26, 26, 32]);
    const b = new L.Conv2DTranspose(8, 3, { strides: 2, padding: 'same' }).apply(a);
    expect(b.shape).toEqual([null, 52, 52, 8]);
    const c = new L.SeparableConv2D(4, 3, { strides: 2, padding: 'same' }).apply(b);
    expect(c.shape).toEqual([null, 26, 26, 4]);
    const seq = keras.Input({ shape: [null, 6] });
    expect(new L.Conv1D(3, 3, { padding: 'causal' }).apply(seq).shape).toEqual([null, null, 3]);
  });
});
