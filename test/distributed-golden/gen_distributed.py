"""Golden values for Duet's distributed training (issue 13).

Generated from the reference venv (TensorFlow 2.21, torch 2.13):

    .venv-ref/bin/python test/distributed-golden/gen_distributed.py

writes test/distributed-golden/distributed.json, read by
test/distributed-config.test.ts and test/distributed-sampler.test.ts:
- server_defs: TensorFlow's ServerDef for a cluster and a task, serialized by
  protobuf (deterministic), as hex: Duet encodes the same message by hand.
- tf_config: the rank TensorFlow gives a TF_CONFIG task
  (multi_worker_util.id_in_cluster), the order Duet must follow.
- samplers: torch.utils.data.DistributedSampler's indices per rank and epoch,
  with the order it shards (torch.randperm under seed + epoch when shuffling).
Never edit distributed.json by hand.
"""
import json
from pathlib import Path

import torch
from torch.utils.data import DistributedSampler
from tensorflow.core.protobuf import tensorflow_server_pb2
from tensorflow.python.distribute import multi_worker_util
from tensorflow.python.training import server_lib

OUT = Path(__file__).with_name('distributed.json')


def server_def(cluster, rank):
    sd = tensorflow_server_pb2.ServerDef()
    job = sd.cluster.job.add()
    job.name = 'worker'
    for i, address in enumerate(cluster):
        job.tasks[i] = address
    sd.job_name = 'worker'
    sd.task_index = rank
    sd.default_session_config.experimental.collective_group_leader = '/job:worker/replica:0/task:0'
    sd.protocol = 'grpc'
    return sd.SerializeToString(deterministic=True).hex()


server_defs = []
for cluster in (['localhost:12345', 'localhost:12346'],
                ['10.0.0.1:2222', 'node-b.example.com:2222', '[::1]:40000', 'localhost:65535']):
    for rank in range(len(cluster)):
        server_defs.append({'cluster': cluster, 'rank': rank, 'hex': server_def(cluster, rank)})

tf_config = []
for cluster in ({'worker': ['w0:1', 'w1:1', 'w2:1']},
                {'chief': ['c:1'], 'worker': ['w0:1', 'w1:1']}):
    spec = server_lib.ClusterSpec(cluster).as_dict()
    for task_type, addresses in cluster.items():
        for index in range(len(addresses)):
            tf_config.append({
                'tf_config': {'cluster': cluster, 'task': {'type': task_type, 'index': index}},
                'rank': multi_worker_util.id_in_cluster(spec, task_type, index),
            })


class Sized(torch.utils.data.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


samplers = []
for n, replicas, shuffle, seed, drop_last in ((10, 2, False, 0, False), (10, 3, False, 0, False), (10, 3, False, 0, True),
                                              (11, 4, True, 0, False), (11, 4, True, 7, True), (64, 2, True, 0, False),
                                              (5, 8, False, 0, False), (5, 8, True, 3, False)):
    for epoch in (0, 1):
        per_rank = []
        for rank in range(replicas):
            s = DistributedSampler(Sized(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            per_rank.append(list(iter(s)))
        # the order torch shards: its own randperm when shuffling (Duet's generator differs, its sharding must not)
        g = torch.Generator()
        g.manual_seed(seed + epoch)
        order = torch.randperm(n, generator=g).tolist() if shuffle else list(range(n))
        samplers.append({'n': n, 'numReplicas': replicas, 'shuffle': shuffle, 'seed': seed, 'dropLast': drop_last,
                         'epoch': epoch, 'order': order, 'indices': per_rank})

OUT.write_text(json.dumps({'server_defs': server_defs, 'tf_config': tf_config, 'samplers': samplers}, indent=1) + '\n')
print(f'wrote {OUT}')
