"""Fixtures for loading PyTorch and Hugging Face checkpoints in Duet (docs/interop.md).

Run from the repository root with the reference venv:
    .venv-ref/bin/python test/golden/gen_interop.py
It writes test/interop/ (checked by packages/nn/src/serialization/interop.test.ts and
examples/pytorch-interop.ts) and test/interop/interop.json with the versions it ran with:

- mlp.safetensors, mlp.pt: one small MLP saved by `safetensors.torch.save_file` and by
  `torch.save(model.state_dict())`, with fixed inputs and PyTorch's outputs in the JSON;
- dtypes.pt (also as pytorch_model.bin): every dtype torch.save writes that Duet reads, a transposed
  (non-contiguous) tensor, views sharing one storage at offsets, a Parameter, nested containers;
- sharded/: a Hugging Face style sharded checkpoint (two shards + model.safetensors.index.json);
- legacy.pt: torch.save(_use_new_zipfile_serialization=False);
- hostile/*.pt: hand-built pickles and zips that must be refused (nothing is ever executed).
"""
import io
import json
import os
import pickle
import platform
import struct
import zipfile

import numpy
import safetensors
import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'interop')
torch.manual_seed(0)


def t(x):
    """A tensor as {shape, data} with exact float32 (or integer) values."""
    x = x.detach()
    return {'shape': list(x.shape), 'data': (x.float() if x.is_floating_point() else x).reshape(-1).tolist()}


class MLP(torch.nn.Module):
    """The model of examples/pytorch-interop.ts (Duet builds the same)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def mlp():
    model = MLP()
    sd = model.state_dict()
    save_file(sd, os.path.join(OUT, 'mlp.safetensors'), metadata={'format': 'pt'})
    torch.save(sd, os.path.join(OUT, 'mlp.pt'))
    x = torch.linspace(-2, 2, 20).reshape(5, 4)
    with torch.no_grad():
        y = model(x)
    return {'input': t(x), 'output': t(y), 'keys': list(sd.keys())}


def dtypes():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    shared = torch.arange(10, dtype=torch.float32) * 0.5
    sd = {
        'f32': torch.tensor([[1.5, -2.0], [3.25, 1e-7]]),
        'f64': torch.tensor([1.5, -2.25e-3, 1e30], dtype=torch.float64),
        'f16': torch.tensor([0.1, -65504, 6e-8, 1.0], dtype=torch.float16),
        'bf16': torch.tensor([3.140625, -1e20, 0.5], dtype=torch.bfloat16),
        'i64': torch.tensor([[-2147483648, 2147483647], [0, -5]], dtype=torch.int64),
        'i32': torch.tensor([7, -7], dtype=torch.int32),
        'i16': torch.tensor([-32768, 7], dtype=torch.int16),
        'i8': torch.tensor([-128, 127], dtype=torch.int8),
        'u8': torch.tensor([0, 255], dtype=torch.uint8),
        'flag': torch.tensor([True, False, True]),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
        'transposed': base.t(),  # stride (1, 4): gathered into contiguous order
        'head': shared[:4],  # two views of one storage, at offsets 0 and 6
        'tail': shared[6:],
        'strided': shared[1::3],  # offset 1, stride 3
        'param': torch.nn.Parameter(torch.tensor([0.25, -0.5])),
        'num_batches_tracked': torch.tensor(3),
    }
    torch.save(sd, os.path.join(OUT, 'dtypes.pt'))
    os.makedirs(os.path.join(OUT, 'bin'), exist_ok=True)
    torch.save(sd, os.path.join(OUT, 'bin', 'pytorch_model.bin'))
    torch.save({'big': torch.tensor([1, 2**40], dtype=torch.int64)}, os.path.join(OUT, 'int64_overflow.pt'))
    torch.save({'w': torch.ones(2)}, os.path.join(OUT, 'legacy.pt'), _use_new_zipfile_serialization=False)
    # A checkpoint holding more than a state dict: nested dicts, lists, tuples, primitives (all allowed).
    ckpt = {'epoch': 3, 'lr': 0.5, 'name': 'run-1', 'done': True, 'none': None, 'big': 2**40,
            'model': {'w': torch.ones(2, 2)}, 'history': [1.5, 2.5], 'pair': (1, 'a')}
    torch.save(ckpt, os.path.join(OUT, 'checkpoint.pt'))
    out = {}
    for k, v in sd.items():
        out[k] = dict(t(v), torchDtype=str(v.dtype))
    return out


def sharded():
    d = os.path.join(OUT, 'sharded')
    os.makedirs(d, exist_ok=True)
    model = MLP()
    sd = {k: v.to(torch.bfloat16) if k.startswith('fc1') else v for k, v in model.state_dict().items()}
    shards = {'model-00001-of-00002.safetensors': ['fc1.weight', 'fc1.bias'], 'model-00002-of-00002.safetensors': ['fc2.weight', 'fc2.bias']}
    weight_map, total = {}, 0
    for f, names in shards.items():
        save_file({n: sd[n].contiguous() for n in names}, os.path.join(d, f), metadata={'format': 'pt'})
        for n in names:
            weight_map[n] = f
            total += sd[n].numel() * sd[n].element_size()
    # Hugging Face's layout (transformers' save_pretrained with max_shard_size).
    with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2, sort_keys=True)
    x = torch.linspace(-2, 2, 8).reshape(2, 4)
    model_bf = MLP()
    model_bf.load_state_dict({k: v.float() for k, v in sd.items()})
    with torch.no_grad():
        y = model_bf(x)
    return {'weightMap': weight_map, 'values': {k: t(v) for k, v in sd.items()}, 'input': t(x), 'output': t(y)}


# --------------------------------------------------------------- hostile files
def zip_pt(path, entries, compress=None):
    """A zip laid out as torch.save lays it out; entries: list of (name, bytes)."""
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=(compress or {}).get(name, zipfile.ZIP_STORED))


def real_pt(sd):
    """The entries of torch.save(sd) (archive name 'archive')."""
    buf = io.BytesIO()
    torch.save(sd, buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def with_pickle(pkl, storages=()):
    return [('archive/data.pkl', pkl), ('archive/byteorder', b'little')] + list(storages) + [('archive/version', b'3\n')]


def binunicode(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b


def hostile():
    d = os.path.join(OUT, 'hostile')
    os.makedirs(d, exist_ok=True)
    cases = {}

    def add(name, entries, expect, compress=None):
        zip_pt(os.path.join(d, name), entries, compress)
        cases[name] = expect

    # GLOBAL 'os system' then REDUCE with ('echo pwned',): what a malicious torch.save file does.
    add('os_system.pt', with_pickle(b'\x80\x02cos\nsystem\n' + binunicode('echo pwned') + b'\x85R.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "global 'os.system' is not allowed"})
    add('eval_reduce.pt', with_pickle(b'\x80\x02cbuiltins\neval\n' + binunicode('1+1') + b'\x85R.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "global 'builtins.eval' is not allowed"})
    add('builtin_exec.pt', with_pickle(b'\x80\x02c__builtin__\nexec\n' + binunicode('x=1') + b'\x85R.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "global '__builtin__.exec' is not allowed"})
    # Protocol 4: STACK_GLOBAL from two strings on the stack.
    add('posix_system.pt', with_pickle(b'\x80\x04\x8c\x05posix\x8c\x06system\x93' + binunicode('id') + b'\x85R.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "global 'posix.system' is not allowed"})
    # An allowed global (OrderedDict) reduced with arguments is fine; REDUCE of torch's own rebuild with a non-storage is not.
    add('inst.pt', with_pickle(b'\x80\x02(' + binunicode('ls') + b'ios\nsystem\n.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "opcode INST"})
    add('obj.pt', with_pickle(b'\x80\x02(cos\nsystem\n' + binunicode('ls') + b'o.'),
        {'code': 'ERR_UNSAFE_PICKLE', 'message': "global 'os.system' is not allowed"})
    # A huge memo index (LONG_BINGET 2**32-1) must not allocate or crash.
    add('huge_memo.pt', with_pickle(b'\x80\x02j\xff\xff\xff\xff.'),
        {'code': 'ERR_PICKLE', 'message': 'memo index 4294967295'})
    real = real_pt({'w': torch.arange(4, dtype=torch.float32)})
    pkl = dict(real)['archive/data.pkl']
    rest = [(n, b) for n, b in real if n != 'archive/data.pkl']
    add('truncated.pt', [('archive/data.pkl', pkl[: len(pkl) // 2])] + rest,
        {'code': 'ERR_PICKLE', 'message': 'truncated'})
    add('missing_storage.pt', [(n, b) for n, b in real if n != 'archive/data/0'],
        {'code': 'ERR_TORCH_ARCHIVE', 'message': "'archive/data/0'"})
    add('zip_slip.pt', real + [('../../evil.txt', b'pwned')],
        {'code': 'ERR_TORCH_ARCHIVE', 'message': "'../../evil.txt'"})
    # A zip bomb: the storage of 4 floats (16 bytes) inflates to 16 MB of zeros.
    add('zip_bomb.pt', [(n, b if n != 'archive/data/0' else bytes(16 * 2**20)) for n, b in real],
        {'code': 'ERR_TORCH_ARCHIVE', 'message': '16777216 bytes'}, compress={'archive/data/0': zipfile.ZIP_DEFLATED})
    # Shape [2, 3] with stride [3, 1] on a storage of 4 floats.
    over = pkl.replace(b'K\x04\x85', b'K\x02K\x03\x86', 1).replace(b'K\x01\x85', b'K\x03K\x01\x86', 1)
    assert over != pkl, 'the pickle layout changed; update the byte patch'
    add('stride_overflow.pt', [('archive/data.pkl', over)] + rest,
        {'code': 'ERR_TORCH_TENSOR', 'message': "tensor 'w'"})
    add('big_endian.pt', [(n, b if n != 'archive/byteorder' else b'big') for n, b in real],
        {'code': 'ERR_TORCH_ARCHIVE', 'message': "byteorder 'big'"})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    data = {
        'generatedBy': 'test/golden/gen_interop.py',
        'versions': {'python': platform.python_version(), 'torch': torch.__version__, 'safetensors': safetensors.__version__,
                     'numpy': numpy.__version__, 'pickle': pickle.format_version},
        'mlp': mlp(),
        'dtypes': dtypes(),
        'sharded': sharded(),
        'hostile': hostile(),
    }
    with open(os.path.join(OUT, 'interop.json'), 'w') as f:
        json.dump(data, f, indent=1, allow_nan=False)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote test/interop: {size} bytes')


if __name__ == '__main__':
    main()
