"""Golden data for @duet/keras's embedding, recurrent and attention layers,
from Keras 3.15 + TensorFlow 2.21 (CPU: Keras's generic RNN loop, no cuDNN).

Run from the repository root with the reference venv:
    .venv-ref/bin/python test/golden/gen_keras_rnn.py
Writes test/golden/keras_rnn.json (read by keras_rnn.test.ts).

A layer case is built on its inputs, given seeded weights with set_weights,
called (with an explicit `mask`, initial states or Keras masks on its inputs
where the case says so), and records every output and the gradients of
sum_i sum(output_i * upstream_i) for the float inputs and the weights.
A layer spec for the JS side is {cls, args, options}; an argument that is
itself a layer (Bidirectional, TimeDistributed) is a nested spec. JS names
are camelCase.
"""
from keras_common import keras, np, rng, t, tf, write_fixture

L = keras.layers


def spec(cls, args=(), options=None):
    return {'cls': cls, 'args': list(args), 'options': options or {}}


def seq(n=3, steps=5, d=4):
    return (n, steps, d)


# Masks: right padding, left padding and a hole; every row keeps >= 1 step.
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 1]], dtype=bool)
# Right padding only (what Embedding(mask_zero) gives for padded batches): Duet runs it fused.
RIGHT = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
# Left padding only (Embedding(mask_zero) on pad_sequences' default padding='pre'): Duet moves the real steps first and runs it fused.
LEFT = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]], dtype=bool)


def rnn_cases():
    """(id, JS spec, Keras constructor, input shape, extras)."""
    cases = []
    for cls, mk in [('SimpleRNN', L.SimpleRNN), ('LSTM', L.LSTM), ('GRU', L.GRU)]:
        k = cls.lower()
        cases += [
            (f'{k}/default', spec(cls, [4]), lambda mk=mk: mk(4), seq(), {}),
            (f'{k}/sequences_state', spec(cls, [4], {'returnSequences': True, 'returnState': True}),
             lambda mk=mk: mk(4, return_sequences=True, return_state=True), seq(), {}),
            (f'{k}/go_backwards', spec(cls, [3], {'returnSequences': True, 'goBackwards': True}),
             lambda mk=mk: mk(3, return_sequences=True, go_backwards=True), seq(), {}),
            (f'{k}/no_bias', spec(cls, [3], {'useBias': False}), lambda mk=mk: mk(3, use_bias=False), seq(2, 4, 3), {}),
            (f'{k}/initial_state', spec(cls, [4], {'returnState': True}), lambda mk=mk: mk(4, return_state=True), seq(),
             {'initialState': True}),
            (f'{k}/mask', spec(cls, [4]), lambda mk=mk: mk(4), seq(), {'mask': MASK}),
            (f'{k}/mask_sequences_state', spec(cls, [4], {'returnSequences': True, 'returnState': True}),
             lambda mk=mk: mk(4, return_sequences=True, return_state=True), seq(), {'mask': MASK}),
            (f'{k}/mask_backwards', spec(cls, [3], {'returnSequences': True, 'goBackwards': True}),
             lambda mk=mk: mk(3, return_sequences=True, go_backwards=True), seq(), {'mask': MASK}),
            (f'{k}/right_padded', spec(cls, [4]), lambda mk=mk: mk(4), seq(), {'mask': RIGHT}),
            (f'{k}/right_padded_sequences', spec(cls, [3], {'returnSequences': True}),
             lambda mk=mk: mk(3, return_sequences=True), seq(), {'mask': RIGHT}),
            (f'{k}/right_padded_zero_output_state', spec(cls, [3], {'returnSequences': True, 'returnState': True, 'zeroOutputForMask': True}),
             lambda mk=mk: mk(3, return_sequences=True, return_state=True, zero_output_for_mask=True), seq(), {'mask': RIGHT}),
            (f'{k}/right_padded_backwards_state', spec(cls, [3], {'returnSequences': True, 'returnState': True, 'goBackwards': True}),
             lambda mk=mk: mk(3, return_sequences=True, return_state=True, go_backwards=True), seq(), {'mask': RIGHT}),
            (f'{k}/right_padded_backwards_last', spec(cls, [3], {'goBackwards': True}),
             lambda mk=mk: mk(3, go_backwards=True), seq(), {'mask': RIGHT}),
            (f'{k}/mask_zero_output', spec(cls, [3], {'returnSequences': True, 'zeroOutputForMask': True}),
             lambda mk=mk: mk(3, return_sequences=True, zero_output_for_mask=True), seq(), {'mask': MASK}),
        ]
    cases += [
        ('simple_rnn/relu', spec('SimpleRNN', [4], {'activation': 'relu', 'returnSequences': True}),
         lambda: L.SimpleRNN(4, activation='relu', return_sequences=True), seq(), {}),
        ('lstm/relu_hard_sigmoid', spec('LSTM', [4], {'activation': 'relu', 'recurrentActivation': 'hard_sigmoid', 'returnSequences': True}),
         lambda: L.LSTM(4, activation='relu', recurrent_activation='hard_sigmoid', return_sequences=True), seq(), {}),
        ('lstm/one_step', spec('LSTM', [5], {'returnState': True}), lambda: L.LSTM(5, return_state=True), seq(2, 1, 3), {}),
        ('lstm/long', spec('LSTM', [6]), lambda: L.LSTM(6), seq(2, 20, 5), {}),
        ('gru/reset_before', spec('GRU', [4], {'resetAfter': False, 'returnSequences': True}),
         lambda: L.GRU(4, reset_after=False, return_sequences=True), seq(), {}),
        ('gru/reset_before_mask', spec('GRU', [4], {'resetAfter': False}), lambda: L.GRU(4, reset_after=False), seq(), {'mask': MASK}),
        ('gru/reset_before_no_bias_state', spec('GRU', [3], {'resetAfter': False, 'useBias': False}), lambda: L.GRU(3, reset_after=False, use_bias=False),
         seq(), {'initialState': True}),
    ]
    # Bidirectional
    for mode in ['concat', 'sum', 'mul', 'ave', None]:
        name = 'none' if mode is None else mode
        cases.append((f'bidirectional/lstm_{name}', spec('Bidirectional', [spec('LSTM', [3], {'returnSequences': True})], {'mergeMode': mode}),
                      lambda mode=mode: L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=mode), seq(), {}))
    cases += [
        ('bidirectional/gru_last', spec('Bidirectional', [spec('GRU', [4])]), lambda: L.Bidirectional(L.GRU(4)), seq(), {}),
        ('bidirectional/lstm_state', spec('Bidirectional', [spec('LSTM', [3], {'returnState': True})]),
         lambda: L.Bidirectional(L.LSTM(3, return_state=True)), seq(), {}),
        ('bidirectional/lstm_mask', spec('Bidirectional', [spec('LSTM', [3], {'returnSequences': True})]),
         lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), seq(), {'mask': MASK}),
        ('bidirectional/gru_right_padded', spec('Bidirectional', [spec('GRU', [3], {'returnSequences': True})], {'mergeMode': 'sum'}),
         lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode='sum'), seq(), {'mask': RIGHT}),
        ('bidirectional/lstm_right_padded_concat', spec('Bidirectional', [spec('LSTM', [3], {'returnSequences': True})]),
         lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), seq(), {'mask': RIGHT}),
        ('bidirectional/lstm_right_padded_last', spec('Bidirectional', [spec('LSTM', [3])]),
         lambda: L.Bidirectional(L.LSTM(3)), seq(), {'mask': RIGHT}),
        ('bidirectional/simple_rnn_mask_last', spec('Bidirectional', [spec('SimpleRNN', [3])], {'mergeMode': 'sum'}),
         lambda: L.Bidirectional(L.SimpleRNN(3), merge_mode='sum'), seq(), {'mask': MASK}),
        ('time_distributed/dense', spec('TimeDistributed', [spec('Dense', [3], {'activation': 'tanh'})]),
         lambda: L.TimeDistributed(L.Dense(3, activation='tanh')), seq(2, 4, 5), {}),
        ('time_distributed/dense_4d', spec('TimeDistributed', [spec('Dense', [2])]),
         lambda: L.TimeDistributed(L.Dense(2)), (2, 3, 4, 5), {}),
    ]
    # Left padding (appended last so the seeds of the cases above stay the same).
    for cls, mk in [('SimpleRNN', L.SimpleRNN), ('LSTM', L.LSTM), ('GRU', L.GRU)]:
        k = cls.lower()
        cases += [
            (f'{k}/left_padded', spec(cls, [4]), lambda mk=mk: mk(4), seq(), {'mask': LEFT}),
            (f'{k}/left_padded_sequences', spec(cls, [3], {'returnSequences': True}),
             lambda mk=mk: mk(3, return_sequences=True), seq(), {'mask': LEFT}),
            (f'{k}/left_padded_zero_output_state', spec(cls, [3], {'returnSequences': True, 'returnState': True, 'zeroOutputForMask': True}),
             lambda mk=mk: mk(3, return_sequences=True, return_state=True, zero_output_for_mask=True), seq(), {'mask': LEFT}),
            (f'{k}/left_padded_backwards', spec(cls, [3], {'returnSequences': True, 'goBackwards': True}),
             lambda mk=mk: mk(3, return_sequences=True, go_backwards=True), seq(), {'mask': LEFT}),
            (f'{k}/left_padded_initial_state', spec(cls, [3], {'returnState': True}), lambda mk=mk: mk(3, return_state=True), seq(),
             {'mask': LEFT, 'initialState': True}),
        ]
    cases += [
        ('lstm/left_padded_long', spec('LSTM', [6], {'returnSequences': True}), lambda: L.LSTM(6, return_sequences=True), seq(3, 20, 5),
         {'mask': np.arange(20)[None, :] >= np.array([[17], [0], [6]])}),
        ('bidirectional/lstm_left_padded_concat', spec('Bidirectional', [spec('LSTM', [3], {'returnSequences': True})]),
         lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), seq(), {'mask': LEFT}),
        ('bidirectional/gru_left_padded_last', spec('Bidirectional', [spec('GRU', [3])], {'mergeMode': 'sum'}),
         lambda: L.Bidirectional(L.GRU(3), merge_mode='sum'), seq(), {'mask': LEFT}),
    ]
    return cases


def mha_cases():
    """(id, JS spec, Keras constructor, input shapes [query, value(, key)], extras)."""
    M = L.MultiHeadAttention
    qm = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool)
    vm = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=bool)
    am = rng(7).random((2, 4, 5)) > 0.3
    am[:, :, 0] = True  # no fully masked row
    return [
        ('mha/self', spec('MultiHeadAttention', [2, 3]), lambda: M(2, 3), [(2, 4, 6), (2, 4, 6)], {}),
        ('mha/cross_value_dim_output_shape', spec('MultiHeadAttention', [3, 2], {'valueDim': 4, 'outputShape': 5}),
         lambda: M(3, 2, value_dim=4, output_shape=5), [(2, 4, 6), (2, 5, 3)], {}),
        ('mha/key', spec('MultiHeadAttention', [2, 3]), lambda: M(2, 3), [(2, 4, 6), (2, 5, 6), (2, 5, 2)], {}),
        ('mha/no_bias', spec('MultiHeadAttention', [2, 3], {'useBias': False}), lambda: M(2, 3, use_bias=False), [(2, 4, 6), (2, 5, 6)], {}),
        ('mha/attention_mask_scores', spec('MultiHeadAttention', [2, 3]), lambda: M(2, 3), [(2, 4, 6), (2, 5, 6)],
         {'attentionMask': am, 'returnAttentionScores': True}),
        ('mha/causal', spec('MultiHeadAttention', [2, 3]), lambda: M(2, 3), [(2, 4, 6), (2, 4, 6)], {'useCausalMask': True}),
        ('mha/causal_scores', spec('MultiHeadAttention', [1, 4]), lambda: M(1, 4), [(2, 4, 6), (2, 4, 6)],
         {'useCausalMask': True, 'returnAttentionScores': True}),
        ('mha/keras_masks', spec('MultiHeadAttention', [2, 3]), lambda: M(2, 3), [(2, 4, 6), (2, 5, 6)],
         {'kerasMasks': [qm, vm]}),
    ]


def grads_of(fn, xs, weights, outs_upstream_seed):
    with tf.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        outs = fn()
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        r = rng(outs_upstream_seed)
        ups = [tf.constant(r.standard_normal(o.shape).astype(np.float32)) for o in outs]
        s = tf.add_n([tf.reduce_sum(o * u) for o, u in zip(outs, ups)])
    gx = [tape.gradient(s, x) for x in xs]
    gw = [tape.gradient(s, w) for w in weights]
    return outs, ups, gx, gw


def set_seeded_weights(layer, r, scale=0.5):
    ws = [(r.standard_normal(w.shape) * scale).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(ws)
    return ws


def gen_layers():
    out = []
    for i, (cid, js, make, shape, ex) in enumerate(rnn_cases()):
        r = rng(2000 + i)
        layer = make()
        x = tf.constant(r.standard_normal(shape).astype(np.float32))
        kw = {}
        inputs = [x]
        if 'mask' in ex:
            kw['mask'] = tf.constant(ex['mask'])
        layer(x, **kw)  # build
        weights = set_seeded_weights(layer, r)
        if ex.get('initialState'):
            n_states = 2 if 'lstm' in cid else 1
            units = js['args'][0]
            inputs += [tf.constant(r.standard_normal((shape[0], units)).astype(np.float32)) for _ in range(n_states)]
            kw['initial_state'] = inputs[1:]
        outs, ups, gx, gw = grads_of(lambda: layer(x, **kw), inputs, layer.trainable_weights, 3000 + i)
        out.append({
            'id': cid, 'layer': js, 'inputs': [t(v) for v in inputs], 'stateInputs': bool(ex.get('initialState')),
            'mask': t(ex['mask']) if 'mask' in ex else None, 'callOptions': {},
            'weights': [t(w) for w in weights], 'weightNames': [w.path for w in layer.weights],
            'outputs': [t(o) for o in outs], 'upstreams': [t(u) for u in ups],
            'inputGrads': [t(g) if g is not None else None for g in gx],
            'weightGrads': [t(g) if g is not None else None for g in gw],
            'outputShape': shapes_of(layer.compute_output_shape((None,) + tuple(shape[1:]))),
        })
    for i, (cid, js, make, shapes, ex) in enumerate(mha_cases()):
        r = rng(4000 + i)
        layer = make()
        xs = [tf.constant(r.standard_normal(s).astype(np.float32)) for s in shapes]
        kw = {}
        if 'attentionMask' in ex:
            kw['attention_mask'] = tf.constant(ex['attentionMask'])
        for k in ('returnAttentionScores', 'useCausalMask'):
            if ex.get(k):
                kw[{'returnAttentionScores': 'return_attention_scores', 'useCausalMask': 'use_causal_mask'}[k]] = True
        km = ex.get('kerasMasks')
        if km is not None:
            # Keras fills value_mask from the value's _keras_mask, and reads the query's own.
            kw['value_mask'] = tf.constant(km[1])

        def call(xs=xs, kw=kw, km=km):
            q = xs[0]
            if km is not None:
                q = tf.identity(q)
                keras.src.backend.set_keras_mask(q, tf.constant(km[0]))
            return layer(q, xs[1], *xs[2:], **kw)
        layer(xs[0], xs[1], *xs[2:])  # build
        weights = set_seeded_weights(layer, r)
        outs, ups, gx, gw = grads_of(call, xs, layer.trainable_weights, 5000 + i)
        co = {k: v for k, v in ex.items() if k in ('returnAttentionScores', 'useCausalMask')}
        out.append({
            'id': cid, 'layer': js, 'inputs': [t(v) for v in xs], 'stateInputs': False, 'mask': None,
            'callOptions': co, 'attentionMask': t(ex['attentionMask']) if 'attentionMask' in ex else None,
            'kerasMasks': [t(m) for m in km] if km is not None else None,
            'weights': [t(w) for w in weights], 'weightNames': [w.path for w in layer.weights],
            'outputs': [t(o) for o in outs], 'upstreams': [t(u) for u in ups],
            'inputGrads': [t(g) if g is not None else None for g in gx],
            'weightGrads': [t(g) if g is not None else None for g in gw],
            'outputShape': shapes_of(layer.compute_output_shape(*[(None,) + tuple(s[1:]) for s in shapes])),
        })
    return out


def shapes_of(s):
    if isinstance(s, (list, tuple)) and len(s) > 0 and isinstance(s[0], (list, tuple)):
        return [list(x) for x in s]
    return list(s)


# ------------------------------------------------------------- embedding
def gen_embedding():
    out = []
    ids = np.array([[3, 1, 0, 0, 7], [2, 9, 4, 0, 0], [0, 5, 5, 8, 1]], dtype=np.int32)
    for i, (cid, js, make) in enumerate([
        ('embedding/default', spec('Embedding', [10, 4]), lambda: L.Embedding(10, 4)),
        ('embedding/mask_zero', spec('Embedding', [10, 4], {'maskZero': True}), lambda: L.Embedding(10, 4, mask_zero=True)),
    ]):
        r = rng(6000 + i)
        layer = make()
        layer(ids)
        weights = set_seeded_weights(layer, r)
        outs, ups, _, gw = grads_of(lambda: layer(tf.constant(ids)), [], layer.trainable_weights, 6100 + i)
        mask = layer.compute_mask(tf.constant(ids))
        out.append({
            'id': cid, 'layer': js, 'ids': t(ids), 'weights': [t(w) for w in weights], 'outputs': [t(o) for o in outs],
            'upstreams': [t(u) for u in ups], 'weightGrads': [t(tf.convert_to_tensor(g)) for g in gw],
            'outputMask': t(mask) if mask is not None else None,
        })
    return out


# ---------------------------------------------------------------- models
def text_model(rnn):
    """Embedding(maskZero) -> recurrent -> Dense(softmax), functional."""
    inp = keras.Input((6,), dtype='int32')
    h = L.Embedding(12, 5, mask_zero=True)(inp)
    h = rnn(h)
    out = L.Dense(3, activation='softmax')(h)
    return keras.Model(inp, out)


def model_cases():
    """(id, JS layer specs after the Input, Keras recurrent layer)."""
    return [
        ('text/lstm', [spec('Embedding', [12, 5], {'maskZero': True}), spec('LSTM', [4]), spec('Dense', [3], {'activation': 'softmax'})],
         lambda: L.LSTM(4)),
        ('text/gru', [spec('Embedding', [12, 5], {'maskZero': True}), spec('GRU', [4]), spec('Dense', [3], {'activation': 'softmax'})],
         lambda: L.GRU(4)),
        ('text/bidirectional_lstm', [spec('Embedding', [12, 5], {'maskZero': True}), spec('Bidirectional', [spec('LSTM', [3])]),
                                     spec('Dense', [3], {'activation': 'softmax'})], lambda: L.Bidirectional(L.LSTM(3))),
        ('text/stacked_lstm', [spec('Embedding', [12, 5], {'maskZero': True}), spec('LSTM', [4], {'returnSequences': True}),
                               spec('LSTM', [3]), spec('Dense', [3], {'activation': 'softmax'})], None),
    ]


def gen_models():
    r = rng(7000)
    n = 16
    lens = r.integers(1, 7, size=n)
    x = np.zeros((n, 6), dtype=np.int32)
    for i, l in enumerate(lens):
        x[i, :l] = r.integers(1, 12, size=l)  # right-padded with 0
    y = (x.sum(axis=1) % 3).astype(np.int32)
    out = []
    # Pre-padded rows (pad_sequences' default padding='pre'): the same ids moved to the end of each row.
    x_pre = np.zeros_like(x)
    for i, l in enumerate(lens):
        x_pre[i, 6 - l:] = x[i, :l]
    cases = [(cid, layers, make, x) for cid, layers, make in model_cases()]
    cases += [(cid + '_pre_padded', layers, make, x_pre) for cid, layers, make in model_cases() if cid in ('text/lstm', 'text/gru')]
    for i, (cid, layers, make, x) in enumerate(cases):
        keras.utils.set_random_seed(7100 + i)
        if make is None:
            inp = keras.Input((6,), dtype='int32')
            h = L.Embedding(12, 5, mask_zero=True)(inp)
            h = L.LSTM(4, return_sequences=True)(h)
            h = L.LSTM(3)(h)
            model = keras.Model(inp, L.Dense(3, activation='softmax')(h))
        else:
            model = text_model(make())
        rr = rng(7200 + i)
        ws = [(rr.standard_normal(w.shape) * 0.4).astype(np.float32) for w in model.get_weights()]
        model.set_weights(ws)
        pred = model.predict(x, verbose=0)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss='sparse_categorical_crossentropy')
        h = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        out.append({
            'id': cid, 'layers': layers, 'x': t(x), 'y': t(y), 'weights': [t(w) for w in ws], 'predict': t(pred),
            'loss': [float(v) for v in h.history['loss']], 'finalWeights': [t(w) for w in model.get_weights()],
        })
    return out


if __name__ == '__main__':
    write_fixture('keras_rnn.json', {'layers': gen_layers(), 'embedding': gen_embedding(), 'models': gen_models()})
