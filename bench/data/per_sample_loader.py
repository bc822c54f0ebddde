"""PyTorch peer of bench/data/per_sample_loader.ts: a Dataset whose
__getitem__ returns rows of two tensors it holds (x [N, 784] float32,
y [N] int64), through DataLoader(batch_size=32, shuffle=True), num_workers 0.
Prints one JSON line: the seconds of each of REPS epochs.

Run: .venv-ref/bin/python bench/data/per_sample_loader.py [rows] [reps]
"""
import json, sys, time
import torch
from torch.utils.data import DataLoader, Dataset

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.manual_seed(0)


class Rows(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


ds = Rows(torch.randn(rows, 784), torch.randint(0, 10, (rows,)))
seconds = []
for _ in range(reps):
    t0 = time.perf_counter()
    n = 0
    for xb, yb in DataLoader(ds, batch_size=32, shuffle=True):
        n += len(xb)
    seconds.append(time.perf_counter() - t0)
print(json.dumps({'torch': torch.__version__, 'rows': n, 'seconds': seconds}))
