"""Hostile weights files for .weights.h5 / .keras loading (issue 10), written with h5py.

Each has the group layout Keras 3 reads for Sequential([Input((4,)), Dense(8)])
(layers/dense/vars/0 and /1), but a dataset of a dtype no Keras weight has:
complex64, a variable-length string, int8 and a compound (record) type. Duet
must refuse each with ERR_KERAS_H5 naming the dataset and its dtype, before
any value is read. Checked by test/keras_saving/hostile.test.ts.

    .venv-ref/bin/python test/golden/gen_keras_hostile.py
"""
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'keras_saving', 'hostile')


def write(name, kernel):
    with h5py.File(os.path.join(OUT, f'{name}.weights.h5'), 'w') as f:
        f.create_group('vars')
        f.create_group('layers/dense/vars')
        kernel(f['layers/dense/vars'])
        f['layers/dense/vars'].create_dataset('1', data=np.zeros((8,), np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    write('complex', lambda g: g.create_dataset('0', data=np.ones((4, 8), np.complex64)))
    write('string', lambda g: g.create_dataset('0', data=np.array(['os.system("touch pwned")'] * 4, dtype=h5py.string_dtype())))
    write('int8', lambda g: g.create_dataset('0', data=np.ones((4, 8), np.int8)))
    write('compound', lambda g: g.create_dataset('0', data=np.zeros((4, 8), dtype=[('re', '<f4'), ('im', '<f4')])))
    print(f'wrote {sorted(os.listdir(OUT))}')


if __name__ == '__main__':
    main()
