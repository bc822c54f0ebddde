"""Helpers shared by the Keras golden generators (gen_keras*.py).

Each generator builds computations in Keras 3 on the TensorFlow backend from
seeded inputs and writes a JSON fixture next to it, with the versions it ran
with. Add a group: write a function returning a JSON-able dict and call
`write_fixture('keras_<group>.json', {...})` from a `gen_keras_<group>.py`
(or add it to GROUPS in gen_keras.py if it belongs to the foundation).
"""
import json
import os
import platform
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def versions():
    return {'keras': keras.__version__, 'tensorflow': tf.__version__, 'numpy': np.__version__, 'python': platform.python_version()}


def t(x):
    """A tensor / array as {shape, dtype, data} with exact float32 values."""
    a = np.asarray(x)
    if a.dtype == np.bool_:
        dtype = 'bool'
        a = a.astype(np.int32)
    elif np.issubdtype(a.dtype, np.integer):
        dtype = 'int32'
        a = a.astype(np.int64)
    else:
        dtype = 'float32'
        a = a.astype(np.float32)
    return {'shape': list(a.shape), 'dtype': dtype, 'data': [float(v) if dtype == 'float32' else int(v) for v in a.reshape(-1).tolist()]}


def rng(seed):
    return np.random.default_rng(seed)


def write_fixture(name, payload):
    payload = {'versions': versions(), **payload}
    path = os.path.join(HERE, name)
    with open(path, 'w') as f:
        json.dump(payload, f, allow_nan=True)
        f.write('\n')
    print(f'wrote {os.path.relpath(path)} ({os.path.getsize(path) // 1024} KB)', file=sys.stderr)
