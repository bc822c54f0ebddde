"""Keras 3.15 (TensorFlow 2.21 backend, CPU) peer for bench/keras/lstm.ts: the
same text classifier (Embedding(VOCAB, EMB[, mask_zero]) -> LSTM(UNITS) ->
Dense(2, softmax); Adam; sparse categorical crossentropy) on the same token
file, fit once to trace, then timed over one epoch of BATCHES batches.
Three variants: plain, mask_zero on the (right-padded) ids, mask_zero on the
same ids pre-padded (`maskPre`).

Prints one JSON line: seconds per training batch for each variant.
Run: .venv-ref/bin/python bench/keras/lstm_keras.py <tokens.bin> <labels.bin> <n> <len> <vocab> <emb> <units> <batch>
"""
import json
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

tok_path, lab_path = sys.argv[1], sys.argv[2]
n, length, vocab, emb, units, batch = (int(v) for v in sys.argv[3:9])
x = np.fromfile(tok_path, dtype=np.int32).reshape(n, length)
y = np.fromfile(lab_path, dtype=np.int32)
# The same ids pre-padded (pad_sequences' default padding='pre'): each row's ids moved to its end.
x_pre = np.zeros_like(x)
for i, l in enumerate((x != 0).sum(axis=1)):
    x_pre[i, length - l:] = x[i, :l]
out = {'keras': keras.__version__, 'tf': tf.__version__}
for variant, mask, data in (('plain', False, x), ('mask', True, x), ('maskPre', True, x_pre)):
    x = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((length,), dtype='int32'),
        keras.layers.Embedding(vocab, emb, mask_zero=mask),
        keras.layers.LSTM(units),
        keras.layers.Dense(2, activation='softmax'),
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
    model.fit(x[: 2 * batch], y[: 2 * batch], batch_size=batch, epochs=1, verbose=0, shuffle=False)  # trace
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    out[variant] = (time.perf_counter() - t0) / (n // batch)
print(json.dumps(out))
