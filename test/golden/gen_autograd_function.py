"""Golden fixtures for Duet's custom autograd Functions (autograd.Function), computed by PyTorch.

Run: .venv-ref/bin/python test/golden/gen_autograd_function.py  (writes test/golden/autograd_function.json)

Each case defines the same torch.autograd.Function as
test/golden/autograd_function.test.ts and records forward values and the
gradients of the leaves. `legendre_training` is the tutorial
polynomial_custom_function.py (deterministic initial weights) run for 300
steps: the losses it prints at t = 99, 199, 299 and the final weights.
`autograd_tutorial` is the deterministic start of blitz/autograd_tutorial.py.
"""
import json
import math
import os

import torch


def vals(t):
    return {"shape": list(t.shape), "values": [float(f"{v:.9g}") for v in t.detach().flatten().tolist()]}


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class StraightThroughRound(torch.autograd.Function):
    """round() forward; backward passes the gradient where |x| <= 1 (hardtanh STE)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x.abs() <= 1).float()


class ScaleAndExp(torch.autograd.Function):
    """Two outputs (x * k, exp(x)) and a number argument k."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * k, x.exp()

    @staticmethod
    def backward(ctx, g_scaled, g_exp):
        x, = ctx.saved_tensors
        gx = g_scaled * ctx.k
        if g_exp is not None:
            gx = gx + g_exp * x.exp()
        return gx, None


class ScaleAndExpNoMaterialize(ScaleAndExp):
    @staticmethod
    def forward(ctx, x, k):
        ctx.set_materialize_grads(False)
        return ScaleAndExp.forward(ctx, x, k)


class MyMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


class GradReverse(torch.autograd.Function):
    """Identity forward, -lambda * grad backward (domain-adversarial training)."""

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g.neg() * ctx.lambd, None


class DoubleWithMask(torch.autograd.Function):
    """(2x, mask of x > 0); the mask is marked non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        mask = (x > 0).float()
        ctx.mark_non_differentiable(mask)
        return x * 2, mask

    @staticmethod
    def backward(ctx, g, g_mask):
        return g * 2


X = [-1.5, -0.6, -0.2, 0.0, 0.3, 0.8, 1.4]
V = [0.5, -1.0, 2.0, 1.5, -0.5, 1.0, 0.25]


def leaf(v):
    return torch.tensor(v, dtype=torch.float32, requires_grad=True)


def case_legendre():
    x = torch.linspace(-math.pi, math.pi, 7)
    a, b, c, d = leaf(0.1), leaf(-1.0), leaf(0.2), leaf(0.3)
    p3 = LegendrePolynomial3.apply(c + d * x)
    y_pred = a + b * p3
    loss = (y_pred - torch.sin(x)).pow(2).sum()
    loss.backward()
    return {"p3": vals(p3), "loss": loss.item(), "grads": [vals(t.grad) for t in (a, b, c, d)]}


def case_ste():
    x, w = leaf(X), leaf(0.9)
    y = StraightThroughRound.apply(x * w)
    (y * torch.tensor(V)).sum().backward()
    return {"y": vals(y), "x_grad": vals(x.grad), "w_grad": vals(w.grad)}


def case_two_outputs(cls):
    x = leaf(X)
    s, e = cls.apply(x, 3.0)
    (s * torch.tensor(V)).sum().backward()  # e unused
    out = {"scaled": vals(s), "exp": vals(e), "x_grad_one_used": vals(x.grad)}
    x2 = leaf(X)
    s2, e2 = cls.apply(x2, 3.0)
    (s2 * torch.tensor(V) + e2).sum().backward()
    out["x_grad_both_used"] = vals(x2.grad)
    return out


def case_double_use():
    x = leaf(X)
    y = MyMul.apply(x, x)
    z = MyMul.apply(y, x)  # x used again, by a second call
    (z * torch.tensor(V)).sum().backward()
    return {"y": vals(y), "z": vals(z), "x_grad": vals(x.grad)}


def case_grad_reverse():
    x = leaf(X)
    y = GradReverse.apply(x, 0.5)
    (y * torch.tensor(V)).sum().backward()
    return {"y": vals(y), "x_grad": vals(x.grad)}


def case_mask():
    x = leaf(X)
    y, mask = DoubleWithMask.apply(x)
    (y * mask).sum().backward()
    return {"y": vals(y), "mask": vals(mask), "mask_requires_grad": mask.requires_grad, "x_grad": vals(x.grad)}


def case_legendre_training(steps=300):
    """polynomial_custom_function.py, line for line, for `steps` steps."""
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    printed = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            printed.append([t, loss.item()])
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"steps": steps, "printed": printed, "weights": [a.item(), b.item(), c.item(), d.item()]}


def case_autograd_tutorial():
    """The deterministic part of blitz/autograd_tutorial.py (ones(2, 2) through x.grad)."""
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return {"y": vals(y), "z": vals(z), "out": out.item(), "x_grad": vals(x.grad), "grad_fns": [type(t.grad_fn).__name__ for t in (y, z, out)]}


def main():
    out = {
        "torch_version": torch.__version__,
        "x": X,
        "v": V,
        "legendre": case_legendre(),
        "ste": case_ste(),
        "two_outputs": case_two_outputs(ScaleAndExp),
        "two_outputs_no_materialize": case_two_outputs(ScaleAndExpNoMaterialize),
        "double_use": case_double_use(),
        "grad_reverse": case_grad_reverse(),
        "mask": case_mask(),
        "legendre_training": case_legendre_training(),
        "autograd_tutorial": case_autograd_tutorial(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "autograd_function.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
