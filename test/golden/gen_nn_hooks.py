"""Golden fixtures for nn.Module's call path (hooks) and lazy layers, computed by PyTorch.

Run: .venv-ref/bin/python test/golden/gen_nn_hooks.py  (writes test/golden/nn_hooks.json)

Hook scenarios: each runs a tiny module under a set of hooks (global and
per-module, prepend, with_kwargs, always_call, removal, nesting in a
Sequential, an exception in forward) and records the order the hooks ran in
(`log`) and the output. The Duet side (test/golden/nn_hooks.test.ts) builds
the same scenario by name; PyTorch's keyword arguments are Duet's trailing
options object.

Lazy scenarios: each lazy layer is called once on an input of the given
shape; records the state-dict keys and shapes, the class it became and its
repr, before and after, and (load_state_dict) what loading a state dict into
an uninitialised lazy module gives.
"""
import json
import os
import sys

import torch
import torch.nn as nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook


class Scale(nn.Module):
    """forward(x, scale=1.0) = x * scale + 1; raises when x.sum() < -100."""

    def forward(self, x, scale=1.0):
        if float(x.sum()) < -100:
            raise RuntimeError("boom")
        return x * scale + 1


def vals(t):
    return [float(f"{v:.9g}") for v in t.detach().flatten().tolist()]


X = [1.0, 2.0, 3.0]


def scenario_order():
    log = []
    m = Scale()
    hs = []
    hs.append(register_module_forward_pre_hook(lambda mod, args: log.append("global_pre")))
    hs.append(register_module_forward_hook(lambda mod, args, out: log.append("global_post")))

    def pre_a(mod, args):
        log.append("pre_a")
        return (args[0] + 1,)

    def pre_b(mod, args):
        log.append("pre_b")
        return args[0] * 2  # a single value replaces the single argument

    def pre_kw(mod, args, kwargs):
        log.append("pre_kw:" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items())))
        return args, {**kwargs, "scale": 3.0}

    def post_d(mod, args, out):
        log.append("post_d")
        return out + 10

    def post_e(mod, args, out):
        log.append("post_e")

    def post_kw(mod, args, kwargs, out):
        log.append("post_kw:" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items())))
        return out * kwargs["scale"]

    m.register_forward_pre_hook(pre_a)
    m.register_forward_pre_hook(pre_b, prepend=True)
    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(post_d)
    m.register_forward_hook(post_e, prepend=True)
    m.register_forward_hook(post_kw, with_kwargs=True)
    out = m(torch.tensor(X), scale=2.0)
    for h in hs:
        h.remove()
    return {"log": log, "output": vals(out)}


def scenario_no_kwargs():
    """A with_kwargs pre-hook that adds a keyword argument to a call that had none."""
    log = []
    m = Scale()

    def pre_kw(mod, args, kwargs):
        log.append("pre_kw:" + ",".join(sorted(kwargs)))
        return args, {"scale": 5.0}

    def post_kw(mod, args, kwargs, out):
        log.append("post_kw:" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items())))

    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(post_kw, with_kwargs=True)
    out = m(torch.tensor(X))
    return {"log": log, "output": vals(out)}


def scenario_remove():
    log = []
    m = Scale()
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
    h2 = m.register_forward_hook(lambda mod, args, out: log.append("post1"))
    m.register_forward_hook(lambda mod, args, out: log.append("post2"))
    m(torch.tensor(X))
    log.append("|")
    h1.remove()
    h2.remove()
    h2.remove()  # a second remove does nothing
    out = m(torch.tensor(X))
    log.append("|")
    m.forward(torch.tensor(X))  # forward alone runs no hook
    return {"log": log, "output": vals(out)}


def scenario_always_call():
    log = []
    m = Scale()
    g = register_module_forward_hook(lambda mod, args, out: log.append("global_always"), always_call=True)
    m.register_forward_hook(lambda mod, args, out: log.append("post_plain"))
    m.register_forward_hook(lambda mod, args, out: log.append("post_always:" + ("none" if out is None else "out")), always_call=True)
    err = None
    try:
        m(torch.tensor([-1000.0, 0.0, 0.0]))
    except RuntimeError as e:
        err = str(e)
    g.remove()
    log.append("error:" + str(err))
    return {"log": log, "output": []}


def scenario_sequential():
    log = []
    a, b = Scale(), Scale()
    seq = nn.Sequential(a, b)
    seq.register_forward_pre_hook(lambda mod, args: log.append("seq_pre"))
    seq.register_forward_hook(lambda mod, args, out: log.append("seq_post"))
    a.register_forward_pre_hook(lambda mod, args: log.append("a_pre"))
    a.register_forward_hook(lambda mod, args, out: log.append("a_post"))

    def b_pre(mod, args):
        log.append("b_pre")
        return (args[0] * 0,)

    b.register_forward_pre_hook(b_pre)
    b.register_forward_hook(lambda mod, args, out: log.append("b_post"))
    out = seq(torch.tensor(X))
    return {"log": log, "output": vals(out)}


HOOKS = {
    "order": scenario_order,
    "no_kwargs": scenario_no_kwargs,
    "remove": scenario_remove,
    "always_call": scenario_always_call,
    "sequential": scenario_sequential,
}


def sd_shapes(m):
    return [[k, list(v.shape) if not isinstance(v, nn.parameter.UninitializedTensorMixin) else None] for k, v in m.state_dict().items()]


def lazy_case(name, make, shape):
    torch.manual_seed(0)
    m = make()
    before = {"class": type(m).__name__, "repr": repr(m), "state_dict": sd_shapes(m)}
    out = m(torch.randn(*shape))
    after = {"class": type(m).__name__, "repr": repr(m), "state_dict": sd_shapes(m), "output_shape": list(out.shape)}
    return {"name": name, "input_shape": list(shape), "before": before, "after": after}


LAZY = [
    ("LazyLinear", lambda: nn.LazyLinear(10), (3, 7)),
    ("LazyLinear_nobias_3d", lambda: nn.LazyLinear(4, bias=False), (2, 5, 6)),
    ("LazyConv1d", lambda: nn.LazyConv1d(8, 3, padding=1), (2, 5, 11)),
    ("LazyConv1d_unbatched", lambda: nn.LazyConv1d(4, 3), (6, 9)),
    ("LazyConv2d", lambda: nn.LazyConv2d(6, 3, stride=2), (2, 3, 9, 9)),
    ("LazyConv2d_groups", lambda: nn.LazyConv2d(4, 1, groups=2, bias=False), (1, 6, 4, 4)),
    ("LazyConvTranspose2d", lambda: nn.LazyConvTranspose2d(5, 2, stride=2), (2, 3, 4, 4)),
    ("LazyBatchNorm1d", lambda: nn.LazyBatchNorm1d(), (4, 6)),
    ("LazyBatchNorm1d_3d", lambda: nn.LazyBatchNorm1d(affine=False), (4, 6, 3)),
    ("LazyBatchNorm2d", lambda: nn.LazyBatchNorm2d(momentum=0.2), (2, 5, 3, 3)),
]


def lazy_load():
    """load_state_dict into an uninitialised LazyLinear materialises its parameters; the class switches at the next call."""
    torch.manual_seed(0)
    src = nn.Linear(7, 10)
    m = nn.LazyLinear(10)
    m.load_state_dict(src.state_dict())
    loaded = {"class": type(m).__name__, "repr": repr(m), "state_dict": sd_shapes(m),
              "equal": all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), src.state_dict().values()))}
    out = m(torch.randn(3, 7))
    called = {"class": type(m).__name__, "repr": repr(m), "state_dict": sd_shapes(m), "output_shape": list(out.shape),
              "equal": all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), src.state_dict().values()))}
    return {"loaded": loaded, "called": called}


def main():
    out = {
        "torch_version": torch.__version__,
        "hooks": {k: f() for k, f in HOOKS.items()},
        "lazy": [lazy_case(*c) for c in LAZY],
        "lazy_load": lazy_load(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_hooks.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
