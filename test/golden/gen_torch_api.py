"""Golden data for the PyTorch spellings added by issue 14: the optimizers
Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS, and the pointwise ops
custom optimizers use (addcmul, addcdiv, lerp and the in-place unary ops),
Python's number-first arithmetic (`1 - t`) with an int tensor exponent, and
torch.linspace's float32 values.

Run from the repository root with the reference venv (torch 2.13.0+cpu):
    .venv-ref/bin/python test/golden/gen_torch_api.py
It writes test/golden/torch_api.json, read by torch_api.test.ts (no Python at
test time). The op cases use gen_core.py's machinery (inputs drawn from a
NumPy RNG seeded by the case's name) and its JSON case format; the Duet side
of each op is in torch_api.test.ts under the same name. Optimizer options and
state keys are Duet's camelCase; 0-d state tensors (NAdam's mu_product,
ASGD's eta and mu) are stored as numbers, as Duet keeps them.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_core as G  # noqa: E402  (its cases are not run: only `case`/`run` and the input makers are used)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch_api.json')
G.CASES.clear()
case, randn, positive, awayfrom0, uniform = G.case, G.randn, G.positive, G.awayfrom0, G.uniform

# ------------------------------------------------------------ pointwise ops
case('addcmul', {'a': randn(3, 4), 'b': randn(3, 4), 'c': randn(3, 4)}, lambda a, b, c: torch.addcmul(a, b, c))
case('addcmul_value_bcast', {'a': randn(3, 4), 'b': randn(4), 'c': randn(3, 1)}, lambda a, b, c: torch.addcmul(a, b, c, value=-0.3))
case('addcdiv', {'a': randn(3, 4), 'b': randn(3, 4), 'c': awayfrom0(3, 4)}, lambda a, b, c: torch.addcdiv(a, b, c))
case('addcdiv_value_bcast', {'a': randn(2, 3, 4), 'b': randn(3, 4), 'c': positive(4)}, lambda a, b, c: a.addcdiv(b, c, value=2.5))
case('lerp_scalar_low', {'a': randn(3, 4), 'b': randn(3, 4)}, lambda a, b: torch.lerp(a, b, 0.1))
case('lerp_scalar_high', {'a': randn(3, 4), 'b': randn(3, 4)}, lambda a, b: torch.lerp(a, b, 0.75))
case('lerp_tensor_weight', {'a': randn(3, 4), 'b': randn(3, 4), 'c': uniform(0, 1, 3, 4)}, lambda a, b, c: torch.lerp(a, b, c))
case('lerp_bcast', {'a': randn(3, 4), 'b': randn(4)}, lambda a, b: a.lerp(b, 0.3))

# Python's number-first arithmetic (`-2.0 * (y - y_pred)` in the tutorials): Duet's function forms with the number first
case('number_first_mul', {'a': randn(5)}, lambda a: -2.0 * a)
case('number_first_add', {'a': randn(5)}, lambda a: 3 + a)
case('number_first_sub', {'a': randn(5)}, lambda a: 1 - a)
case('number_first_div', {'a': awayfrom0(5)}, lambda a: 1 / a)
case('number_first_pow', {'a': randn(5)}, lambda a: 2 ** a)
# a float tensor to an int tensor's powers (polynomial_nn.py's x.unsqueeze(-1).pow(torch.tensor([1, 2, 3])))
case('pow_int_tensor_exponent', {'a': randn(5)}, lambda a: a.unsqueeze(-1).pow(torch.tensor([1, 2, 3])))

# in place: forward values (Duet's in-place ops are not recorded by autograd; PyTorch's need a non-leaf)
nograd = lambda spec: spec.nograd()
for name, fn, spec in [
    ('sqrt_', lambda a: a.clone().sqrt_(), positive(3, 4)),
    ('rsqrt_', lambda a: a.clone().rsqrt_(), positive(3, 4)),
    ('exp_', lambda a: a.clone().exp_(), randn(3, 4)),
    ('log_', lambda a: a.clone().log_(), positive(3, 4)),
    ('log1p_', lambda a: a.clone().log1p_(), positive(3, 4)),
    ('neg_', lambda a: a.clone().neg_(), randn(3, 4)),
    ('abs_', lambda a: a.clone().abs_(), randn(3, 4)),
    ('square_', lambda a: a.clone().square_(), randn(3, 4)),
    ('reciprocal_', lambda a: a.clone().reciprocal_(), awayfrom0(3, 4)),
    ('sin_', lambda a: a.clone().sin_(), randn(3, 4)),
    ('cos_', lambda a: a.clone().cos_(), randn(3, 4)),
    ('sign_', lambda a: a.clone().sign_(), G.steps(3, 4)),
    ('floor_', lambda a: a.clone().floor_(), randn(3, 4, scale=3)),
    ('ceil_', lambda a: a.clone().ceil_(), randn(3, 4, scale=3)),
    ('round_', lambda a: a.clone().round_(), randn(3, 4, scale=3)),
    ('relu_', lambda a: a.clone().relu_(), randn(3, 4)),
    ('sigmoid_', lambda a: a.clone().sigmoid_(), randn(3, 4)),
    ('tanh_', lambda a: a.clone().tanh_(), randn(3, 4)),
    ('pow_', lambda a: a.clone().pow_(3), randn(3, 4)),
]:
    case(f'inplace_{name}', {'a': nograd(spec)}, fn)
case('inplace_addcmul_', {'a': nograd(randn(3, 4)), 'b': nograd(randn(3, 4)), 'c': nograd(randn(4))},
     lambda a, b, c: a.clone().mul_(0.9).addcmul_(b, c, value=0.1))
case('inplace_addcdiv_', {'a': nograd(randn(3, 4)), 'b': nograd(randn(3, 4)), 'c': nograd(positive(3, 4))},
     lambda a, b, c: a.clone().addcdiv_(b, c, value=-0.01))
case('inplace_lerp_', {'a': nograd(randn(3, 4)), 'b': nograd(randn(3, 4))}, lambda a, b: a.clone().lerp_(b, 0.1))
case('inplace_lerp_tensor_', {'a': nograd(randn(3, 4)), 'b': nograd(randn(3, 4)), 'c': nograd(uniform(0, 1, 3, 4))},
     lambda a, b, c: a.clone().lerp_(b, c))
case('inplace_adam_moment_chain', {'a': nograd(randn(3, 4)), 'b': nograd(randn(3, 4)), 'c': nograd(positive(3, 4))},
     lambda a, b, c: c.clone().mul_(0.999).addcmul_(b, b, value=0.001).sqrt_().add_(1e-8))


# torch.linspace's float32 values (bit for bit): the tutorials' x = torch.linspace(-math.pi, math.pi, 2000)
LINSPACE = [(-math.pi, math.pi, 2000), (0.0, 1.0, 7), (-3.0, 10.0, 1001), (1e-3, 5.5, 33), (2.0, 2.0, 4), (5.0, -5.0, 11), (0.5, 9.0, 1)]


# -------------------------------------------------------------- optimizers
def t(x):
    x = x.detach()
    return {'shape': list(x.shape), 'dtype': 'float32', 'data': x.reshape(-1).tolist()}


PY = {'weightDecay': 'weight_decay', 'momentumDecay': 'momentum_decay', 'decoupledWeightDecay': 'decoupled_weight_decay',
      'stepSizes': 'step_sizes', 'maxIter': 'max_iter', 'maxEval': 'max_eval', 'toleranceGrad': 'tolerance_grad',
      'toleranceChange': 'tolerance_change', 'historySize': 'history_size', 'lineSearchFn': 'line_search_fn'}
TUPLES = {'betas', 'etas', 'stepSizes'}
py = lambda opts: {PY.get(k, k): (tuple(v) if k in TUPLES else v) for k, v in opts.items()}
camel = lambda k: ''.join(w if i == 0 else w[:1].upper() + w[1:] for i, w in enumerate(k.split('_')))
SCALAR_STATE = {'step', 'mu_product', 'eta', 'mu'}

OPTIM_CONFIGS = [
    ('Adadelta', {}), ('Adadelta', {'lr': 1.0}), ('Adadelta', {'lr': 0.5, 'rho': 0.8, 'eps': 1e-4}),
    ('Adadelta', {'lr': 1.0, 'weightDecay': 0.1}),
    ('Adamax', {}), ('Adamax', {'lr': 0.01, 'betas': [0.8, 0.95]}), ('Adamax', {'lr': 0.01, 'eps': 0.1}),
    ('Adamax', {'lr': 0.01, 'weightDecay': 0.1}),
    ('NAdam', {}), ('NAdam', {'lr': 0.01, 'momentumDecay': 0.01}), ('NAdam', {'lr': 0.01, 'weightDecay': 0.1}),
    ('NAdam', {'lr': 0.01, 'weightDecay': 0.1, 'decoupledWeightDecay': True}), ('NAdam', {'lr': 0.01, 'betas': [0.8, 0.99], 'eps': 1e-6}),
    ('RAdam', {}), ('RAdam', {'lr': 0.01, 'betas': [0.5, 0.6]}), ('RAdam', {'lr': 0.01, 'weightDecay': 0.1}),
    ('RAdam', {'lr': 0.01, 'betas': [0.5, 0.6], 'weightDecay': 0.1, 'decoupledWeightDecay': True}),
    ('Rprop', {}), ('Rprop', {'lr': 0.05, 'etas': [0.3, 1.5], 'stepSizes': [1e-3, 0.1]}),
    ('ASGD', {}), ('ASGD', {'lr': 0.05, 't0': 2}), ('ASGD', {'lr': 0.05, 'lambd': 0.1, 'alpha': 0.5, 't0': 1, 'weightDecay': 0.1}),
]
GROUP_CONFIGS = [
    ('Adadelta', {'lr': 1.0}, [{'params': [0], 'rho': 0.5}, {'params': [1, 2], 'lr': 0.1, 'weightDecay': 0.1}]),
    ('NAdam', {'lr': 0.01}, [{'params': [0, 2]}, {'params': [1], 'lr': 0.05, 'decoupledWeightDecay': True, 'weightDecay': 0.1}]),
]
SHAPES = [[3, 4], [4], [2, 2, 2]]
STEPS = 5
torch.manual_seed(0)
INIT = [torch.randn(s) for s in SHAPES]
# The sign of each gradient entry flips now and then (Rprop's branches); parameter 2 has no gradient at steps 1 and 3.
GRADS = [[None if (i == 2 and k in (1, 3)) else torch.randn(s) * (1 + k) for i, s in enumerate(SHAPES)] for k in range(STEPS)]


def run_optimizer(cls, options, groups=None):
    params = [p.clone().requires_grad_(True) for p in INIT]
    opt_cls = getattr(torch.optim, cls)
    if groups is None:
        opt = opt_cls(params, **py(options))
    else:
        opt = opt_cls([dict(py({k: v for k, v in g.items() if k != 'params'}), params=[params[i] for i in g['params']]) for g in groups], **py(options))
    for k in range(STEPS):
        for p, g in zip(params, GRADS[k]):
            p.grad = None if g is None else g.clone()
        opt.step()
    state = {i: {camel(key): (float(v) if key in SCALAR_STATE else t(v)) for key, v in st.items() if v is not None}
             for i, st in opt.state_dict()['state'].items()}
    return {'params': [t(p) for p in params], 'state': state}


def optimizer_cases():
    out = [dict(cls=c, options=o, **run_optimizer(c, o)) for c, o in OPTIM_CONFIGS]
    out += [dict(cls=c, options=o, groups=g, **run_optimizer(c, o, g)) for c, o, g in GROUP_CONFIGS]
    return {'init': [t(p) for p in INIT], 'grads': [[None if g is None else t(g) for g in step] for step in GRADS], 'steps': STEPS, 'cases': out}


# ------------------------------------------------------------------- LBFGS
def lbfgs_problems():
    torch.manual_seed(1)
    m = torch.randn(5, 5)
    quad = {'A': m @ m.T + 0.5 * torch.eye(5), 'b': torch.randn(5), 'x0': torch.randn(5)}
    mlp = {'X': torch.randn(16, 3), 'Y': torch.randn(16, 2), 'W1': torch.randn(8, 3) * 0.5, 'b1': torch.randn(8) * 0.1,
           'W2': torch.randn(2, 8) * 0.5, 'b2': torch.randn(2) * 0.1}
    return quad, mlp


def quad_loss(d, x):
    return 0.5 * (x @ (d['A'] @ x)) - d['b'] @ x


def mlp_loss(d, W1, b1, W2, b2):
    h = torch.tanh(d['X'] @ W1.T + b1)
    return ((h @ W2.T + b2 - d['Y']) ** 2).mean()


def lbfgs_cases():
    quad, mlp = lbfgs_problems()
    cases = []
    for problem, options, steps in [
        ('quadratic', {}, 1), ('quadratic', {'maxIter': 4}, 3), ('quadratic', {'lineSearchFn': 'strong_wolfe'}, 1),
        ('mlp', {'lr': 0.5, 'maxIter': 5}, 3), ('mlp', {'maxIter': 6, 'historySize': 3, 'lineSearchFn': 'strong_wolfe'}, 3),
    ]:
        if problem == 'quadratic':
            params = [quad['x0'].clone().requires_grad_(True)]
            f = lambda: quad_loss(quad, params[0])
        else:
            params = [mlp[k].clone().requires_grad_(True) for k in ('W1', 'b1', 'W2', 'b2')]
            f = lambda: mlp_loss(mlp, *params)
        opt = torch.optim.LBFGS(params, **py(options))
        losses, after = [], []

        def closure():
            opt.zero_grad()
            loss = f()
            loss.backward()
            return loss
        for _ in range(steps):
            losses.append(float(opt.step(closure).detach()))
            after.append([t(p) for p in params])
        st = opt.state[params[0]]
        cases.append({'problem': problem, 'options': options, 'steps': steps, 'losses': losses, 'params': after,
                      'finalLoss': float(f()), 'funcEvals': st['func_evals'], 'nIter': st['n_iter']})
    return {'quadratic': {k: t(v) for k, v in quad.items()}, 'mlp': {k: t(v) for k, v in mlp.items()}, 'cases': cases}


def main():
    torch.manual_seed(0)
    ops = [G.run(*c) for c in G.CASES]
    doc = {
        'generatedBy': 'test/golden/gen_torch_api.py',
        'versions': {'python': sys.version.split()[0], 'torch': torch.__version__, 'numpy': np.__version__},
        'ops': ops,
        'optimizers': optimizer_cases(),
        'lbfgs': lbfgs_cases(),
        'linspace': [{'start': a, 'end': b, 'steps': n, 'values': torch.linspace(a, b, n).tolist()} for a, b, n in LINSPACE],
    }
    text = json.dumps(doc, separators=(',', ':'), allow_nan=False)
    with open(OUT, 'w') as fh:
        fh.write(text + '\n')
    print(f'wrote {len(ops)} op cases, {len(doc["optimizers"]["cases"])} optimizer cases, {len(doc["lbfgs"]["cases"])} LBFGS cases '
          f'to {OUT} ({len(text) // 1024} KiB) with torch {torch.__version__}')


if __name__ == '__main__':
    main()
