"""Interop fixtures for .keras saving (test/keras_saving/), from Keras 3.15.1 + TF 2.21.

Python -> Duet: writes py_sequential.keras (a compiled Dense MLP trained two
epochs with Adam: its optimizer state is in the file), py_functional.keras
(a functional model with a Concatenate branch) and py_mlp.weights.h5, with
Keras's predictions and, for the Sequential, the weights after one more
epoch (Duet must resume training from the file to the same weights).

Duet -> Python: loads duet_sequential.keras and duet_functional.keras
(written by `pnpm exec tsx --conditions=source
test/keras_saving/write_duet_files.ts`) with `keras.saving.load_model`,
records what Keras predicts, its optimizer iterations, and the weights after
one more epoch of training in Keras.

TensorBoard: reads the event files Duet wrote in test/keras_saving/tensorboard/
(same script) with `tf.compat.v1.train.summary_iterator` and with
TensorBoard's own `EventAccumulator` (tensorboard 2.21), recording every
event's step, tags, plugin and values.

Everything goes to test/keras_saving/keras_saving.json, so CI needs no Python.

    .venv-ref/bin/python test/golden/gen_keras_saving.py
"""
import json
import math
import os
import platform
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'keras_saving')


def versions():
    return {'keras': keras.__version__, 'tensorflow': tf.__version__, 'numpy': np.__version__, 'python': platform.python_version()}


def t(a):
    a = np.asarray(a, dtype=np.float32)
    return {'shape': list(a.shape), 'data': [float(v) for v in a.reshape(-1).tolist()]}


# The same inputs as interopX() in write_duet_files.ts.
XB = np.array([[i / 6, 1 - i / 6] for i in range(6)], dtype=np.float32)  # interopXB()
X = np.array([[math.sin(i), math.cos(i), (i % 3) / 3, 1 - i / 6] for i in range(6)], dtype=np.float32)
Y = np.array([0, 1, 2, 0, 1, 2], dtype=np.int32)


def multi_io_model(name):
    """Two inputs, two outputs, a nested Sequential used by both branches (the same graph as write_duet_files.ts)."""
    a = keras.Input((4,), name='a')
    b = keras.Input((2,), name='b')
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='relu'), keras.layers.Dense(3)], name='inner')
    h = inner(a)
    c = keras.layers.Concatenate(name='concat')([h, b])
    o1 = keras.layers.Dense(2, name='o1')(c)
    o2 = keras.layers.Dense(1, activation='sigmoid', name='o2')(h)
    return keras.Model([a, b], [o1, o2], name=name)


def order_model():
    """Layers whose Keras order (deepest first) differs from their creation order: the h5 groups dense, dense_1, dense_2 follow Keras's."""
    inp = keras.Input((4,), name='inp')
    short = keras.layers.Dense(2, name='short')(inp)
    d1 = keras.layers.Dense(3, name='d1')(inp)
    d2 = keras.layers.Dense(5, name='d2')(d1)
    return keras.Model(inp, [short, d2], name='order')


def python_written():
    keras.utils.set_random_seed(5)
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation='relu'), keras.layers.Dense(3, activation='softmax')], name='py_mlp')
    seq.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    seq.fit(X, Y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    seq.save(os.path.join(OUT, 'py_sequential.keras'))
    seq.save_weights(os.path.join(OUT, 'py_mlp.weights.h5'))
    seq_pred = seq.predict(X, verbose=0)
    seq_iterations = int(seq.optimizer.iterations.numpy())
    seq.fit(X, Y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    seq_resumed = [t(w) for w in seq.get_weights()]

    inp = keras.Input((4,), name='features')
    h = keras.layers.Dense(3, activation='tanh', name='hidden')(inp)
    cat = keras.layers.Concatenate(name='concat')([h, inp])
    out = keras.layers.Dense(2, name='head')(cat)
    fn = keras.Model(inp, out, name='py_functional')
    fn.save(os.path.join(OUT, 'py_functional.keras'))
    keras.utils.set_random_seed(7)
    multi = multi_io_model('py_multi')
    multi.save(os.path.join(OUT, 'py_multi.keras'))
    keras.utils.set_random_seed(8)
    order = order_model()
    order.save(os.path.join(OUT, 'py_order.keras'))
    return {
        'sequential': {'predict': t(seq_pred), 'iterations': seq_iterations, 'weightsAfterOneMoreEpoch': seq_resumed},
        'functional': {'predict': t(fn.predict(X, verbose=0))},
        'multi': {'predict': [t(p) for p in multi.predict([X, XB], verbose=0)]},
        'order': {'layers': [l.name for l in order.layers], 'predict': [t(p) for p in order.predict(X, verbose=0)]},
        'optimizers': optimizer_states(),
    }


def optimizer_states():
    """One file per optimizer (slot layouts differ): trained 2 epochs and saved, then 1 more epoch in Keras."""
    O = keras.optimizers
    cases = {
        'sgd_nesterov': lambda: O.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        'rmsprop': lambda: O.RMSprop(learning_rate=0.01),
        'rmsprop_centered_momentum': lambda: O.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        'adagrad': lambda: O.Adagrad(learning_rate=0.1),
        'nadam': lambda: O.Nadam(learning_rate=0.01),
        'adamw_amsgrad': lambda: O.AdamW(learning_rate=0.01, amsgrad=True),
        'adam_schedule': lambda: O.Adam(learning_rate=O.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)),
    }
    out = {}
    for name, make in cases.items():
        keras.utils.set_random_seed(6)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation='relu'), keras.layers.Dense(3, activation='softmax')])
        m.compile(optimizer=make(), loss='sparse_categorical_crossentropy')
        m.fit(X, Y, epochs=2, batch_size=3, shuffle=False, verbose=0)
        m.save(os.path.join(OUT, f'py_opt_{name}.keras'))
        iterations = int(m.optimizer.iterations.numpy())
        m.fit(X, Y, epochs=1, batch_size=3, shuffle=False, verbose=0)
        out[name] = {'optimizer': type(m.optimizer).__name__, 'iterations': iterations, 'weightsAfterOneMoreEpoch': [t(w) for w in m.get_weights()]}
    return out


def duet_written():
    out = {}
    seq = keras.saving.load_model(os.path.join(OUT, 'duet_sequential.keras'))
    out['sequential'] = {
        'className': type(seq).__name__,
        'name': seq.name,
        'layers': [type(l).__name__ for l in seq.layers],
        'optimizer': type(seq.optimizer).__name__,
        'learningRate': float(seq.optimizer.learning_rate.numpy()),
        'iterations': int(seq.optimizer.iterations.numpy()),
        'predict': t(seq.predict(X, verbose=0)),
    }
    seq.fit(X, Y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    out['sequential']['weightsAfterOneMoreEpoch'] = [t(w) for w in seq.get_weights()]
    multi = keras.saving.load_model(os.path.join(OUT, 'duet_multi.keras'))
    out['multi'] = {'layers': [l.name for l in multi.layers], 'predict': [t(p) for p in multi.predict([X, XB], verbose=0)]}
    fn = keras.saving.load_model(os.path.join(OUT, 'duet_functional.keras'))
    out['functional'] = {
        'className': type(fn).__name__,
        'name': fn.name,
        'layers': [l.name for l in fn.layers],
        'predict': t(fn.predict(X, verbose=0)),
    }
    return out


def tensorboard_read():
    from tensorboard.backend.event_processing import event_accumulator
    out = {}
    for split in ('train', 'validation'):
        d = os.path.join(OUT, 'tensorboard', split)
        (name,) = os.listdir(d)
        events = []
        for e in tf.compat.v1.train.summary_iterator(os.path.join(d, name)):
            ev = {'wallTime': e.wall_time, 'step': int(e.step), 'fileVersion': e.file_version or None, 'values': []}
            for v in e.summary.value:
                arr = tf.make_ndarray(v.tensor)
                ev['values'].append({'tag': v.tag, 'plugin': v.metadata.plugin_data.plugin_name, 'value': arr.tolist()})
            events.append(ev)
        acc = event_accumulator.EventAccumulator(d, size_guidance={event_accumulator.TENSORS: 0})
        acc.Reload()
        tensors = {tag: [[int(te.step), tf.make_ndarray(te.tensor_proto).tolist()] for te in acc.Tensors(tag)] for tag in acc.Tags()['tensors']}
        out[split] = {'file': name, 'events': events, 'accumulatorTensors': tensors}
    return out


def hostile_files():
    """A weights file whose dataset claims 10^12 float32 values (HDF5 allocates storage lazily, so the file stays small)."""
    import h5py
    with h5py.File(os.path.join(OUT, 'absurd_shape.weights.h5'), 'w') as f:
        f.create_group('vars')
        f.create_dataset('layers/dense/vars/0', shape=(1000000, 1000000), dtype='f4')
        f.create_dataset('layers/dense/vars/1', data=np.zeros((8,), np.float32))


def main():
    hostile_files()
    payload = {'versions': {**versions(), 'tensorboard': __import__('tensorboard').__version__}, 'x': t(X), 'y': Y.tolist(),
               'pythonWritten': python_written(), 'duetWritten': duet_written(), 'tensorboard': tensorboard_read()}
    path = os.path.join(OUT, 'keras_saving.json')
    with open(path, 'w') as f:
        json.dump(payload, f)
        f.write('\n')
    print(f'wrote {os.path.relpath(path)}', file=sys.stderr)


if __name__ == '__main__':
    main()
