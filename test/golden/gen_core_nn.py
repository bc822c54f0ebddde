"""Golden values for @duet/core's `functional` nn ops, computed by PyTorch.

Run from the repository root with the reference venv:

    .venv-ref/bin/python test/golden/gen_core_nn.py

writes test/golden/core_nn.json (it records the torch and NumPy versions it
ran with; the committed file was made with torch 2.13.0+cpu), read by
core_nn.test.ts. Each case names a Duet op (`functional.<op>`), its
positional arguments and its options exactly as Duet takes them (camelCase;
the same dict is translated to torch's keywords here), and stores:
  - the inputs, drawn from a NumPy RNG seeded by the case's name (adding a
    case leaves the others unchanged), rounded to 3 decimals;
  - the output, an upstream gradient, and the gradients of
    (out * upstream).sum() w.r.t. every float input.
Channels-last cases (dataFormat 'NHWC' / 'NLC') run torch in its own layout
and store inputs, output and gradients permuted to channels last, with the
weight in Keras's layout. Never edit core_nn.json by hand.
"""
import json
import warnings
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).with_name('core_nn.json')
CASES = []


def randn(*shape):
    return ('randn', shape)


def relu_randn(*shape):
    """Many exact zeros: ties inside max-pool windows."""
    return ('relu', shape)


def draw(spec, rng):
    kind, shape = spec
    v = np.round(rng.standard_normal(shape), 3).astype(np.float32)
    return np.maximum(v, 0) if kind == 'relu' else v


def case(name, op, inputs, args=(), opts=None):
    CASES.append(dict(name=name, op=op, inputs=inputs, args=list(args), opts=opts or {}))


# ------------------------------------------------------------------ conv2d
X = randn(2, 4, 7, 6)
case('conv2d', 'conv2d', dict(x=X, weight=randn(6, 4, 3, 3), bias=randn(6)))
case('conv2d_nobias', 'conv2d', dict(x=X, weight=randn(6, 4, 3, 3)))
case('conv2d_stride_pad', 'conv2d', dict(x=X, weight=randn(5, 4, 3, 3), bias=randn(5)), opts=dict(stride=2, padding=1))
case('conv2d_asym', 'conv2d', dict(x=X, weight=randn(3, 4, 2, 3), bias=randn(3)), opts=dict(stride=[2, 1], padding=[0, 2]))
case('conv2d_stride_uneven', 'conv2d', dict(x=X, weight=randn(3, 4, 3, 2), bias=randn(3)), opts=dict(stride=[3, 2]))
case('conv2d_dilation', 'conv2d', dict(x=X, weight=randn(4, 4, 3, 3), bias=randn(4)), opts=dict(dilation=2, padding=1))
case('conv2d_dilation_stride', 'conv2d', dict(x=X, weight=randn(4, 4, 3, 2), bias=randn(4)), opts=dict(dilation=[2, 3], stride=2, padding=[2, 1]))
case('conv2d_groups2', 'conv2d', dict(x=X, weight=randn(6, 2, 3, 3), bias=randn(6)), opts=dict(groups=2, padding=1))
case('conv2d_groups2_dilation_stride', 'conv2d', dict(x=X, weight=randn(4, 2, 3, 3), bias=randn(4)), opts=dict(groups=2, dilation=2, stride=2, padding=2))
case('conv2d_depthwise', 'conv2d', dict(x=X, weight=randn(4, 1, 3, 3), bias=randn(4)), opts=dict(groups=4, padding=1))
case('conv2d_depthwise_mult2_stride', 'conv2d', dict(x=X, weight=randn(8, 1, 3, 3), bias=randn(8)), opts=dict(groups=4, stride=2, padding=1))
case('conv2d_depthwise_dilation', 'conv2d', dict(x=X, weight=randn(4, 1, 3, 3)), opts=dict(groups=4, dilation=2, padding=2))
case('conv2d_same_odd', 'conv2d', dict(x=X, weight=randn(3, 4, 3, 5), bias=randn(3)), opts=dict(padding='same'))
case('conv2d_same_even', 'conv2d', dict(x=X, weight=randn(3, 4, 2, 4), bias=randn(3)), opts=dict(padding='same'))
case('conv2d_same_dilation', 'conv2d', dict(x=X, weight=randn(3, 4, 2, 3), bias=randn(3)), opts=dict(padding='same', dilation=[3, 2]))
case('conv2d_explicit_asym', 'conv2d', dict(x=X, weight=randn(3, 4, 3, 3), bias=randn(3)), opts=dict(stride=2, padding=[[0, 1], [2, 1]]))
case('conv2d_valid', 'conv2d', dict(x=X, weight=randn(3, 4, 3, 3)), opts=dict(padding='valid'))
case('conv2d_1x1', 'conv2d', dict(x=X, weight=randn(7, 4, 1, 1), bias=randn(7)))
case('conv2d_1x1_nobias_unbatched', 'conv2d', dict(x=randn(4, 3, 5), weight=randn(2, 4, 1, 1)))
case('conv2d_1x1_stride', 'conv2d', dict(x=X, weight=randn(3, 4, 1, 1), bias=randn(3)), opts=dict(stride=2))
case('conv2d_unbatched', 'conv2d', dict(x=randn(4, 6, 5), weight=randn(3, 4, 3, 3), bias=randn(3)), opts=dict(padding=1))
case('conv2d_nhwc', 'conv2d', dict(x=X, weight=randn(5, 4, 3, 3), bias=randn(5)), opts=dict(stride=2, padding=1, dataFormat='NHWC'))
case('conv2d_nhwc_depthwise', 'conv2d', dict(x=X, weight=randn(4, 1, 3, 3), bias=randn(4)), opts=dict(groups=4, padding='same', dataFormat='NHWC'))

# ------------------------------------------------------------------ conv1d
X1 = randn(2, 4, 11)
case('conv1d', 'conv1d', dict(x=X1, weight=randn(6, 4, 3), bias=randn(6)))
case('conv1d_stride_pad_dilation', 'conv1d', dict(x=X1, weight=randn(5, 4, 3), bias=randn(5)), opts=dict(stride=2, padding=2, dilation=2))
case('conv1d_groups', 'conv1d', dict(x=X1, weight=randn(4, 2, 3), bias=randn(4)), opts=dict(groups=2, padding=1))
case('conv1d_same', 'conv1d', dict(x=X1, weight=randn(3, 4, 4), bias=randn(3)), opts=dict(padding='same'))
case('conv1d_nlc', 'conv1d', dict(x=X1, weight=randn(3, 4, 3), bias=randn(3)), opts=dict(padding=1, dataFormat='NLC'))

# -------------------------------------------------------- convTranspose2d
XT = randn(2, 4, 5, 4)
case('conv_transpose2d', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 3, 3), bias=randn(3)))
case('conv_transpose2d_stride2_outpad', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 3, 3), bias=randn(3)), opts=dict(stride=2, padding=1, outputPadding=1))
case('conv_transpose2d_stride2_nopad_outpad', 'convTranspose2d', dict(x=XT, weight=randn(4, 2, 4, 4), bias=randn(2)), opts=dict(stride=2, outputPadding=1))
case('conv_transpose2d_asym', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 2, 3)), opts=dict(stride=[3, 2], padding=[1, 0], outputPadding=[2, 1]))
case('conv_transpose2d_dilation', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 3, 3), bias=randn(3)), opts=dict(dilation=2, padding=1))
case('conv_transpose2d_dilation_outpad', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 3, 3), bias=randn(3)), opts=dict(dilation=3, outputPadding=2))
case('conv_transpose2d_nhwc', 'convTranspose2d', dict(x=XT, weight=randn(4, 3, 3, 3), bias=randn(3)), opts=dict(stride=2, padding=1, outputPadding=1, dataFormat='NHWC'))

# ----------------------------------------------------------------- pooling
XP = randn(2, 3, 7, 6)
case('max_pool2d', 'maxPool2d', dict(x=XP), args=[2])
case('max_pool2d_stride_pad', 'maxPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1))
case('max_pool2d_ceil', 'maxPool2d', dict(x=XP), args=[[3, 2]], opts=dict(stride=2, ceilMode=True))
case('max_pool2d_ceil_pad', 'maxPool2d', dict(x=XP), args=[3], opts=dict(stride=[2, 3], padding=1, ceilMode=True))
case('max_pool2d_stride_gt_kernel', 'maxPool2d', dict(x=XP), args=[2], opts=dict(stride=3, padding=1, ceilMode=True))
case('max_pool2d_relu_ties', 'maxPool2d', dict(x=relu_randn(2, 3, 8, 8)), args=[3], opts=dict(stride=1, padding=1))
case('max_pool2d_nhwc', 'maxPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, dataFormat='NHWC'))
case('avg_pool2d', 'avgPool2d', dict(x=XP), args=[2])
case('avg_pool2d_pad', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1))
case('avg_pool2d_pad_exclude', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, countIncludePad=False))
case('avg_pool2d_ceil', 'avgPool2d', dict(x=XP), args=[[2, 3]], opts=dict(stride=2, ceilMode=True))
case('avg_pool2d_ceil_pad', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, ceilMode=True))
case('avg_pool2d_ceil_pad_exclude', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, ceilMode=True, countIncludePad=False))
case('avg_pool2d_divisor', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, divisorOverride=4))
case('avg_pool2d_nhwc', 'avgPool2d', dict(x=XP), args=[3], opts=dict(stride=2, padding=1, ceilMode=True, dataFormat='NHWC'))
XP1 = randn(2, 3, 11)
case('max_pool1d', 'maxPool1d', dict(x=XP1), args=[3], opts=dict(stride=2, padding=1))
case('max_pool1d_ceil', 'maxPool1d', dict(x=XP1), args=[2], opts=dict(ceilMode=True))
case('avg_pool1d', 'avgPool1d', dict(x=XP1), args=[3], opts=dict(stride=2, padding=1, countIncludePad=False))
case('avg_pool1d_ceil', 'avgPool1d', dict(x=XP1), args=[4], opts=dict(stride=3, ceilMode=True))
case('adaptive_avg_pool2d_1', 'adaptiveAvgPool2d', dict(x=XP), args=[1])
case('adaptive_avg_pool2d_divisible', 'adaptiveAvgPool2d', dict(x=randn(2, 3, 8, 6)), args=[[4, 3]])
case('adaptive_avg_pool2d_nondivisible', 'adaptiveAvgPool2d', dict(x=XP), args=[[4, 5]])
case('adaptive_avg_pool2d_upsample', 'adaptiveAvgPool2d', dict(x=randn(2, 2, 3, 5)), args=[[7, 5]])
case('adaptive_avg_pool2d_keep_h', 'adaptiveAvgPool2d', dict(x=XP), args=[[None, 3]])
case('adaptive_avg_pool2d_unbatched', 'adaptiveAvgPool2d', dict(x=randn(3, 7, 7)), args=[3])

# --------------------------------------------------------------- embedding
IDX = ('idx', [[1, 4, 4, 0], [9, 4, 2, 1], [0, 0, 7, 4]])
case('embedding', 'embedding', dict(indices=IDX, weight=randn(10, 5)))
case('embedding_padding_idx', 'embedding', dict(indices=IDX, weight=randn(10, 5)), opts=dict(paddingIdx=4))
case('embedding_padding_idx_negative', 'embedding', dict(indices=('idx', [3, 9, 9, 2, 0]), weight=randn(10, 3)), opts=dict(paddingIdx=-1))

# ---------------------------------------------------------------- running
TORCH_KW = dict(stride='stride', padding='padding', dilation='dilation', groups='groups', outputPadding='output_padding',
                ceilMode='ceil_mode', countIncludePad='count_include_pad', divisorOverride='divisor_override',
                paddingIdx='padding_idx')
FN = dict(conv2d=F.conv2d, conv1d=F.conv1d, convTranspose2d=F.conv_transpose2d, maxPool2d=F.max_pool2d,
          avgPool2d=F.avg_pool2d, maxPool1d=F.max_pool1d, avgPool1d=F.avg_pool1d,
          adaptiveAvgPool2d=F.adaptive_avg_pool2d, embedding=F.embedding)


def torch_arg(v):
    return tuple(v) if isinstance(v, list) else v


def channels_last(name, a, fmt):
    """A torch-layout array in Duet's channels-last layout (weights in Keras's layout)."""
    if fmt is None:
        return a
    if name == 'weight':  # conv [out, in, kH, kW] -> [kH, kW, in, out]; transposed [in, out, kH, kW] -> [kH, kW, out, in]
        return a.transpose(2, 3, 1, 0) if a.ndim == 4 else a.transpose(2, 1, 0)
    if name == 'bias':
        return a
    return np.moveaxis(a, 1, -1)


def store(a, dtype='float32'):
    a = np.asarray(a)
    if dtype == 'int32':
        return dict(shape=list(a.shape), dtype='int32', values=[int(v) for v in a.ravel()])
    return dict(shape=list(a.shape), dtype='float32', values=[float('%.7g' % v) for v in a.astype(np.float32).ravel()])


def run(c):
    rng = np.random.default_rng(zlib.crc32(c['name'].encode()))
    fmt = c['opts'].get('dataFormat')
    fmt = fmt if fmt in ('NHWC', 'NLC') else None
    arrays, tensors = {}, {}
    for k, spec in c['inputs'].items():
        if spec[0] == 'idx':
            arrays[k] = np.array(spec[1], dtype=np.int64)
            tensors[k] = torch.from_numpy(arrays[k])
        else:
            arrays[k] = draw(spec, rng)
            tensors[k] = torch.from_numpy(arrays[k].copy()).requires_grad_(True)
    kw = {TORCH_KW[k]: torch_arg(v) for k, v in c['opts'].items() if k != 'dataFormat'}
    args = [torch_arg(a) for a in c['args']]
    if c['op'] == 'embedding':
        out = F.embedding(tensors['indices'], tensors['weight'], **kw)
    elif c['op'].startswith('conv'):
        x = tensors['x']
        if isinstance(kw.get('padding'), tuple) and isinstance(kw['padding'][0], list):  # Duet's [[top, bottom], [left, right]]
            (t, b), (l, r) = kw.pop('padding')
            x = F.pad(x, (l, r, t, b))
        out = FN[c['op']](x, tensors['weight'], tensors.get('bias'), **kw)
    else:
        out = FN[c['op']](tensors['x'], *args, **kw)
    up = np.round(rng.standard_normal(tuple(out.shape)), 3).astype(np.float32)
    (out * torch.from_numpy(up)).sum().backward()
    outputs = dict(out=out.detach().numpy(), upstream=up)
    grads = {k: t.grad.numpy() for k, t in tensors.items() if t.requires_grad}
    to_duet = lambda name, a: channels_last(name, a, fmt)
    return dict(
        name=c['name'], op=c['op'], args=c['args'], opts=c['opts'],
        inputs={k: store(to_duet(k, a), 'int32' if a.dtype == np.int64 else 'float32') for k, a in arrays.items()},
        upstream=store(to_duet('out', outputs['upstream'])),
        out=store(to_duet('out', outputs['out'])),
        grads={k: store(to_duet(k, g)) for k, g in grads.items()},
    )


def main():
    warnings.filterwarnings('ignore', message="Using padding='same'")
    torch.manual_seed(0)
    golden = dict(torch=torch.__version__, numpy=np.__version__, generator='test/golden/gen_core_nn.py',
                  cases=[run(c) for c in CASES])
    OUT.write_text(json.dumps(golden, separators=(',', ':')) + '\n')
    print(f'wrote {OUT} ({len(CASES)} cases, torch {torch.__version__})')


if __name__ == '__main__':
    main()
