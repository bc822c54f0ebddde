"""PyTorch peer of bench/distributed/worker.ts: the seed MLP with DDP (gloo)
on in-memory batches of 32 per process, then all_reduce at the same sizes.
Run by bench/distributed/ddp.ts:  python ddp_torch.py NPROC  -> one line BENCH <json>.
"""
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

STEPS = int(os.environ.get('STEPS', 300))
WARMUP = 30
BATCH = 32
REPS = int(os.environ.get('REPS', 15))


class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def worker(rank, world, port):
    # one thread per process: OpenMP's spinning threads collapse on a loaded 2-core machine (TORCH_THREADS to change)
    torch.set_num_threads(int(os.environ.get('TORCH_THREADS', 1)))
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    g = torch.Generator().manual_seed(rank + 1)
    batches = [(torch.rand(BATCH, 784, generator=g), torch.randint(0, 10, (BATCH,), generator=g)) for _ in range(8)]
    inner = MyModel()
    model = nn.parallel.DistributedDataParallel(inner) if world > 1 else inner
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)

    def step(i):
        x, y = batches[i % len(batches)]
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for i in range(WARMUP):
        step(i)
    dist.barrier()
    t0 = time.perf_counter()
    for i in range(STEPS):
        step(i)
    dist.barrier()
    secs = time.perf_counter() - t0
    all_reduce = []
    if world > 1:
        for mb in (0.01, 0.1, 0.41, 1, 4, 16):
            t = torch.ones(round(mb * 1024 * 1024 / 4))
            times = []
            for _ in range(REPS):
                dist.barrier()
                s = time.perf_counter()
                dist.all_reduce(t)
                times.append((time.perf_counter() - s) * 1000)
            all_reduce.append({'mb': mb, 'msMedian': sorted(times)[len(times) // 2]})
    if rank == 0:
        print('BENCH ' + json.dumps({'world': world, 'steps': STEPS, 'secs': secs, 'stepsPerSec': STEPS / secs,
                                     'samplesPerSec': STEPS * BATCH * world / secs, 'allReduce': all_reduce}), flush=True)
    dist.destroy_process_group()


if __name__ == '__main__':
    world = int(sys.argv[1])
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    mp.spawn(worker, args=(world, port), nprocs=world, join=True)
