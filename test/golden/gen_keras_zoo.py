"""The Keras model zoo, both directions (issue 10), with Keras 3.15.1 + TF 2.21.

Nine architectures: MLP, CNN with BatchNormalization, LSTM text model,
stacked GRU, functional two-input model, Transformer encoder block
(MultiHeadAttention + LayerNormalization), Embedding(mask_zero) with a
masked LSTM and pooling, a Sequential nested in a functional model, and the
RNN wrappers (Bidirectional LSTM, TimeDistributed Dense, SimpleRNN).
The same nine are built in Duet by test/keras_saving/zoo/zoo.ts, with the same
layer names.

1. Python -> Duet: each model is built here with random weights (BatchNorm's
   moving statistics included), saved as test/keras_saving/zoo/py_<name>.keras, and
   its predictions on fixed inputs are recorded.
2. Duet -> Python: the Node script test/keras_saving/zoo/write_duet_zoo.ts writes
   duet_<name>.keras (Duet's own random weights) and Duet's predictions on
   the same inputs; each file is loaded here with keras.saving.load_model,
   Keras's predictions are recorded and compared with Duet's (max abs diff,
   passed when <= 1e-5).

Everything goes to test/keras_saving/zoo/zoo.json, so CI needs no Python.

    .venv-ref/bin/python test/golden/gen_keras_zoo.py
"""
import json
import os
import platform
import subprocess
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
OUT = os.path.join(ROOT, 'test', 'keras_saving', 'zoo')
TOL = 1e-5
L = keras.layers


def t(a):
    a = np.asarray(a)
    return {'shape': list(a.shape), 'dtype': 'int32' if a.dtype.kind in 'iu' else 'float32',
            'data': [int(v) if a.dtype.kind in 'iu' else float(v) for v in a.reshape(-1).tolist()]}


def inputs(rng):
    """Fixed inputs per model (a list: one array per model input)."""
    tokens = rng.integers(1, 50, size=(4, 10)).astype(np.int32)
    padded = rng.integers(1, 20, size=(4, 8)).astype(np.int32)
    for i, n in enumerate([8, 5, 3, 1]):  # trailing padding of different lengths
        padded[i, n:] = 0
    f = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    return {
        'mlp': [f(5, 8)],
        'cnn_bn': [f(3, 8, 8, 2)],
        'lstm_text': [tokens],
        'gru': [f(4, 7, 5)],
        'two_input': [f(4, 6), f(4, 3)],
        'transformer': [f(3, 6, 8)],
        'embedding_mask': [padded],
        'nested': [f(4, 5)],
        'rnn_wrappers': [f(3, 6, 3)],
    }


def build(name):
    """The architectures, with explicit names (the same in test/keras_saving/zoo/zoo.ts)."""
    if name == 'mlp':
        return keras.Sequential([keras.Input((8,), name='x'), L.Dense(16, activation='relu', name='hidden'), L.Dropout(0.2, name='drop'),
                                 L.Dense(4, activation='softmax', name='probs')], name='mlp')
    if name == 'cnn_bn':
        return keras.Sequential([keras.Input((8, 8, 2), name='image'), L.Conv2D(4, 3, padding='same', name='conv1'), L.BatchNormalization(name='bn1'),
                                 L.Activation('relu', name='relu1'), L.MaxPooling2D(2, name='pool'), L.Conv2D(6, 3, name='conv2'),
                                 L.BatchNormalization(name='bn2'), L.GlobalAveragePooling2D(name='gap'), L.Dense(3, name='logits')], name='cnn_bn')
    if name == 'lstm_text':
        return keras.Sequential([keras.Input((10,), dtype='int32', name='tokens'), L.Embedding(50, 8, name='embed'), L.LSTM(12, name='lstm'),
                                 L.Dense(2, activation='softmax', name='probs')], name='lstm_text')
    if name == 'gru':
        return keras.Sequential([keras.Input((7, 5), name='series'), L.GRU(8, return_sequences=True, name='gru1'), L.GRU(6, name='gru2'),
                                 L.Dense(1, name='out')], name='gru')
    if name == 'two_input':
        a = keras.Input((6,), name='a')
        b = keras.Input((3,), name='b')
        ha = L.Dense(5, activation='tanh', name='dense_a')(a)
        hb = L.Dense(4, activation='relu', name='dense_b')(b)
        c = L.Concatenate(name='concat')([ha, hb])
        return keras.Model([a, b], L.Dense(2, name='head')(c), name='two_input')
    if name == 'transformer':
        x = keras.Input((6, 8), name='seq')
        att = L.MultiHeadAttention(num_heads=2, key_dim=4, name='mha')(x, x)
        h = L.LayerNormalization(name='ln1')(L.Add(name='add1')([x, att]))
        ff = L.Dense(8, name='ff2')(L.Dense(16, activation='relu', name='ff1')(h))
        h2 = L.LayerNormalization(name='ln2')(L.Add(name='add2')([h, ff]))
        out = L.Dense(2, name='head')(L.GlobalAveragePooling1D(name='pool')(h2))
        return keras.Model(x, out, name='transformer')
    if name == 'embedding_mask':
        return keras.Sequential([keras.Input((8,), dtype='int32', name='ids'), L.Embedding(20, 6, mask_zero=True, name='embed'),
                                 L.LSTM(5, return_sequences=True, name='lstm'), L.GlobalAveragePooling1D(name='pool'),
                                 L.Dense(3, name='head')], name='embedding_mask')
    if name == 'nested':
        inner = keras.Sequential([keras.Input((5,), name='inner_in'), L.Dense(6, activation='relu', name='inner_dense1'),
                                  L.Dense(4, name='inner_dense2')], name='inner')
        x = keras.Input((5,), name='x')
        h = inner(x)
        out = L.Dense(2, name='head')(L.Concatenate(name='concat')([h, x]))
        return keras.Model(x, out, name='nested')
    if name == 'rnn_wrappers':
        return keras.Sequential([keras.Input((6, 3), name='steps'), L.Bidirectional(L.LSTM(4, return_sequences=True, name='lstm'), name='bilstm'),
                                 L.TimeDistributed(L.Dense(2, name='proj'), name='per_step'), L.SimpleRNN(3, name='rnn'),
                                 L.Dense(1, name='out')], name='rnn_wrappers')
    raise ValueError(name)


NAMES = ['mlp', 'cnn_bn', 'lstm_text', 'gru', 'two_input', 'transformer', 'embedding_mask', 'nested', 'rnn_wrappers']


def randomize(model, rng):
    """Random weights everywhere (so zero biases or unit BatchNorm statistics cannot hide a swapped weight)."""
    ws = []
    for v in model.weights:
        w = rng.normal(scale=0.5, size=v.shape).astype(np.float32)
        if 'moving_variance' in v.path:
            w = np.abs(w) + 0.5
        ws.append(w)
    model.set_weights(ws)


def predict(model, xs):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return out


def main():
    rng = np.random.default_rng(10)
    xs = inputs(rng)
    with open(os.path.join(OUT, 'zoo_inputs.json'), 'w') as f:
        json.dump({k: [t(a) for a in v] for k, v in xs.items()}, f)
        f.write('\n')

    python_written = {}
    for name in NAMES:
        keras.utils.set_random_seed(20)
        m = build(name)
        randomize(m, rng)
        m.save(os.path.join(OUT, f'py_{name}.keras'))
        python_written[name] = {'predict': t(predict(m, xs[name])), 'layers': [l.name for l in m.layers]}

    # Duet writes its files and its predictions (reading zoo_inputs.json).
    subprocess.run(['pnpm', 'exec', 'tsx', '--conditions=source', 'test/keras_saving/zoo/write_duet_zoo.ts'], cwd=ROOT, check=True)
    with open(os.path.join(OUT, 'duet_predictions.json')) as f:
        duet_pred = json.load(f)

    duet_written = {}
    for name in NAMES:
        m = keras.saving.load_model(os.path.join(OUT, f'duet_{name}.keras'))
        p = np.asarray(predict(m, xs[name]), dtype=np.float32)
        d = duet_pred[name]
        ref = np.asarray(d['data'], dtype=np.float32).reshape(d['shape'])
        diff = float(np.max(np.abs(p - ref))) if p.shape == ref.shape else float('inf')
        duet_written[name] = {
            'className': type(m).__name__, 'layers': [l.name for l in m.layers],
            'predict': t(p), 'duetPredict': d, 'maxAbsDiff': diff, 'passed': bool(diff <= TOL),
        }
        print(f'{name:16s} duet->keras max|diff| {diff:.3g}', file=sys.stderr)

    payload = {
        'versions': {'keras': keras.__version__, 'tensorflow': tf.__version__, 'numpy': np.__version__, 'python': platform.python_version()},
        'tolerance': TOL, 'names': NAMES, 'pythonWritten': python_written, 'duetWritten': duet_written,
    }
    with open(os.path.join(OUT, 'zoo.json'), 'w') as f:
        json.dump(payload, f)
        f.write('\n')
    print(f'wrote {os.path.relpath(os.path.join(OUT, "zoo.json"), ROOT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
