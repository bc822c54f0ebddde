"""Golden data for @duet/keras's convolution, pooling, normalization, image
reshaping and augmentation layers, from Keras 3.15 + TensorFlow 2.21.

Run from the repository root with the reference venv:
    .venv-ref/bin/python test/golden/gen_keras_conv.py
Writes test/golden/keras_conv.json (read by keras_conv.test.ts). Each case
builds the layer on seeded inputs, sets seeded weights with `set_weights`,
calls it (in inference, or in training where that differs) and records the
output, the gradients of sum(output * upstream) for the inputs and trainable
weights, every weight after the call (BatchNormalization's moving
statistics) and `compute_output_shape`. The random image layers are recorded
with a fixed factor (lower == upper), so their training output is
deterministic. JS-side names are camelCase so the test builds the same layer.
"""
from keras_common import keras, np, rng, t, tf, write_fixture

L = keras.layers


def case(cid, cls, args, options, make, shapes, training=False, adapt=None):
    return dict(id=cid, cls=cls, args=args, options=options, make=make, shapes=shapes, training=training, adapt=adapt)


def layer_cases():
    C = case
    return [
        # ------------------------------------------------------------ conv
        C('conv2d/valid', 'Conv2D', [4, 3], {}, lambda: L.Conv2D(4, 3), [(2, 7, 7, 3)]),
        C('conv2d/same_stride2_relu', 'Conv2D', [5, 3], {'strides': 2, 'padding': 'same', 'activation': 'relu'},
          lambda: L.Conv2D(5, 3, strides=2, padding='same', activation='relu'), [(2, 8, 9, 3)]),
        C('conv2d/same_k4', 'Conv2D', [3, 4], {'padding': 'same'}, lambda: L.Conv2D(3, 4, padding='same'), [(1, 6, 6, 2)]),
        C('conv2d/dilation_same', 'Conv2D', [3, 3], {'dilationRate': 2, 'padding': 'same'},
          lambda: L.Conv2D(3, 3, dilation_rate=2, padding='same'), [(2, 9, 9, 2)]),
        C('conv2d/groups', 'Conv2D', [4, 3], {'groups': 2}, lambda: L.Conv2D(4, 3, groups=2), [(2, 6, 6, 4)]),
        C('conv2d/rect_nobias', 'Conv2D', [3, [2, 3]], {'strides': [1, 2], 'useBias': False},
          lambda: L.Conv2D(3, (2, 3), strides=(1, 2), use_bias=False), [(2, 6, 7, 2)]),
        C('conv1d/valid', 'Conv1D', [4, 3], {}, lambda: L.Conv1D(4, 3), [(2, 10, 3)]),
        C('conv1d/causal_dilated', 'Conv1D', [3, 3], {'padding': 'causal', 'dilationRate': 2},
          lambda: L.Conv1D(3, 3, padding='causal', dilation_rate=2), [(2, 10, 2)]),
        C('conv1d/same_stride3_tanh', 'Conv1D', [3, 4], {'strides': 3, 'padding': 'same', 'activation': 'tanh'},
          lambda: L.Conv1D(3, 4, strides=3, padding='same', activation='tanh'), [(2, 11, 2)]),
        C('conv2d_transpose/valid', 'Conv2DTranspose', [3, 3], {}, lambda: L.Conv2DTranspose(3, 3), [(2, 4, 4, 2)]),
        C('conv2d_transpose/same_s2', 'Conv2DTranspose', [3, 3], {'strides': 2, 'padding': 'same'},
          lambda: L.Conv2DTranspose(3, 3, strides=2, padding='same'), [(2, 4, 5, 2)]),
        C('conv2d_transpose/valid_s3_k2', 'Conv2DTranspose', [2, 2], {'strides': 3},
          lambda: L.Conv2DTranspose(2, 2, strides=3), [(1, 3, 3, 2)]),
        C('conv2d_transpose/same_k4_s2', 'Conv2DTranspose', [2, 4], {'strides': 2, 'padding': 'same'},
          lambda: L.Conv2DTranspose(2, 4, strides=2, padding='same'), [(1, 3, 3, 2)]),
        C('conv2d_transpose/same_outpad', 'Conv2DTranspose', [2, 3], {'strides': 2, 'padding': 'same', 'outputPadding': 1},
          lambda: L.Conv2DTranspose(2, 3, strides=2, padding='same', output_padding=1), [(1, 3, 4, 2)]),
        C('conv2d_transpose/valid_outpad', 'Conv2DTranspose', [2, 3], {'strides': 2, 'outputPadding': 1},
          lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=1), [(1, 3, 3, 2)]),
        C('conv2d_transpose/dilation', 'Conv2DTranspose', [2, 3], {'dilationRate': 2},
          lambda: L.Conv2DTranspose(2, 3, dilation_rate=2), [(1, 4, 4, 2)]),
        C('depthwise/valid', 'DepthwiseConv2D', [3], {}, lambda: L.DepthwiseConv2D(3), [(2, 6, 6, 3)]),
        C('depthwise/dm2_same_s2', 'DepthwiseConv2D', [3], {'depthMultiplier': 2, 'strides': 2, 'padding': 'same'},
          lambda: L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding='same'), [(2, 7, 7, 3)]),
        C('separable/same', 'SeparableConv2D', [4, 3], {'padding': 'same'}, lambda: L.SeparableConv2D(4, 3, padding='same'), [(2, 6, 6, 3)]),
        C('separable/dm2_s2_relu', 'SeparableConv2D', [5, 3], {'strides': 2, 'depthMultiplier': 2, 'activation': 'relu'},
          lambda: L.SeparableConv2D(5, 3, strides=2, depth_multiplier=2, activation='relu'), [(2, 7, 7, 2)]),
        # --------------------------------------------------------- pooling
        C('max_pooling2d/default', 'MaxPooling2D', [], {}, lambda: L.MaxPooling2D(), [(2, 6, 6, 3)]),
        C('max_pooling2d/same_k3_s2', 'MaxPooling2D', [3], {'strides': 2, 'padding': 'same'},
          lambda: L.MaxPooling2D(3, strides=2, padding='same'), [(2, 7, 8, 2)]),
        C('max_pooling2d/rect', 'MaxPooling2D', [[2, 3]], {'strides': [1, 2]}, lambda: L.MaxPooling2D((2, 3), strides=(1, 2)), [(1, 5, 7, 2)]),
        C('max_pooling2d/channels_first', 'MaxPooling2D', [2], {'dataFormat': 'channels_first'},
          lambda: L.MaxPooling2D(2, data_format='channels_first'), [(2, 3, 6, 4)]),
        C('average_pooling2d/k2', 'AveragePooling2D', [2], {}, lambda: L.AveragePooling2D(2), [(2, 6, 6, 3)]),
        C('average_pooling2d/same_k3_s2', 'AveragePooling2D', [3], {'strides': 2, 'padding': 'same'},
          lambda: L.AveragePooling2D(3, strides=2, padding='same'), [(2, 7, 8, 2)]),
        C('average_pooling2d/same_k2_s1', 'AveragePooling2D', [2], {'strides': 1, 'padding': 'same'},
          lambda: L.AveragePooling2D(2, strides=1, padding='same'), [(1, 5, 5, 2)]),
        C('max_pooling1d/default', 'MaxPooling1D', [], {}, lambda: L.MaxPooling1D(), [(2, 9, 3)]),
        C('max_pooling1d/same_k3_s2', 'MaxPooling1D', [3], {'strides': 2, 'padding': 'same'},
          lambda: L.MaxPooling1D(3, strides=2, padding='same'), [(2, 8, 3)]),
        C('average_pooling1d/k2', 'AveragePooling1D', [2], {}, lambda: L.AveragePooling1D(2), [(2, 9, 3)]),
        C('average_pooling1d/same_k3_s2', 'AveragePooling1D', [3], {'strides': 2, 'padding': 'same'},
          lambda: L.AveragePooling1D(3, strides=2, padding='same'), [(2, 8, 3)]),
        C('global_average_pooling2d/default', 'GlobalAveragePooling2D', [], {}, lambda: L.GlobalAveragePooling2D(), [(2, 4, 5, 3)]),
        C('global_average_pooling2d/keepdims', 'GlobalAveragePooling2D', [], {'keepdims': True},
          lambda: L.GlobalAveragePooling2D(keepdims=True), [(2, 4, 5, 3)]),
        C('global_max_pooling2d/default', 'GlobalMaxPooling2D', [], {}, lambda: L.GlobalMaxPooling2D(), [(2, 4, 5, 3)]),
        C('global_max_pooling2d/channels_first', 'GlobalMaxPooling2D', [], {'dataFormat': 'channels_first'},
          lambda: L.GlobalMaxPooling2D(data_format='channels_first'), [(2, 3, 4, 5)]),
        C('global_average_pooling1d/default', 'GlobalAveragePooling1D', [], {}, lambda: L.GlobalAveragePooling1D(), [(2, 6, 3)]),
        C('global_max_pooling1d/keepdims', 'GlobalMaxPooling1D', [], {'keepdims': True}, lambda: L.GlobalMaxPooling1D(keepdims=True), [(2, 6, 3)]),
        # ------------------------------------------------------- reshaping
        C('zero_padding2d/default', 'ZeroPadding2D', [], {}, lambda: L.ZeroPadding2D(), [(2, 3, 4, 2)]),
        C('zero_padding2d/asym', 'ZeroPadding2D', [[[1, 2], [0, 3]]], {}, lambda: L.ZeroPadding2D(((1, 2), (0, 3))), [(2, 3, 4, 2)]),
        C('up_sampling2d/nearest', 'UpSampling2D', [[2, 3]], {}, lambda: L.UpSampling2D((2, 3)), [(2, 3, 4, 2)]),
        C('up_sampling2d/bilinear', 'UpSampling2D', [2], {'interpolation': 'bilinear'},
          lambda: L.UpSampling2D(2, interpolation='bilinear'), [(2, 3, 4, 2)]),
        # --------------------------------------------------- normalization
        C('batch_normalization/inference', 'BatchNormalization', [], {}, lambda: L.BatchNormalization(), [(2, 5, 5, 3)]),
        C('batch_normalization/training', 'BatchNormalization', [], {}, lambda: L.BatchNormalization(), [(2, 5, 5, 3)], training=True),
        C('batch_normalization/training_2d', 'BatchNormalization', [], {'momentum': 0.9, 'epsilon': 1e-5},
          lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-5), [(6, 4)], training=True),
        C('batch_normalization/training_axis1_images', 'BatchNormalization', [], {'axis': 1},
          lambda: L.BatchNormalization(axis=1), [(2, 3, 4, 4)], training=True),
        C('batch_normalization/training_axis1_3d', 'BatchNormalization', [], {'axis': 1},
          lambda: L.BatchNormalization(axis=1), [(4, 3, 5)], training=True),
        C('batch_normalization/inference_axis1_3d', 'BatchNormalization', [], {'axis': 1},
          lambda: L.BatchNormalization(axis=1), [(4, 3, 5)]),
        C('batch_normalization/training_no_center_scale', 'BatchNormalization', [], {'center': False, 'scale': False},
          lambda: L.BatchNormalization(center=False, scale=False), [(8, 3)], training=True),
        C('layer_normalization/default', 'LayerNormalization', [], {}, lambda: L.LayerNormalization(), [(3, 4, 5)]),
        C('layer_normalization/axes12', 'LayerNormalization', [], {'axis': [1, 2]}, lambda: L.LayerNormalization(axis=[1, 2]), [(3, 4, 5)]),
        C('layer_normalization/axis1_nocenter', 'LayerNormalization', [], {'axis': 1, 'center': False, 'epsilon': 1e-5},
          lambda: L.LayerNormalization(axis=1, center=False, epsilon=1e-5), [(3, 4, 5)]),
        C('normalization/adapt', 'Normalization', [], {}, lambda: L.Normalization(), [(4, 3)], adapt=(10, 3)),
        C('normalization/adapt_axis_none', 'Normalization', [], {'axis': None}, lambda: L.Normalization(axis=None), [(4, 3)], adapt=(10, 3)),
        C('normalization/adapt_images_invert', 'Normalization', [], {'invert': True}, lambda: L.Normalization(invert=True), [(2, 3, 3, 2)], adapt=(5, 3, 3, 2)),
        C('normalization/fixed', 'Normalization', [], {'mean': [1.0, -2.0, 0.5], 'variance': [4.0, 0.25, 1.0]},
          lambda: L.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0]), [(4, 3)]),
        # ---------------------------------------- augmentation (fixed factor)
        C('random_rotation/quarter_turn', 'RandomRotation', [[0.25, 0.25]], {},
          lambda: L.RandomRotation((0.25, 0.25)), [(2, 5, 6, 2)], training=True),
        C('random_rotation/36deg_reflect', 'RandomRotation', [[0.1, 0.1]], {},
          lambda: L.RandomRotation((0.1, 0.1)), [(2, 6, 6, 1)], training=True),
        C('random_rotation/m50deg_constant', 'RandomRotation', [[-0.14, -0.14]], {'fillMode': 'constant', 'fillValue': 0.5},
          lambda: L.RandomRotation((-0.14, -0.14), fill_mode='constant', fill_value=0.5), [(1, 7, 5, 2)], training=True),
        C('random_rotation/wrap_nearest', 'RandomRotation', [[0.07, 0.07]], {'fillMode': 'wrap', 'interpolation': 'nearest'},
          lambda: L.RandomRotation((0.07, 0.07), fill_mode='wrap', interpolation='nearest'), [(1, 6, 7, 1)], training=True),
        C('random_rotation/inference', 'RandomRotation', [0.2], {}, lambda: L.RandomRotation(0.2), [(2, 5, 5, 1)]),
        C('random_zoom/in_reflect', 'RandomZoom', [[-0.3, -0.3]], {}, lambda: L.RandomZoom((-0.3, -0.3)), [(2, 6, 6, 1)], training=True),
        C('random_zoom/out_nearest_fill', 'RandomZoom', [[0.5, 0.5]], {'widthFactor': [0.2, 0.2], 'fillMode': 'nearest'},
          lambda: L.RandomZoom((0.5, 0.5), width_factor=(0.2, 0.2), fill_mode='nearest'), [(1, 7, 6, 2)], training=True),
        C('random_translation/reflect', 'RandomTranslation', [[0.2, 0.2], [-0.3, -0.3]], {},
          lambda: L.RandomTranslation((0.2, 0.2), (-0.3, -0.3)), [(2, 5, 6, 1)], training=True),
        C('random_translation/constant', 'RandomTranslation', [[-0.25, -0.25], [0.4, 0.4]], {'fillMode': 'constant'},
          lambda: L.RandomTranslation((-0.25, -0.25), (0.4, 0.4), fill_mode='constant'), [(1, 4, 5, 2)], training=True),
        C('random_flip/inference', 'RandomFlip', [], {}, lambda: L.RandomFlip(), [(2, 4, 4, 1)]),
    ]


def weight_values(layer, r):
    out = []
    for w in layer.weights:
        name = w.path.split('/')[-1]
        if 'variance' in name:
            out.append(r.uniform(0.5, 1.5, w.shape).astype(np.float32))
        elif name == 'count':
            out.append(np.zeros(w.shape, dtype=np.int64))
        else:
            out.append((r.standard_normal(w.shape) * 0.5).astype(np.float32))
    return out


def gen_cases():
    out = []
    for i, c in enumerate(layer_cases()):
        r = rng(3000 + i)
        layer = c['make']()
        xs = [tf.constant(r.standard_normal(s).astype(np.float32)) for s in c['shapes']]
        inp = xs if len(xs) > 1 else xs[0]
        adapt_data = None
        if c['adapt'] is not None:
            adapt_data = (r.standard_normal(c['adapt']) * 2 + 1).astype(np.float32)
            layer.adapt(adapt_data)
            weights = [w.numpy() for w in layer.weights]
        else:
            layer(inp, training=False)  # build
            weights = weight_values(layer, r)
            if weights:
                layer.set_weights(weights)
        with tf.GradientTape(persistent=True) as tape:
            for x in xs:
                tape.watch(x)
            y = layer(inp, training=c['training'])
            upstream = tf.constant(r.standard_normal(y.shape).astype(np.float32))
            s = tf.reduce_sum(y * upstream)
        # TF's registered gradient of ImageProjectiveTransformV3 resamples the upstream gradient with the
        # inverse transform, which is not the adjoint of the (bilinear, filled) resampling except for
        # whole-pixel shifts; Duet's is the exact adjoint of its gather. Only the outputs are compared.
        gx = [None if c['cls'].startswith('Random') else tape.gradient(s, x) for x in xs]
        gw = [tape.gradient(s, w) for w in layer.trainable_weights]
        shapes = [(None,) + tuple(s[1:]) for s in c['shapes']]
        out_shape = layer.compute_output_shape(shapes[0] if len(shapes) == 1 else shapes)
        out.append({
            'id': c['id'], 'cls': c['cls'], 'args': c['args'], 'options': c['options'], 'training': c['training'],
            'adapt': t(adapt_data) if adapt_data is not None else None,
            'inputs': [t(x) for x in xs], 'weights': [t(w) for w in weights],
            'weightNames': [w.path for w in layer.weights],
            'output': t(y), 'upstream': t(upstream),
            'inputGrads': [t(g) if g is not None else None for g in gx],
            'weightGrads': [t(g) if g is not None else None for g in gw],
            'weightsAfter': [t(w.numpy()) for w in layer.weights],
            'outputShape': list(out_shape),
        })
    return {'cases': out}


if __name__ == '__main__':
    write_fixture('keras_conv.json', gen_cases())
