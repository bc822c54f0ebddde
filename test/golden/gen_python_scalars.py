"""Golden fixtures for Python's number-first arithmetic, as ported tutorials write it, computed by PyTorch.

Run: .venv-ref/bin/python test/golden/gen_python_scalars.py  (writes test/golden/python_scalars.json)

`-2.0 * (y - y_pred)`, `1 - t`, `1 / t`, `2 ** t`, `3 + t` are Duet's
function forms with the number first (`mul(-2.0, y.sub(yPred))`); and
`x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))` (a float tensor to an int
tensor's powers, polynomial_nn.py). Each records the value and the gradient
of (result * W).sum() with respect to t.
"""
import json
import os

import torch

T = [0.5, -1.25, 2.0, 3.5, -0.75]
W = [1.0, -2.0, 0.5, 0.25, 3.0]


def vals(t):
    return {"shape": list(t.shape), "values": [float(f"{v:.9g}") for v in t.detach().flatten().tolist()]}


CASES = {
    "mul": lambda t: -2.0 * t,
    "add": lambda t: 3 + t,
    "sub": lambda t: 1 - t,
    "div": lambda t: 1 / t,
    "pow": lambda t: 2 ** t,
    "pow_int_tensor": lambda t: t.unsqueeze(-1).pow(torch.tensor([1, 2, 3])),
}


def main():
    out = {"torch_version": torch.__version__, "t": T, "w": W, "cases": {}}
    for name, f in CASES.items():
        t = torch.tensor(T, requires_grad=True)
        r = f(t)
        w = torch.tensor(W)
        (r * (w if r.dim() == 1 else w.unsqueeze(-1))).sum().backward()
        out["cases"][name] = {"value": vals(r), "grad": vals(t.grad)}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_scalars.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
