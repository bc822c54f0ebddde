"""Golden values for @duet/core's ops, computed by PyTorch.

Generated with PyTorch 2.13 (torch 2.13.0+cpu) and NumPy, from the reference venv:

    .venv-ref/bin/python test/golden/gen_core.py      # or: pnpm golden

writes test/golden/core.json, read by core.test.ts and core.leak.test.ts.
Each case stores its inputs (drawn from a NumPy RNG seeded by the case's
name, so adding a case leaves the others unchanged), the op's outputs, an
upstream gradient per float output, and the gradients of
sum_i (out_i * upstream_i).sum() w.r.t. every input that requires grad.
The op itself is written twice: in torch here, in Duet in core_ops.ts, under
the same case name. Never edit core.json by hand.

dtypes: torch's int64 results are stored as 'int32' (Duet's integer dtype).
Non-finite floats are stored as the strings 'NaN', 'Infinity', '-Infinity'
(JSON has no literal for them; JavaScript's Number() reads these strings).
"""
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).with_name('core.json')


# ----------------------------------------------------------------- inputs
class Spec:
    """How to draw one input: make(rng) -> ndarray; dtype; whether it requires grad."""

    def __init__(self, make, dtype='float32', grad=True):
        self.make, self.dtype, self.grad = make, dtype, grad and dtype == 'float32'

    def nograd(self):
        return Spec(self.make, self.dtype, grad=False)

    def put(self, value, *idx):
        """The same draw with `value` at the given (tuple) indices."""
        def make(rng):
            v = self.make(rng)
            for i in idx:
                v[i] = value
            return v
        return Spec(make, self.dtype, self.grad)

    def zero_at(self, *idx):
        return self.put(0.0, *idx)


def randn(*shape, scale=1.0, grad=True):
    return Spec(lambda r: np.round(r.standard_normal(shape) * scale, 3), grad=grad)


def uniform(lo, hi, *shape, grad=True):
    return Spec(lambda r: np.round(r.uniform(lo, hi, shape), 3), grad=grad)


def positive(*shape):
    return uniform(0.5, 2.0, *shape)


def awayfrom0(*shape):
    """Normal draws kept at least 0.1 away from 0 (for kinks at 0)."""
    return Spec(lambda r: np.round(np.where(r.random(shape) < 0.5, -1, 1) * (0.1 + np.abs(r.standard_normal(shape))), 3))


def steps(*shape, lo=-2, hi=3, div=1):
    """Small whole numbers as floats (divided by `div`): ties, zeros and exact boundaries."""
    return Spec(lambda r: r.integers(lo, hi, shape).astype(np.float64) / div)


def ints(lo, hi, *shape):
    return Spec(lambda r: r.integers(lo, hi, shape), dtype='int32')


def bools(*shape, p=0.5):
    return Spec(lambda r: r.random(shape) < p, dtype='bool')


def given(values, dtype='float32', grad=True):
    """Fixed inputs (the seed program's)."""
    return Spec(lambda r: np.array(values), dtype=dtype, grad=grad)


TORCH_DTYPE = {'float32': torch.float32, 'int32': torch.int64, 'bool': torch.bool}


# ------------------------------------------------------------------ cases
CASES = []


def case(name, inputs, fn, **tol):
    """`inputs`: name -> Spec; `fn(**tensors)` -> a tensor or a tuple/list of them.
    `tol`: atol / rtol (forward), gradAtol / gradRtol, when the defaults do not fit."""
    assert name not in {c[0] for c in CASES}, f'duplicate case {name}'
    CASES.append((name, inputs, fn, tol))


A34 = lambda: randn(3, 4)
A234 = lambda: randn(2, 3, 4)

# arithmetic, broadcasting and type promotion
case('add', {'a': A34(), 'b': A34()}, lambda a, b: a + b)
case('add_alpha', {'a': A34(), 'b': A34()}, lambda a, b: torch.add(a, b, alpha=-0.5))
case('add_scalar', {'a': A34()}, lambda a: a + 2.5)
case('add_bcast_col_row', {'a': randn(3, 1), 'b': randn(1, 4)}, lambda a, b: a + b)
case('add_int', {'a': ints(-5, 5, 3, 4), 'b': ints(-5, 5, 4)}, lambda a, b: a + b)
case('add_int_float_scalar', {'a': ints(-5, 5, 3, 4)}, lambda a: a + 2.5)
case('add_int_int_scalar', {'a': ints(-5, 5, 3, 4)}, lambda a: a + 2)
case('sub', {'a': A34(), 'b': A34()}, lambda a, b: a - b)
case('sub_alpha', {'a': A34(), 'b': A34()}, lambda a, b: torch.sub(a, b, alpha=2))
case('sub_scalar_alpha', {'a': A34()}, lambda a: torch.sub(a, 1.5, alpha=3))
case('sub_bcast_left', {'a': randn(4), 'b': A234()}, lambda a, b: a - b)
case('mul', {'a': A34(), 'b': A34()}, lambda a, b: a * b)
case('mul_scalar', {'a': A34()}, lambda a: a * -3)
case('mul_bcast_last', {'a': A234(), 'b': randn(4)}, lambda a, b: a * b)
case('mul_float_int', {'a': A34(), 'b': ints(-3, 4, 3, 4)}, lambda a, b: a * b)
case('mul_same_input', {'a': A34()}, lambda a: a * a)
case('div', {'a': A34(), 'b': awayfrom0(3, 4)}, lambda a, b: a / b)
case('div_scalar', {'a': A34()}, lambda a: a / 4)
case('div_bcast', {'a': randn(2, 1, 4), 'b': awayfrom0(3, 1)}, lambda a, b: a / b)
case('div_int', {'a': ints(-9, 9, 3, 4), 'b': ints(1, 5, 3, 4)}, lambda a, b: a / b)
case('pow_scalar2', {'a': A34()}, lambda a: a ** 2)
case('pow_scalar3', {'a': A34()}, lambda a: a.pow(3))
case('pow_scalar_half', {'a': positive(3, 4)}, lambda a: a.pow(0.5))
case('pow_scalar_neg', {'a': positive(3, 4)}, lambda a: a.pow(-1.5))
case('pow_tensor', {'a': positive(3, 4), 'b': A34()}, lambda a, b: a.pow(b))
case('pow_tensor_bcast', {'a': positive(2, 3), 'b': randn(3)}, lambda a, b: a.pow(b))
case('pow_int', {'a': ints(-3, 4, 3, 4)}, lambda a: a.pow(2))
case('maximum', {'a': A34(), 'b': A34()}, lambda a, b: torch.maximum(a, b))
case('maximum_ties', {'a': steps(3, 4), 'b': steps(4)}, lambda a, b: torch.maximum(a, b))
case('minimum', {'a': A34(), 'b': A34()}, lambda a, b: torch.minimum(a, b))
case('minimum_ties', {'a': steps(3, 4), 'b': steps(3, 1)}, lambda a, b: torch.minimum(a, b))
case('maximum_int', {'a': ints(-5, 5, 3, 4), 'b': ints(-5, 5, 3, 4)}, lambda a, b: torch.maximum(a, b))

# unary
case('neg', {'a': A34()}, lambda a: -a)
case('neg_int', {'a': ints(-5, 5, 6)}, lambda a: -a)
case('abs', {'a': steps(3, 4).zero_at((0, 0))}, lambda a: a.abs())
case('abs_int', {'a': ints(-5, 5, 6)}, lambda a: a.abs())
case('exp', {'a': A34()}, lambda a: a.exp())
case('exp_int', {'a': ints(-3, 3, 6)}, lambda a: a.exp())
case('log', {'a': positive(3, 4)}, lambda a: a.log())
case('log1p', {'a': uniform(-0.5, 2, 3, 4)}, lambda a: a.log1p())
case('sqrt', {'a': positive(3, 4)}, lambda a: a.sqrt())
case('rsqrt', {'a': positive(3, 4)}, lambda a: a.rsqrt())
case('sin', {'a': randn(3, 4, scale=2)}, lambda a: a.sin())
case('cos', {'a': randn(3, 4, scale=2)}, lambda a: a.cos())
case('square', {'a': A34()}, lambda a: a.square())
case('reciprocal', {'a': awayfrom0(3, 4)}, lambda a: a.reciprocal())
case('sign', {'a': steps(3, 4)}, lambda a: a.sign())
case('floor', {'a': randn(3, 4, scale=2)}, lambda a: a.floor())
case('ceil', {'a': randn(3, 4, scale=2)}, lambda a: a.ceil())
case('round_half_even', {'a': steps(3, 4, lo=-6, hi=7, div=2)}, lambda a: a.round())

# clamp
case('clamp_min', {'a': A34()}, lambda a: a.clamp(min=-0.5))
case('clamp_max', {'a': A34()}, lambda a: a.clamp(max=0.3))
case('clamp_both', {'a': A34()}, lambda a: a.clamp(-0.5, 0.5))
case('clamp_boundary', {'a': steps(3, 4)}, lambda a: a.clamp(-1, 1))
case('clamp_min_gt_max', {'a': A34()}, lambda a: a.clamp(0.5, -0.5))
case('clamp_int', {'a': ints(-5, 5, 3, 4)}, lambda a: a.clamp(-2, 3))

# where / maskedFill
case('where', {'cond': bools(3, 4), 'a': A34(), 'b': A34()}, lambda cond, a, b: torch.where(cond, a, b))
case('where_bcast', {'cond': bools(3, 1), 'a': randn(4), 'b': A34()}, lambda cond, a, b: torch.where(cond, a, b))
case('where_scalar_other', {'cond': bools(3, 4), 'a': A34()}, lambda cond, a: torch.where(cond, a, 0.0))
case('masked_fill', {'a': A34(), 'mask': bools(3, 4)}, lambda a, mask: a.masked_fill(mask, -1.5))
case('masked_fill_bcast', {'a': A234(), 'mask': bools(4)}, lambda a, mask: a.masked_fill(mask, 2.0))

# activations
case('relu', {'a': steps(3, 4, div=2)}, lambda a: a.relu())
case('leaky_relu', {'a': steps(3, 4, div=2)}, lambda a: F.leaky_relu(a))
case('leaky_relu_slope', {'a': A34()}, lambda a: F.leaky_relu(a, 0.2))
case('gelu', {'a': randn(3, 4, scale=2)}, lambda a: F.gelu(a))
case('gelu_tanh', {'a': randn(3, 4, scale=2)}, lambda a: F.gelu(a, approximate='tanh'))
case('silu', {'a': randn(3, 4, scale=2)}, lambda a: F.silu(a))
case('sigmoid', {'a': randn(3, 4, scale=2)}, lambda a: a.sigmoid())
case('tanh', {'a': randn(3, 4, scale=2)}, lambda a: a.tanh())
case('softplus', {'a': randn(3, 4, scale=3)}, lambda a: F.softplus(a))
case('softplus_beta_threshold', {'a': randn(3, 4, scale=2)}, lambda a: F.softplus(a, beta=2, threshold=1))
case('elu', {'a': steps(3, 4, div=2)}, lambda a: F.elu(a))
case('elu_alpha', {'a': randn(3, 4, scale=2)}, lambda a: F.elu(a, alpha=0.5))
case('softmax_dim0', {'a': A234()}, lambda a: a.softmax(0))
case('softmax_dim1', {'a': A234()}, lambda a: a.softmax(1))
case('softmax_dim_neg1', {'a': A234()}, lambda a: a.softmax(-1))
case('softmax_1d', {'a': randn(5, scale=3)}, lambda a: a.softmax(0))
case('log_softmax_dim0', {'a': A234()}, lambda a: a.log_softmax(0))
case('log_softmax_dim1', {'a': A234()}, lambda a: a.log_softmax(1))
case('log_softmax_dim_neg1', {'a': randn(3, 5, scale=10)}, lambda a: a.log_softmax(-1))

# reductions
case('sum', {'a': A234()}, lambda a: a.sum())
case('sum_dim', {'a': A234()}, lambda a: a.sum(1))
case('sum_dims', {'a': A234()}, lambda a: a.sum([0, 2]))
case('sum_dim_keepdim', {'a': A234()}, lambda a: a.sum(-1, keepdim=True))
case('sum_dims_keepdim', {'a': A234()}, lambda a: a.sum([0, -1], keepdim=True))
case('sum_int', {'a': ints(-5, 5, 3, 4)}, lambda a: a.sum(0))
case('sum_bool', {'a': bools(3, 4)}, lambda a: a.sum(1))
case('mean', {'a': A234()}, lambda a: a.mean())
case('mean_dim', {'a': A234()}, lambda a: a.mean(1))
case('mean_dims', {'a': A234()}, lambda a: a.mean([0, 2]))
case('mean_dim_keepdim', {'a': A234()}, lambda a: a.mean(-2, keepdim=True))
case('max_full', {'a': A234()}, lambda a: a.max())
case('max_full_ties', {'a': steps(3, 4, lo=-1, hi=2)}, lambda a: a.max())
case('min_full', {'a': A234()}, lambda a: a.min())
case('max_dim', {'a': A234()}, lambda a: tuple(a.max(1)))
case('max_dim_keepdim', {'a': A234()}, lambda a: tuple(a.max(-1, keepdim=True)))
case('max_dim_ties', {'a': steps(3, 4, lo=-1, hi=2)}, lambda a: tuple(a.max(1)))
case('min_dim', {'a': A234()}, lambda a: tuple(a.min(0)))
case('min_dim_keepdim', {'a': A234()}, lambda a: tuple(a.min(2, keepdim=True)))
case('max_int', {'a': ints(-9, 9, 3, 4)}, lambda a: tuple(a.max(1)))
case('amax', {'a': A234()}, lambda a: a.amax(1))
case('amax_dims_keepdim', {'a': A234()}, lambda a: a.amax([0, 2], keepdim=True))
case('amax_ties', {'a': steps(3, 4, lo=-1, hi=2)}, lambda a: a.amax(1))
case('amin', {'a': A234()}, lambda a: a.amin(-1))
case('amin_ties_all', {'a': steps(3, 4, lo=-1, hi=2)}, lambda a: a.amin([0, 1]))
case('argmax', {'a': A234().nograd()}, lambda a: a.argmax())
case('argmax_dim', {'a': A234().nograd()}, lambda a: a.argmax(1))
case('argmax_dim_keepdim', {'a': A234().nograd()}, lambda a: a.argmax(-1, keepdim=True))
case('argmax_keepdim_nodim', {'a': A234().nograd()}, lambda a: a.argmax(keepdim=True))
case('argmax_ties', {'a': steps(3, 4, lo=-1, hi=2).nograd()}, lambda a: a.argmax(1))
case('argmin', {'a': A234().nograd()}, lambda a: a.argmin())
case('argmin_dim', {'a': A234().nograd()}, lambda a: a.argmin(0))
case('argmin_int', {'a': ints(-9, 9, 3, 4)}, lambda a: a.argmin(1))
case('var', {'a': A234()}, lambda a: a.var())
case('var_correction0', {'a': A234()}, lambda a: a.var(correction=0))
case('var_dim', {'a': A234()}, lambda a: a.var(1))
case('var_dims_keepdim_c0', {'a': A234()}, lambda a: a.var([0, 2], keepdim=True, correction=0))
case('var_unbiased_false', {'a': A34()}, lambda a: a.var(1, unbiased=False))
case('std', {'a': A234()}, lambda a: a.std())
case('std_correction0', {'a': A234()}, lambda a: a.std(correction=0))
case('std_dim', {'a': A234()}, lambda a: a.std(-1))
case('std_dim_keepdim_c0', {'a': A234()}, lambda a: a.std(0, keepdim=True, correction=0))
case('logsumexp', {'a': A234()}, lambda a: a.logsumexp(0))
case('logsumexp_dims_keepdim', {'a': A234()}, lambda a: a.logsumexp([0, 2], keepdim=True))
case('logsumexp_large', {'a': randn(3, 4, scale=50)}, lambda a: a.logsumexp(-1))
case('prod', {'a': uniform(0.5, 1.5, 2, 3)}, lambda a: a.prod())
case('prod_dim', {'a': A34()}, lambda a: a.prod(1))
case('prod_dim_keepdim', {'a': A34()}, lambda a: a.prod(0, keepdim=True))
case('prod_one_zero', {'a': A34().zero_at((1, 2))}, lambda a: a.prod(1))
case('prod_two_zeros', {'a': A34().zero_at((1, 0), (1, 3))}, lambda a: a.prod(1))
case('prod_full_one_zero', {'a': uniform(0.5, 1.5, 2, 3).zero_at((0, 1))}, lambda a: a.prod())
case('prod_int', {'a': ints(-3, 4, 3, 4)}, lambda a: a.prod(1))
case('all', {'a': bools(3, 4, p=0.8)}, lambda a: a.all())
case('all_dim', {'a': bools(3, 4, p=0.8)}, lambda a: a.all(1))
case('any', {'a': bools(3, 4, p=0.2)}, lambda a: a.any())
case('any_dim_keepdim', {'a': bools(3, 4, p=0.2)}, lambda a: a.any(0, keepdim=True))
case('all_float', {'a': steps(3, 4).nograd()}, lambda a: a.all(0))
case('any_int', {'a': ints(0, 2, 3, 4)}, lambda a: a.any(1))
case('norm', {'a': A234()}, lambda a: a.norm())
case('norm_p1_dim', {'a': awayfrom0(3, 4)}, lambda a: a.norm(1, 1))
case('norm_inf', {'a': A34()}, lambda a: a.norm(float('inf')))
case('norm_p3_keepdim', {'a': A234()}, lambda a: a.norm(3, -1, keepdim=True))
case('norm_dims', {'a': A234()}, lambda a: a.norm(2, [0, 2]))

# comparisons and logic (no gradients)
for op in ['eq', 'ne', 'lt', 'le', 'gt', 'ge']:
    case(op, {'a': steps(3, 4).nograd(), 'b': steps(4).nograd()}, (lambda op: lambda a, b: getattr(a, op)(b))(op))
    case(op + '_scalar', {'a': steps(3, 4).nograd()}, (lambda op: lambda a: getattr(a, op)(1))(op))
case('lt_int_float', {'a': ints(-3, 3, 3, 4), 'b': steps(3, 1, div=2).nograd()}, lambda a, b: a < b)
case('eq_int_scalar', {'a': ints(-3, 3, 3, 4)}, lambda a: a == 2)
case('logical_and', {'a': bools(3, 4), 'b': bools(4)}, lambda a, b: a.logical_and(b))
case('logical_or', {'a': bools(3, 4), 'b': bools(3, 4)}, lambda a, b: a.logical_or(b))
case('logical_not', {'a': bools(3, 4)}, lambda a: a.logical_not())

# matmul
case('matmul_1d_1d', {'a': randn(4), 'b': randn(4)}, lambda a, b: a.matmul(b))
case('matmul_1d_2d', {'a': randn(3), 'b': A34()}, lambda a, b: a.matmul(b))
case('matmul_2d_1d', {'a': A34(), 'b': randn(4)}, lambda a, b: a.matmul(b))
case('matmul_2d_2d', {'a': A34(), 'b': randn(4, 5)}, lambda a, b: a.matmul(b))
case('matmul_3d_2d', {'a': A234(), 'b': randn(4, 5)}, lambda a, b: a.matmul(b))
case('matmul_2d_3d', {'a': A34(), 'b': randn(2, 4, 5)}, lambda a, b: a.matmul(b))
case('matmul_3d_3d', {'a': A234(), 'b': randn(2, 4, 2)}, lambda a, b: a.matmul(b))
case('matmul_bcast_batch', {'a': randn(2, 1, 3, 4), 'b': randn(3, 4, 2)}, lambda a, b: a.matmul(b))
case('matmul_1d_3d', {'a': randn(3), 'b': randn(2, 3, 4)}, lambda a, b: a.matmul(b))
case('matmul_3d_1d', {'a': A234(), 'b': randn(4)}, lambda a, b: a.matmul(b))
case('mm', {'a': A34(), 'b': randn(4, 2)}, lambda a, b: a.mm(b))

# shape
case('reshape', {'a': A234()}, lambda a: a.reshape(4, -1))
case('view_flat', {'a': A234()}, lambda a: a.view(-1))
case('flatten', {'a': randn(2, 3, 2, 2)}, lambda a: a.flatten())
case('flatten_start1', {'a': randn(2, 3, 2, 2)}, lambda a: a.flatten(1))
case('flatten_0_1', {'a': randn(2, 3, 2, 2)}, lambda a: a.flatten(0, 1))
case('transpose', {'a': A234()}, lambda a: a.transpose(0, 2))
case('transpose_neg', {'a': A234()}, lambda a: a.transpose(-1, -2))
case('t', {'a': A34()}, lambda a: a.t())
case('permute', {'a': A234()}, lambda a: a.permute(2, 0, 1))
case('squeeze', {'a': randn(1, 3, 1, 2)}, lambda a: a.squeeze())
case('squeeze_dim', {'a': randn(1, 3, 1, 2)}, lambda a: a.squeeze(2))
case('squeeze_dim_noop', {'a': randn(1, 3, 1, 2)}, lambda a: a.squeeze(1))
case('unsqueeze', {'a': A34()}, lambda a: a.unsqueeze(0))
case('unsqueeze_neg', {'a': A34()}, lambda a: a.unsqueeze(-1))
case('expand', {'a': randn(3, 1)}, lambda a: a.expand(2, 3, 4))
case('expand_keep', {'a': randn(3, 1)}, lambda a: a.expand(-1, 4))
case('repeat', {'a': randn(2, 3)}, lambda a: a.repeat(2, 1))
case('repeat_new_dims', {'a': randn(3)}, lambda a: a.repeat(2, 2))
case('cat', {'a': randn(2, 3), 'b': randn(3, 3)}, lambda a, b: torch.cat([a, b], 0))
case('cat_last', {'a': randn(2, 1), 'b': randn(2, 3), 'c': randn(2, 2)}, lambda a, b, c: torch.cat([a, b, c], -1))
case('cat_int_float', {'a': ints(-3, 3, 2, 2), 'b': randn(2, 2)}, lambda a, b: torch.cat([a, b], 1))
case('stack', {'a': A34(), 'b': A34()}, lambda a, b: torch.stack([a, b]))
case('stack_dim1', {'a': A34(), 'b': A34(), 'c': A34()}, lambda a, b, c: torch.stack([a, b, c], 1))
case('stack_neg', {'a': A34(), 'b': A34()}, lambda a, b: torch.stack([a, b], -1))
case('split', {'a': randn(5, 3)}, lambda a: a.split(2))
case('split_sizes', {'a': A34()}, lambda a: a.split([1, 3], 1))
case('chunk', {'a': randn(5, 3)}, lambda a: a.chunk(3))
case('chunk_fewer', {'a': randn(2, 6)}, lambda a: a.chunk(4, 1))
case('narrow', {'a': A34()}, lambda a: a.narrow(1, 1, 2))
case('narrow_neg_start', {'a': randn(4, 3)}, lambda a: a.narrow(0, -2, 2))
case('slice_step', {'a': randn(3, 6)}, lambda a: a[:, 1::2])
case('slice_step_rows', {'a': randn(5, 3)}, lambda a: a[::2])
case('slice_neg', {'a': A234()}, lambda a: a[..., -3:])
case('slice_start_end_step', {'a': randn(7, 2)}, lambda a: a[1:-1:2])
case('slice_clamped', {'a': A34()}, lambda a: a[:, 2:100])
case('select', {'a': A234()}, lambda a: a.select(1, -1))
case('select_first', {'a': A34()}, lambda a: a[0])
case('index_select', {'a': randn(4, 3), 'idx': ints(0, 4, 5)}, lambda a, idx: a.index_select(0, idx))
case('index_select_dim1', {'a': A234(), 'idx': ints(0, 3, 4)}, lambda a, idx: a.index_select(1, idx))
case('gather', {'a': A34(), 'idx': ints(0, 4, 3, 5)}, lambda a, idx: a.gather(1, idx))
case('gather_dim0', {'a': A34(), 'idx': ints(0, 3, 2, 4)}, lambda a, idx: a.gather(0, idx))
case('gather_3d', {'a': A234(), 'idx': ints(0, 3, 2, 2, 3)}, lambda a, idx: a.gather(1, idx))
case('one_hot', {'idx': ints(0, 5, 6)}, lambda idx: F.one_hot(idx, 5))
case('one_hot_infer', {'idx': ints(0, 4, 2, 3)}, lambda idx: F.one_hot(idx))
case('flip', {'a': A234()}, lambda a: a.flip(0))
case('flip_dims', {'a': A234()}, lambda a: a.flip([0, 2]))

# fused kernels
case('linear', {'a': randn(5, 4), 'b': randn(3, 4), 'c': randn(3)}, lambda a, b, c: F.linear(a, b, c))
case('linear_nobias_3d', {'a': A234(), 'b': randn(2, 4)}, lambda a, b: F.linear(a, b))
case('linear_relu', {'a': randn(5, 4), 'b': randn(3, 4), 'c': randn(3)}, lambda a, b, c: F.linear(a, b, c).relu())
case('cross_entropy', {'a': randn(5, 4, scale=2), 'idx': ints(0, 4, 5)}, lambda a, idx: F.cross_entropy(a, idx))
case('cross_entropy_sum', {'a': randn(5, 4, scale=2), 'idx': ints(0, 4, 5)}, lambda a, idx: F.cross_entropy(a, idx, reduction='sum'))
case('cross_entropy_none', {'a': randn(5, 4, scale=2), 'idx': ints(0, 4, 5)}, lambda a, idx: F.cross_entropy(a, idx, reduction='none'))

# compositions
SEED = lambda x, w: x.matmul(w).tanh().mul(x.sum(1, keepdim=True)).logsumexp(0).mean()
case('seed_program', {'x': given([[1, 2], [3, 4]]), 'w': given([[0.5], [-1]])}, SEED)
case('seed_program_random', {'x': randn(4, 3), 'w': randn(3, 2)}, SEED)
case('chain_shared_input', {'a': A34()}, lambda a: (a.sigmoid() * a).sum(1) + a.exp().mean(1))


# edge cases: 0-d and empty tensors, dtype promotion, rarer arguments
case('add_0d_bcast', {'a': randn(), 'b': randn(3)}, lambda a, b: a + b)
case('mul_0d_0d', {'a': randn(), 'b': randn()}, lambda a, b: a * b)
case('exp_0d', {'a': randn()}, lambda a: a.exp())
case('sum_0d_dim', {'a': randn()}, lambda a: a.sum(0))
case('softmax_0d', {'a': randn()}, lambda a: a.softmax(0))
case('flatten_0d', {'a': randn()}, lambda a: a.flatten())
case('unsqueeze_0d', {'a': randn()}, lambda a: a.unsqueeze(0))
case('expand_0d', {'a': randn()}, lambda a: a.expand(2, 3))
case('repeat_0d', {'a': randn()}, lambda a: a.repeat(2, 3))
case('reshape_to_0d', {'a': randn(1, 1)}, lambda a: a.reshape(()))
case('stack_0d', {'a': randn(), 'b': randn()}, lambda a, b: torch.stack([a, b]))
case('select_1d', {'a': randn(4)}, lambda a: a.select(0, 2))
case('max_dim_1d', {'a': randn(5)}, lambda a: tuple(a.max(0)))
case('argmax_1d_keepdim', {'a': randn(5).nograd()}, lambda a: a.argmax(0, keepdim=True))
case('one_hot_0d', {'idx': ints(0, 3, )}, lambda idx: F.one_hot(idx, 3))
case('index_select_0d', {'a': randn(4, 3), 'idx': ints(0, 4, )}, lambda a, idx: a.index_select(0, idx))
case('sum_empty', {'a': randn(0, 3)}, lambda a: a.sum(0))
case('cat_empty', {'a': randn(0, 3), 'b': randn(2, 3)}, lambda a, b: torch.cat([a, b]))
case('slice_empty', {'a': A34()}, lambda a: a[:, 3:1])
case('sum_keepdim_nodim', {'a': A234()}, lambda a: a.sum(None, keepdim=True))
case('amax_all_dims_keepdim', {'a': A34()}, lambda a: a.amax((0, 1), keepdim=True))
case('mean_keepdim_nodim', {'a': A234()}, lambda a: a.mean(None, keepdim=True))
case('pow_scalar0', {'a': A34().zero_at((0, 0))}, lambda a: a.pow(0))
case('pow_scalar1_zero', {'a': A34().zero_at((0, 0))}, lambda a: a.pow(1))
case('pow_tensor_zero_base', {'a': positive(3, 4).zero_at((0, 1), (2, 2)), 'b': steps(3, 4, lo=1, hi=4)}, lambda a, b: a.pow(b))
case('pow_int_float_exp', {'a': ints(0, 5, 3, 4)}, lambda a: a.pow(2.5))
case('maximum_scalar', {'a': A34()}, lambda a: torch.maximum(a, torch.tensor(0.25)))
case('maximum_int_float', {'a': ints(-3, 3, 3, 4), 'b': steps(4, div=2)}, lambda a, b: torch.maximum(a, b))
case('mul_float_bool', {'a': A34(), 'b': bools(3, 4)}, lambda a, b: a * b)
case('add_bool_int_scalar', {'a': bools(3, 4)}, lambda a: a + 2)
case('mul_bool_float_scalar', {'a': bools(3, 4)}, lambda a: a * 1.5)
case('sigmoid_int', {'a': ints(-3, 3, 6)}, lambda a: a.sigmoid())
case('tanh_int', {'a': ints(-3, 3, 6)}, lambda a: a.tanh())
case('relu_int', {'a': ints(-3, 3, 6)}, lambda a: a.relu())
case('sqrt_int', {'a': ints(0, 9, 6)}, lambda a: a.sqrt())
case('reciprocal_int', {'a': ints(1, 5, 6)}, lambda a: a.reciprocal())
case('clamp_int_float_bound', {'a': ints(-5, 5, 3, 4)}, lambda a: a.clamp(min=0.5))
case('logsumexp_int', {'a': ints(-3, 3, 3, 4)}, lambda a: a.logsumexp(1))
case('where_same_tensor', {'cond': bools(3, 4), 'a': A34()}, lambda cond, a: torch.where(cond, a, a * 2))
case('where_scalars', {'cond': bools(3, 4)}, lambda cond: torch.where(cond, 1.0, -1.0))
case('where_int_float', {'cond': bools(3, 4), 'a': ints(-3, 3, 3, 4), 'b': A34()}, lambda cond, a, b: torch.where(cond, a, b))
case('masked_fill_int', {'a': ints(-3, 3, 3, 4), 'mask': bools(3, 4)}, lambda a, mask: a.masked_fill(mask, 7))
case('gt_grad_input', {'a': A34(), 'b': A34()}, lambda a, b: a > b)
case('matmul_one_grad', {'a': A34().nograd(), 'b': randn(4, 2)}, lambda a, b: a.matmul(b))
case('gather_smaller_index', {'a': A34(), 'idx': ints(0, 4, 2, 2)}, lambda a, idx: a.gather(-1, idx))
case('index_select_neg_dim', {'a': A34(), 'idx': ints(0, 4, 3)}, lambda a, idx: a.index_select(-1, idx))
case('unflatten', {'a': randn(2, 12)}, lambda a: a.unflatten(1, (3, -1)))
case('permute_neg', {'a': A234()}, lambda a: a.permute(-1, 0, -2))
case('squeeze_neg', {'a': randn(3, 1)}, lambda a: a.squeeze(-1))
case('flip_neg', {'a': A234()}, lambda a: a.flip(-1))
case('flatten_neg', {'a': randn(2, 3, 2, 2)}, lambda a: a.flatten(-3, -2))
case('split_big', {'a': A34()}, lambda a: a.split(5))
case('chunk_more_than_size', {'a': randn(2, 3)}, lambda a: a.chunk(5, 1))
case('var_correction2', {'a': A34()}, lambda a: a.var(1, correction=2))
case('log_softmax_size1', {'a': randn(3, 1)}, lambda a: a.log_softmax(1))
case('norm_p_half', {'a': awayfrom0(3, 4)}, lambda a: a.norm(0.5))
case('norm_p_neg1', {'a': awayfrom0(3, 4)}, lambda a: a.norm(-1, 1))
case('norm_neg_inf', {'a': A34()}, lambda a: a.norm(float('-inf'), 0))
case('norm_p0', {'a': steps(3, 4)}, lambda a: a.norm(0, 1))
case('prod_0d', {'a': randn()}, lambda a: a.prod())
case('prod_int_full', {'a': ints(1, 4, 2, 3)}, lambda a: a.prod())
case('amax_int', {'a': ints(-9, 9, 3, 4)}, lambda a: a.amax(0))
case('pow_float_int_tensor', {'a': positive(3, 4), 'b': ints(-2, 4, 3, 4)}, lambda a, b: a.pow(b))
case('div_float_int', {'a': A34(), 'b': ints(1, 5, 4)}, lambda a, b: a / b)
case('mul_int_float_grad', {'a': ints(-3, 4, 3, 1), 'b': A34()}, lambda a, b: a * b)
case('add_inplace_alpha', {'a': A34().nograd(), 'b': randn(4).nograd()}, lambda a, b: a.add_(b, alpha=2))
case('sub_inplace', {'a': A34().nograd()}, lambda a: a.sub_(0.5))
case('mul_inplace', {'a': A34().nograd(), 'b': randn(3, 1).nograd()}, lambda a, b: a.mul_(b))
case('div_inplace', {'a': A34().nograd()}, lambda a: a.div_(4))
case('clamp_inplace', {'a': A34().nograd()}, lambda a: a.clamp_(-0.5, 0.5))
case('copy_inplace_bcast', {'a': A34().nograd(), 'b': ints(-3, 3, 4)}, lambda a, b: a.copy_(b))
case('zero_inplace', {'a': A34().nograd()}, lambda a: a.zero_())
case('fill_inplace', {'a': ints(-3, 3, 3, 4)}, lambda a: a.fill_(7))
case('maximum_float_int_grad', {'a': steps(3, 4, div=2), 'b': ints(-1, 2, 4)}, lambda a, b: torch.maximum(a, b))


# non-finite values and zero norms
NAN, INF = float('nan'), float('inf')
NO_FULL_ROW = Spec(lambda r: np.concatenate([np.zeros((3, 1), bool), r.random((3, 3)) < 0.5], 1), dtype='bool')
case('relu_nan', {'a': randn(6).put(NAN, 1).nograd()}, lambda a: a.relu())
case('clamp_nan', {'a': randn(6).put(NAN, 1).nograd()}, lambda a: a.clamp(-0.5, 0.5))
case('maximum_nan', {'a': randn(6).put(NAN, 1).nograd(), 'b': randn(6).put(NAN, 4).nograd()}, lambda a, b: torch.maximum(a, b))
case('amax_nan', {'a': A34().put(NAN, (1, 2)).nograd()}, lambda a: a.amax(1))
case('max_full_nan', {'a': A34().put(NAN, (1, 2)).nograd()}, lambda a: a.max())
case('logsumexp_nonfinite', {'a': A34().put(-INF, (0, 0), (0, 1), (0, 2), (0, 3)).put(INF, (1, 1)).nograd()}, lambda a: a.logsumexp(1))
case('softmax_masked_neg_inf', {'a': A34(), 'mask': NO_FULL_ROW}, lambda a, mask: a.masked_fill(mask, -INF).softmax(-1))
case('log_softmax_masked_neg_inf', {'a': A34(), 'mask': NO_FULL_ROW}, lambda a, mask: a.masked_fill(mask, -INF).log_softmax(-1))
case('sqrt_zero', {'a': positive(3, 4).zero_at((0, 0), (2, 1))}, lambda a: a.sqrt())
case('log_zero', {'a': positive(3, 4).zero_at((0, 0), (2, 1))}, lambda a: a.log())
case('div_by_zero', {'a': A34().zero_at((0, 0)), 'b': awayfrom0(3, 4).zero_at((0, 0), (1, 1))}, lambda a, b: a / b)
case('norm_zero_row', {'a': A34().zero_at((0, 0), (0, 1), (0, 2), (0, 3))}, lambda a: a.norm(2, 1))
case('norm_zero_all', {'a': given([[0, 0], [0, 0]])}, lambda a: a.norm())
case('norm_p3_zero_row', {'a': A34().zero_at((1, 0), (1, 1), (1, 2), (1, 3))}, lambda a: a.norm(3, 1, keepdim=True))
case('norm_p_half_zero_elem', {'a': awayfrom0(3, 4).zero_at((0, 1))}, lambda a: a.norm(0.5, 1))


# ------------------------------------------------------------------ driver
def g7(v):
    """A float rounded to 7 significant digits (whole numbers stay whole); non-finite as a string."""
    if not np.isfinite(v):
        return 'NaN' if np.isnan(v) else ('Infinity' if v > 0 else '-Infinity')
    return float(f'{v:.7g}')


def encode(t):
    t = t.detach()
    if t.dtype == torch.bool:
        dtype, values = 'bool', [bool(v) for v in t.flatten().tolist()]
    elif t.dtype in (torch.int64, torch.int32):
        dtype, values = 'int32', [int(v) for v in t.flatten().tolist()]
    else:
        assert t.dtype == torch.float32, t.dtype
        dtype, values = 'float32', [g7(v) for v in t.flatten().tolist()]
    assert t.numel() <= 60, f'keep golden tensors small: {list(t.shape)}'
    return {'shape': list(t.shape), 'dtype': dtype, 'values': values}


def run(name, specs, fn, tol):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    inputs, tensors = {}, {}
    for key, spec in specs.items():
        v = spec.make(rng)
        t = torch.tensor(v, dtype=TORCH_DTYPE[spec.dtype]).requires_grad_(spec.grad)
        assert spec.dtype != 'float32' or np.isfinite(v).all() or not spec.grad, f'{name}: non-finite inputs are for forward checks (.nograd())' 
        inputs[key] = {**encode(t), 'requiresGrad': spec.grad}
        tensors[key] = t
    result = fn(**tensors)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    upstream, loss = [], None
    for o in outs:
        if o.requires_grad:
            u = torch.tensor(np.round(rng.standard_normal(tuple(o.shape)), 3), dtype=torch.float32)
            upstream.append(encode(u)['values'])
            term = (o * u).sum()
            loss = term if loss is None else loss + term
        else:
            upstream.append(None)
    grads = {}
    wants = [k for k, t in tensors.items() if t.requires_grad]
    if loss is not None and wants:
        gs = torch.autograd.grad(loss, [tensors[k] for k in wants], allow_unused=True)
        grads = {k: None if g is None else encode(g) for k, g in zip(wants, gs)}
    entry = {'name': name, 'inputs': inputs, 'multi': isinstance(result, (tuple, list)),
             'outputs': [encode(o) for o in outs], 'upstream': upstream, 'grads': grads}
    entry.update(tol)
    return entry


def main():
    torch.manual_seed(0)
    cases = [run(*c) for c in CASES]
    doc = {
        'generator': 'test/golden/gen_core.py',
        'torch': torch.__version__,
        'numpy': np.__version__,
        'python': sys.version.split()[0],
        'cases': cases,
    }
    text = json.dumps(doc, separators=(',', ':'), allow_nan=False)
    # One case per line keeps diffs readable.
    text = text.replace(',{"name":', ',\n{"name":').replace('"cases":[{', '"cases":[\n{')
    OUT.write_text(text + '\n')
    print(f'wrote {len(cases)} cases to {OUT} ({len(text) // 1024} KiB) with torch {torch.__version__}')


if __name__ == '__main__':
    main()
