"""Golden data for @duet/keras's foundation, from Keras 3.15 + TensorFlow 2.21.

Run from the repository root with the reference venv:
    .venv-ref/bin/python test/golden/gen_keras.py            # every group
    .venv-ref/bin/python test/golden/gen_keras.py layers     # one group
Each group writes test/golden/keras_<group>.json (read by keras_<group>.test.ts).
JS-side names (class names, constructor arguments and options) are written
in Duet's camelCase so the test builds the same object without a mapping.
"""
import sys

from keras_common import keras, np, rng, t, tf, write_fixture

L = keras.layers


# --------------------------------------------------------------- layers
def layer_cases():
    """(id, JS class, JS positional args, JS options, Keras constructor, input shapes)."""
    acts = ['relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'silu', 'gelu', 'exponential',
            'leaky_relu', 'hard_sigmoid', 'relu6', 'log_softmax', 'mish', 'linear']
    cases = [
        ('dense/default', 'Dense', [5], {}, lambda: L.Dense(5), [(4, 3)]),
        ('dense/relu', 'Dense', [4], {'activation': 'relu'}, lambda: L.Dense(4, activation='relu'), [(6, 5)]),
        ('dense/softmax', 'Dense', [3], {'activation': 'softmax'}, lambda: L.Dense(3, activation='softmax'), [(4, 5)]),
        ('dense/tanh_nobias', 'Dense', [4], {'activation': 'tanh', 'useBias': False}, lambda: L.Dense(4, activation='tanh', use_bias=False), [(3, 2)]),
        ('dense/3d_sigmoid', 'Dense', [5], {'activation': 'sigmoid'}, lambda: L.Dense(5, activation='sigmoid'), [(2, 3, 4)]),
        ('dropout/inference', 'Dropout', [0.5], {}, lambda: L.Dropout(0.5), [(3, 4)]),
        ('flatten/3d', 'Flatten', [], {}, lambda: L.Flatten(), [(2, 3, 4)]),
        ('reshape/fixed', 'Reshape', [[4, 3]], {}, lambda: L.Reshape((4, 3)), [(2, 3, 4)]),
        ('reshape/minus1', 'Reshape', [[-1, 2]], {}, lambda: L.Reshape((-1, 2)), [(2, 3, 4)]),
        ('permute/21', 'Permute', [[2, 1]], {}, lambda: L.Permute((2, 1)), [(2, 3, 4)]),
        ('permute/312', 'Permute', [[3, 1, 2]], {}, lambda: L.Permute((3, 1, 2)), [(2, 3, 4, 5)]),
        ('repeat_vector/3', 'RepeatVector', [3], {}, lambda: L.RepeatVector(3), [(2, 4)]),
        ('rescaling/offset', 'Rescaling', [1 / 255], {'offset': -1}, lambda: L.Rescaling(1 / 255, offset=-1), [(3, 4)]),
        ('add/3', 'Add', [], {}, lambda: L.Add(), [(3, 4), (3, 4), (3, 4)]),
        ('add/broadcast', 'Add', [], {}, lambda: L.Add(), [(3, 4), (3, 1)]),
        ('subtract', 'Subtract', [], {}, lambda: L.Subtract(), [(3, 4), (3, 4)]),
        ('multiply', 'Multiply', [], {}, lambda: L.Multiply(), [(3, 4), (3, 4)]),
        ('average', 'Average', [], {}, lambda: L.Average(), [(3, 4), (3, 4), (3, 4)]),
        ('maximum', 'Maximum', [], {}, lambda: L.Maximum(), [(3, 4), (3, 4)]),
        ('minimum', 'Minimum', [], {}, lambda: L.Minimum(), [(3, 4), (3, 4)]),
        ('concatenate/last', 'Concatenate', [], {}, lambda: L.Concatenate(), [(3, 4), (3, 2)]),
        ('concatenate/axis1', 'Concatenate', [], {'axis': 1}, lambda: L.Concatenate(axis=1), [(2, 3, 4), (2, 5, 4)]),
        ('dot/2d', 'Dot', [1], {}, lambda: L.Dot(axes=1), [(3, 4), (3, 4)]),
        ('dot/2d_normalize', 'Dot', [1], {'normalize': True}, lambda: L.Dot(axes=1, normalize=True), [(3, 4), (3, 4)]),
        ('dot/3d_axes22', 'Dot', [[2, 2]], {}, lambda: L.Dot(axes=(2, 2)), [(2, 3, 4), (2, 5, 4)]),
        ('dot/3d_axes11', 'Dot', [[1, 1]], {}, lambda: L.Dot(axes=(1, 1)), [(2, 3, 4), (2, 3, 5)]),
        ('relu/max_slope_threshold', 'ReLU', [], {'maxValue': 1.5, 'negativeSlope': 0.1, 'threshold': 0.5}, lambda: L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5), [(4, 6)]),
        ('relu/max_value', 'ReLU', [], {'maxValue': 1.0}, lambda: L.ReLU(max_value=1.0), [(4, 6)]),
        ('relu/slope', 'ReLU', [], {'negativeSlope': 0.2}, lambda: L.ReLU(negative_slope=0.2), [(4, 6)]),
        ('relu/slope_max', 'ReLU', [], {'negativeSlope': 0.2, 'maxValue': 1.0}, lambda: L.ReLU(negative_slope=0.2, max_value=1.0), [(4, 6)]),
        ('softmax/axis1', 'Softmax', [], {'axis': 1}, lambda: L.Softmax(axis=1), [(2, 3, 4)]),
        ('softmax/axes12', 'Softmax', [], {'axis': [1, 2]}, lambda: L.Softmax(axis=(1, 2)), [(2, 3, 4)]),
        ('leaky_relu/default', 'LeakyReLU', [], {}, lambda: L.LeakyReLU(), [(3, 5)]),
        ('elu/alpha', 'ELU', [], {'alpha': 0.5}, lambda: L.ELU(alpha=0.5), [(3, 5)]),
        ('prelu/default', 'PReLU', [], {}, lambda: L.PReLU(), [(3, 5)]),
        ('prelu/shared', 'PReLU', [], {'sharedAxes': [1]}, lambda: L.PReLU(shared_axes=[1]), [(2, 3, 4)]),
        # ('int', shape, high): integer inputs in [0, high)
        ('embedding/2d', 'Embedding', [10, 4], {}, lambda: L.Embedding(10, 4), [('int', (3, 5), 10)]),
        ('embedding/1d', 'Embedding', [7, 3], {}, lambda: L.Embedding(7, 3), [('int', (6,), 7)]),
    ]
    for a in acts:
        cases.append((f'activation/{a}', 'Activation', [a], {}, (lambda a=a: L.Activation(a)), [(3, 5)]))
        cases.append((f'dense_activation/{a}', 'Dense', [4], {'activation': a}, (lambda a=a: L.Dense(4, activation=a)), [(3, 5)]))
    return cases


def gen_layers():
    out = []
    for i, (cid, cls, args, options, make, shapes) in enumerate(layer_cases()):
        r = rng(1000 + i)
        layer = make()
        xs = [tf.constant(r.integers(0, s[2], size=s[1]).astype(np.int32)) if s[0] == 'int' else tf.constant(r.standard_normal(s).astype(np.float32)) for s in shapes]
        shapes = [s[1] if s[0] == 'int' else s for s in shapes]
        inp = xs if len(xs) > 1 else xs[0]
        layer(inp)  # build
        weights = [(r.standard_normal(w.shape) * 0.5).astype(np.float32) for w in layer.get_weights()]
        layer.set_weights(weights)
        with tf.GradientTape(persistent=True) as tape:
            for x in xs:
                tape.watch(x)
            y = layer(inp, training=False)
            upstream = tf.constant(r.standard_normal(y.shape).astype(np.float32))
            s = tf.reduce_sum(y * upstream)
        gx = [tape.gradient(s, x) if x.dtype == tf.float32 else None for x in xs]
        # Embedding's gradient is sparse (IndexedSlices): densify it.
        gw = [tf.convert_to_tensor(g) if g is not None else None for g in (tape.gradient(s, w) for w in layer.trainable_weights)]
        out.append({
            'id': cid, 'cls': cls, 'args': args, 'options': options,
            'inputs': [t(x) for x in xs], 'weights': [t(w) for w in weights],
            'weightNames': [w.path for w in layer.weights],
            'output': t(y), 'upstream': t(upstream),
            'inputGrads': [t(g) if g is not None else None for g in gx],
            'weightGrads': [t(g) if g is not None else None for g in gw],
            'outputShape': [d for d in layer.compute_output_shape(tuple((None,) + tuple(s[1:]) for s in shapes) if len(shapes) > 1 else (None,) + tuple(shapes[0][1:]))] if cls not in ('Dropout',) else None,
        })
    return {'cases': out}


# ---------------------------------------------------------------- train
def data(seed, n=64, d=8, classes=3):
    r = rng(seed)
    x = r.standard_normal((n, d)).astype(np.float32)
    w = r.standard_normal((d, classes)).astype(np.float32)
    y = np.argmax(x @ w + 0.5 * r.standard_normal((n, classes)), axis=1).astype(np.int32)
    return x, y


def mlp(out_units, out_act, hidden=6, d=8, kernel_regularizer=None, kernel_constraint=None, activity_regularizer=None):
    return keras.Sequential([
        keras.Input((d,)),
        L.Dense(hidden, activation='relu', kernel_regularizer=kernel_regularizer, kernel_constraint=kernel_constraint, activity_regularizer=activity_regularizer),
        L.Dense(out_units, activation=out_act),
    ])


def init_weights(model, seed):
    r = rng(seed)
    ws = [(r.standard_normal(w.shape) * 0.4).astype(np.float32) for w in model.get_weights()]
    model.set_weights(ws)
    return ws


def optimizer_cases():
    """(id, JS optimizer spec (name or {className, config} in camelCase), Keras optimizer)."""
    O = keras.optimizers
    S = O.schedules
    return [
        ('sgd', 'sgd', lambda: 'sgd'),
        ('sgd_momentum', {'className': 'SGD', 'config': {'learningRate': 0.05, 'momentum': 0.9}}, lambda: O.SGD(0.05, momentum=0.9)),
        ('sgd_nesterov', {'className': 'SGD', 'config': {'learningRate': 0.05, 'momentum': 0.9, 'nesterov': True}}, lambda: O.SGD(0.05, momentum=0.9, nesterov=True)),
        ('adam', 'adam', lambda: 'adam'),
        ('adam_amsgrad', {'className': 'Adam', 'config': {'learningRate': 0.01, 'amsgrad': True}}, lambda: O.Adam(0.01, amsgrad=True)),
        ('adamw', 'adamw', lambda: 'adamw'),
        ('adamw_wd', {'className': 'AdamW', 'config': {'learningRate': 0.01, 'weightDecay': 0.1}}, lambda: O.AdamW(0.01, weight_decay=0.1)),
        ('rmsprop', 'rmsprop', lambda: 'rmsprop'),
        ('rmsprop_momentum', {'className': 'RMSprop', 'config': {'learningRate': 0.01, 'momentum': 0.9}}, lambda: O.RMSprop(0.01, momentum=0.9)),
        ('rmsprop_centered', {'className': 'RMSprop', 'config': {'learningRate': 0.01, 'centered': True}}, lambda: O.RMSprop(0.01, centered=True)),
        ('adagrad', 'adagrad', lambda: 'adagrad'),
        ('adagrad_lr', {'className': 'Adagrad', 'config': {'learningRate': 0.1}}, lambda: O.Adagrad(0.1)),
        ('nadam', 'nadam', lambda: 'nadam'),
        ('nadam_lr', {'className': 'Nadam', 'config': {'learningRate': 0.01}}, lambda: O.Nadam(0.01)),
        ('sgd_clipnorm', {'className': 'SGD', 'config': {'learningRate': 0.5, 'clipnorm': 0.1}}, lambda: O.SGD(0.5, clipnorm=0.1)),
        ('sgd_clipvalue', {'className': 'SGD', 'config': {'learningRate': 0.5, 'clipvalue': 0.01}}, lambda: O.SGD(0.5, clipvalue=0.01)),
        ('adam_global_clipnorm', {'className': 'Adam', 'config': {'learningRate': 0.01, 'globalClipnorm': 0.1}}, lambda: O.Adam(0.01, global_clipnorm=0.1)),
        ('sgd_weight_decay', {'className': 'SGD', 'config': {'learningRate': 0.1, 'weightDecay': 0.05}}, lambda: O.SGD(0.1, weight_decay=0.05)),
        ('sgd_exponential_decay', {'className': 'SGD', 'config': {'learningRate': {'className': 'ExponentialDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 3, 'decayRate': 0.5}}, 'momentum': 0.5}},
         lambda: O.SGD(S.ExponentialDecay(0.1, 3, 0.5), momentum=0.5)),
        ('sgd_piecewise', {'className': 'SGD', 'config': {'learningRate': {'className': 'PiecewiseConstantDecay', 'config': {'boundaries': [3, 7], 'values': [0.1, 0.05, 0.01]}}}},
         lambda: O.SGD(S.PiecewiseConstantDecay([3, 7], [0.1, 0.05, 0.01]))),
        ('adam_cosine_warmup', {'className': 'Adam', 'config': {'learningRate': {'className': 'CosineDecay', 'config': {'initialLearningRate': 0.0, 'decaySteps': 8, 'alpha': 0.1, 'warmupTarget': 0.01, 'warmupSteps': 4}}}},
         lambda: O.Adam(S.CosineDecay(0.0, 8, alpha=0.1, warmup_target=0.01, warmup_steps=4))),
        ('sgd_inverse_time', {'className': 'SGD', 'config': {'learningRate': {'className': 'InverseTimeDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 2, 'decayRate': 0.5, 'staircase': True}}}},
         lambda: O.SGD(S.InverseTimeDecay(0.1, 2, 0.5, staircase=True))),
    ]


def fit_record(model, x, y, epochs, batch_size, **kw):
    h = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0, **kw)
    return {'history': {k: [float(v) for v in vs] for k, vs in h.history.items()}, 'historyKeys': list(h.history.keys()),
            'weights': [t(w) for w in model.get_weights()]}


def gen_train():
    x, y = data(7)
    cases = []
    # Every optimizer on the seed's model shape (Dense relu + Dense softmax, sparse CE, accuracy).
    for i, (cid, js, make) in enumerate(optimizer_cases()):
        model = mlp(3, 'softmax')
        ws = init_weights(model, 100 + i)
        model.compile(optimizer=make(), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        rec = fit_record(model, x, y, epochs=3, batch_size=16)
        cases.append({'id': f'optimizer/{cid}', 'model': 'mlp', 'outUnits': 3, 'outActivation': 'softmax', 'compile': {'optimizer': js, 'loss': 'sparse_categorical_crossentropy', 'metrics': ['accuracy']},
                      'fit': {'epochs': 3, 'batchSize': 16}, 'init': [t(w) for w in ws], 'y': 'sparse', **rec,
                      'evaluate': [float(v) for v in model.evaluate(x, y, verbose=0)]})
    # Losses and metrics.
    y_onehot = np.eye(3, dtype=np.float32)[y]
    y_bin = (y == 0).astype(np.float32).reshape(-1, 1)
    y_reg = (x[:, :2] @ np.array([[0.5, -1.0], [1.5, 0.2]], dtype=np.float32)).astype(np.float32)
    loss_cases = [
        ('scce_logits', 3, None, 'sparse', {'className': 'SparseCategoricalCrossentropy', 'config': {'fromLogits': True}}, keras.losses.SparseCategoricalCrossentropy(from_logits=True), ['accuracy', 'sparse_top_k_categorical_accuracy']),
        ('cce_softmax', 3, 'softmax', 'onehot', 'categorical_crossentropy', 'categorical_crossentropy', ['accuracy', 'top_k_categorical_accuracy', 'categorical_crossentropy']),
        ('cce_logits_smoothing', 3, None, 'onehot', {'className': 'CategoricalCrossentropy', 'config': {'fromLogits': True, 'labelSmoothing': 0.1}},
         keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), ['categorical_accuracy']),
        ('bce_sigmoid', 1, 'sigmoid', 'binary', 'binary_crossentropy', 'binary_crossentropy', ['accuracy', 'auc', 'precision', 'recall']),
        ('bce_logits', 1, None, 'binary', {'className': 'BinaryCrossentropy', 'config': {'fromLogits': True}}, keras.losses.BinaryCrossentropy(from_logits=True), ['binary_accuracy']),
        ('mse', 2, None, 'regression', 'mse', 'mse', ['mae', 'root_mean_squared_error']),
        ('mae', 2, None, 'regression', 'mean_absolute_error', 'mean_absolute_error', ['mse']),
        ('huber', 2, None, 'regression', 'huber', 'huber', ['mean_squared_error']),
        ('scce_probs_plain', 3, 'softmax', 'sparse', 'sparse_categorical_crossentropy', 'sparse_categorical_crossentropy', ['sparse_categorical_accuracy']),
    ]
    targets = {'sparse': y, 'onehot': y_onehot, 'binary': y_bin, 'regression': y_reg}
    for i, (cid, units, act, ykind, js_loss, py_loss, metrics) in enumerate(loss_cases):
        model = mlp(units, act)
        ws = init_weights(model, 300 + i)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=py_loss, metrics=metrics)
        rec = fit_record(model, x, targets[ykind], epochs=3, batch_size=16)
        cases.append({'id': f'loss/{cid}', 'model': 'mlp', 'outUnits': units, 'outActivation': act, 'y': ykind,
                      'compile': {'optimizer': {'className': 'Adam', 'config': {'learningRate': 0.01}}, 'loss': js_loss, 'metrics': metrics},
                      'fit': {'epochs': 3, 'batchSize': 16}, 'init': [t(w) for w in ws], **rec,
                      'evaluate': [float(v) for v in model.evaluate(x, targets[ykind], verbose=0)]})
    # fit options: validation split, sample weights, class weights, regularizer + constraint, batch size not dividing n.
    sw = rng(5).uniform(0.2, 2.0, size=(64,)).astype(np.float32)
    extra = [
        ('validation_split', {}, dict(validation_split=0.25), {'validationSplit': 0.25}),
        ('sample_weight', {}, dict(sample_weight=sw), {'sampleWeight': t(sw)}),
        ('class_weight', {}, dict(class_weight={0: 1.0, 1: 2.0, 2: 0.5}), {'classWeight': {'0': 1.0, '1': 2.0, '2': 0.5}}),
        ('l2_maxnorm', dict(kernel_regularizer=keras.regularizers.L2(0.01), kernel_constraint=keras.constraints.MaxNorm(1.0)), {}, {}),
        ('activity_l1', dict(activity_regularizer=keras.regularizers.L1(0.01)), {}, {}),
        ('batch_size_24', {}, dict(batch_size=24), {'batchSize': 24}),
    ]
    for i, (cid, mkw, fkw, jsfit) in enumerate(extra):
        model = mlp(3, 'softmax', **mkw)
        ws = init_weights(model, 500 + i)
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        bs = fkw.pop('batch_size', 16)
        rec = fit_record(model, x, y, epochs=3, batch_size=bs, **fkw)
        cases.append({'id': f'fit/{cid}', 'model': 'mlp', 'outUnits': 3, 'outActivation': 'softmax', 'y': 'sparse',
                      'modelOptions': {'l2': 0.01, 'maxNorm': 1.0} if cid == 'l2_maxnorm' else {'activityL1': 0.01} if cid == 'activity_l1' else {},
                      'compile': {'optimizer': {'className': 'SGD', 'config': {'learningRate': 0.1, 'momentum': 0.5}}, 'loss': 'sparse_categorical_crossentropy', 'metrics': ['accuracy']},
                      'fit': {'epochs': 3, 'batchSize': 16, **jsfit}, 'init': [t(w) for w in ws], **rec,
                      'evaluate': [float(v) for v in model.evaluate(x, y, verbose=0)]})
    # weighted_metrics next to the same unweighted metric: Keras names it weighted_accuracy.
    model = mlp(3, 'softmax')
    ws = init_weights(model, 600)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5), loss='sparse_categorical_crossentropy', metrics=['accuracy'], weighted_metrics=['accuracy', 'sparse_categorical_crossentropy'])
    rec = fit_record(model, x, y, epochs=2, batch_size=16, sample_weight=sw)
    cases.append({'id': 'fit/weighted_metrics', 'model': 'mlp', 'outUnits': 3, 'outActivation': 'softmax', 'y': 'sparse',
                  'compile': {'optimizer': {'className': 'SGD', 'config': {'learningRate': 0.1, 'momentum': 0.5}}, 'loss': 'sparse_categorical_crossentropy',
                              'metrics': ['accuracy'], 'weightedMetrics': ['accuracy', 'sparse_categorical_crossentropy']},
                  'fit': {'epochs': 2, 'batchSize': 16, 'sampleWeight': t(sw)}, 'init': [t(w) for w in ws], **rec,
                  'evaluate': [float(v) for v in model.evaluate(x, y, verbose=0)]})
    # A masked sequence: Embedding(mask_zero) -> Dense(softmax) per step; the loss skips the padding.
    # SGD: with Adam, TF's sparse (IndexedSlices) embedding gradient squares each occurrence of an id
    # separately, which differs from the dense gradient Duet (and Keras's JAX / torch backends) use.
    r = rng(77)
    ids = r.integers(1, 7, size=(32, 5)).astype(np.int32)
    for i in range(32):
        ids[i, 5 - (i % 4):] = 0  # 0 to 3 padding steps at the end
    seq_y = r.integers(0, 3, size=(32, 5)).astype(np.int32)
    model = keras.Sequential([keras.Input((5,), dtype='int32'), L.Embedding(7, 4, mask_zero=True), L.Dense(3, activation='softmax')])
    ws = init_weights(model, 650)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss='sparse_categorical_crossentropy')
    rec = fit_record(model, ids, seq_y, epochs=3, batch_size=8)
    cases.append({'id': 'fit/masked_sequence', 'model': 'masked_sequence', 'xData': t(ids), 'yData': t(seq_y), 'init': [t(w) for w in ws],
                  'compile': {'optimizer': {'className': 'SGD', 'config': {'learningRate': 0.5}}, 'loss': 'sparse_categorical_crossentropy'},
                  'fit': {'epochs': 3, 'batchSize': 8}, **rec, 'evaluate': [float(model.evaluate(ids, seq_y, verbose=0))]})
    # A two-output functional model: loss per output, loss weights, per-output metrics and their names.
    inp = keras.Input((8,), name='features')
    h = L.Dense(6, activation='relu', name='shared')(inp)
    a = L.Dense(3, activation='softmax', name='cls')(h)
    b = L.Dense(2, name='reg')(h)
    model = keras.Model(inp, [a, b])
    ws = init_weights(model, 700)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss={'cls': 'sparse_categorical_crossentropy', 'reg': 'mse'}, loss_weights={'cls': 1.0, 'reg': 0.5},
                  metrics={'cls': ['accuracy'], 'reg': ['mae']})
    rec = fit_record(model, x, {'cls': y, 'reg': y_reg}, epochs=2, batch_size=16)
    ev = model.evaluate(x, {'cls': y, 'reg': y_reg}, verbose=0, return_dict=True)
    ev_list = [float(v) for v in model.evaluate(x, {'cls': y, 'reg': y_reg}, verbose=0)]
    cases.append({'id': 'functional/two_outputs', 'model': 'two_outputs', 'init': [t(w) for w in ws], 'evaluate': ev_list,
                  'compile': {'optimizer': {'className': 'Adam', 'config': {'learningRate': 0.01}}, 'loss': {'cls': 'sparse_categorical_crossentropy', 'reg': 'mse'},
                              'lossWeights': {'cls': 1.0, 'reg': 0.5}, 'metrics': {'cls': ['accuracy'], 'reg': ['mae']}},
                  'fit': {'epochs': 2, 'batchSize': 16}, **rec, 'evaluateDict': {k: float(v) for k, v in ev.items()}})
    pred = model.predict(x[:5], verbose=0)
    cases[-1]['predict'] = [t(p) for p in pred]
    return {'x': t(x), 'y': t(y), 'yOnehot': t(y_onehot), 'yBinary': t(y_bin), 'yRegression': t(y_reg), 'cases': cases}


def gen_schedules():
    S = keras.optimizers.schedules
    specs = [
        ({'className': 'ExponentialDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 4, 'decayRate': 0.9}}, S.ExponentialDecay(0.1, 4, 0.9)),
        ({'className': 'ExponentialDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 4, 'decayRate': 0.5, 'staircase': True}}, S.ExponentialDecay(0.1, 4, 0.5, staircase=True)),
        ({'className': 'PiecewiseConstantDecay', 'config': {'boundaries': [3, 10], 'values': [1.0, 0.5, 0.1]}}, S.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1])),
        ({'className': 'CosineDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 10}}, S.CosineDecay(0.1, 10)),
        ({'className': 'CosineDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 10, 'alpha': 0.2}}, S.CosineDecay(0.1, 10, alpha=0.2)),
        ({'className': 'CosineDecay', 'config': {'initialLearningRate': 0.0, 'decaySteps': 10, 'warmupTarget': 0.1, 'warmupSteps': 5}}, S.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5)),
        ({'className': 'InverseTimeDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 3, 'decayRate': 0.5}}, S.InverseTimeDecay(0.1, 3, 0.5)),
        ({'className': 'InverseTimeDecay', 'config': {'initialLearningRate': 0.1, 'decaySteps': 3, 'decayRate': 0.5, 'staircase': True}}, S.InverseTimeDecay(0.1, 3, 0.5, staircase=True)),
    ]
    return {'cases': [{'spec': js, 'values': [float(py(s)) for s in range(20)]} for js, py in specs]}


def gen_summary():
    """Keras's printed summaries, to compare Duet's table line by line."""
    import io
    import contextlib
    out = {}
    keras.utils.clear_session()
    m = keras.Sequential([keras.Input((784,)), L.Dense(128, activation='relu'), L.Dense(10, activation='softmax')])
    # Functional models, every layer named (the test builds the same ones).
    x = keras.Input((8,), name='x')
    chain = keras.Model(x, L.Dense(2, name='out')(L.Dense(4, activation='relu', name='hidden')(x)), name='chain')
    a = keras.Input((4,), name='a')
    b = keras.Input((3,), name='b')
    h = L.Concatenate(name='concatenate')([L.Dense(2, name='dense_a')(a), b])
    two_inputs = keras.Model([a, b], h, name='two_inputs')
    f = keras.Input((8,), name='features')
    s = L.Dense(6, activation='relu', name='shared')(f)
    two_outputs = keras.Model(f, [L.Dense(3, activation='softmax', name='cls')(s), L.Dense(2, name='reg')(s)], name='two_outputs')
    for name, model in [('seed', m), ('chain', chain), ('two_inputs', two_inputs), ('two_outputs', two_outputs)]:
        buf = io.StringIO()
        model.summary(print_fn=lambda s, line_break=True: buf.write(s + ('\n' if line_break else '')))
        out[name] = buf.getvalue()
    return out


GROUPS = {'layers': gen_layers, 'train': gen_train, 'schedules': gen_schedules, 'summary': gen_summary}

if __name__ == '__main__':
    names = sys.argv[1:] or list(GROUPS)
    for n in names:
        tf.random.set_seed(0)
        keras.utils.set_random_seed(0)
        write_fixture(f'keras_{n}.json', GROUPS[n]())
