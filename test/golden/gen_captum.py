"""Golden fixtures for @duet/explain: Captum's attribution methods on a small
PyTorch MLP and a small CNN with fixed weights.

Run: .venv-ref/bin/python test/golden/gen_captum.py  (writes test/golden/captum.json)

Captum itself could not be installed here (the package index this machine
reaches does not serve it), so this script implements Captum 0.9's formulas
in PyTorch, one function per method, each named after the Captum class and
argument it reproduces:

- Saliency(abs=True): |d out[target] / d x|.
- IntegratedGradients(n_steps, method, baselines, return_convergence_delta):
  alphas and step sizes from `approximation_parameters` (gausslegendre =
  numpy's leggauss mapped to [0, 1]; riemann_left/right/middle/trapezoid),
  attributions = (x - baseline) * sum_k step_k * grad(baseline + alpha_k (x - baseline)),
  delta = sum(attributions) - (f(x)[t] - f(baseline)[t]).
- NoiseTunnel(nt_type smoothgrad / smoothgrad_sq / vargrad): the attribution
  of x + noise_k for fixed noise tensors (stored, so Duet uses the same draws),
  then mean, mean of squares, or variance over k.
- LayerGradCam(layer, relu_attributions): mean over the spatial dims of
  d out[t] / d layer_out, times layer_out, summed over channels (keepdim),
  ReLU optional; LayerAttribution.interpolate = F.interpolate(mode).
- Occlusion(sliding_window_shapes, strides, baselines): shift counts
  ceil((dim - window) / stride) + 1 per dim, windows cropped at the border,
  attribution = sum over windows covering an element of
  (f(x)[t] - f(x occluded)[t]) / number of windows covering it.

Everything is computed in float64 from float32 weights and inputs, so the
expected values are exact to float32 precision; Duet (float32) must match
them within 1e-4. Versions are recorded in the JSON.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captum.json")


def enc(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "values": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def f32(t):
    """Round to float32 values (what Duet stores), kept as float64."""
    return t.to(torch.float32).to(torch.float64)


def make_mlp():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    return m.double()


def make_cnn():
    torch.manual_seed(2)
    m = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)
    )
    return m.double()


def pick(out, target):
    """out[i, target[i]] per example (a scalar target applies to all)."""
    n = out.shape[0]
    t = torch.tensor(target if isinstance(target, list) else [target] * n)
    return out[torch.arange(n), t]


def input_grad(model, x, target):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(pick(model(x), target).sum(), x)
    return g


def saliency(model, x, target, abs_=True):
    g = input_grad(model, x, target)
    return g.abs() if abs_ else g


def approximation(method, n):
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return list(0.5 * weights), list(0.5 * (nodes + 1))
    if method == "riemann_trapezoid":
        steps = [1 / (2 * (n - 1))] + [1 / (n - 1)] * (n - 2) + [1 / (2 * (n - 1))]
        return steps, list(np.linspace(0, 1, n))
    steps = [1 / n] * n
    if method == "riemann_left":
        return steps, list(np.linspace(0, 1 - 1 / n, n))
    if method == "riemann_right":
        return steps, list(np.linspace(1 / n, 1, n))
    if method == "riemann_middle":
        return steps, list(np.linspace(1 / (2 * n), 1 - 1 / (2 * n), n))
    raise ValueError(method)


def integrated_gradients(model, x, baseline, target, n_steps, method):
    steps, alphas = approximation(method, n_steps)
    total = torch.zeros_like(x)
    for s, a in zip(steps, alphas):
        total += s * input_grad(model, baseline + a * (x - baseline), target)
    attr = total * (x - baseline)
    with torch.no_grad():
        delta = attr.flatten(1).sum(1) - (pick(model(x), target) - pick(model(baseline), target))
    return attr, delta


def noise_tunnel(fn, x, noise, nt_type):
    attrs = torch.stack([fn(x + noise[k]) for k in range(noise.shape[0])])
    if nt_type == "smoothgrad":
        return attrs.mean(0)
    if nt_type == "smoothgrad_sq":
        return (attrs * attrs).mean(0)
    return (attrs * attrs).mean(0) - attrs.mean(0) ** 2  # vargrad


def layer_grad_cam(model, layer, x, target, relu):
    acts = {}

    def hook(_m, _args, out):
        acts["out"] = out
        return out

    h = layer.register_forward_hook(hook)
    out = model(x)
    h.remove()
    (g,) = torch.autograd.grad(pick(out, target).sum(), acts["out"])
    w = g.mean(dim=tuple(range(2, g.ndim)), keepdim=True)
    cam = (w * acts["out"]).sum(1, keepdim=True).detach()
    return F.relu(cam) if relu else cam


def occlusion(model, x, window, strides, baseline, target):
    feat = x.shape[1:]
    counts = [math.ceil((d - w) / s) + 1 for d, w, s in zip(feat, window, strides)]
    with torch.no_grad():
        base_eval = pick(model(x), target)
        total = torch.zeros_like(x)
        weights = torch.zeros_like(x)
        for pos in np.ndindex(*counts):
            mask = torch.zeros(feat, dtype=torch.float64)
            idx = tuple(slice(p * s, min(p * s + w, d)) for p, s, w, d in zip(pos, strides, window, feat))
            mask[idx] = 1
            occluded = x * (1 - mask) + baseline * mask
            diff = base_eval - pick(model(occluded), target)
            total += diff.reshape((-1,) + (1,) * len(feat)) * mask
            weights += mask
        return total / weights


def main():
    torch.manual_seed(0)
    mlp, cnn = make_mlp(), make_cnn()
    x_mlp = f32(torch.randn(3, 4, dtype=torch.float64))
    b_mlp = f32(0.3 * torch.randn(3, 4, dtype=torch.float64))
    x_cnn = f32(torch.rand(2, 1, 8, 8, dtype=torch.float64))
    for p in list(mlp.parameters()) + list(cnn.parameters()):
        p.data = f32(p.data)
    t_mlp = [0, 2, 1]
    t_cnn = [1, 2]
    cases = []

    def add(model, method, options, inputs, target, attr, delta=None, extra=None):
        c = {"model": model, "method": method, "options": options, "inputs": enc(inputs), "target": target, "attributions": enc(attr)}
        if delta is not None:
            c["delta"] = enc(delta)
        if extra:
            c.update(extra)
        cases.append(c)

    add("mlp", "Saliency", {}, x_mlp, t_mlp, saliency(mlp, x_mlp, t_mlp))
    add("mlp", "Saliency", {"abs": False}, x_mlp, 1, saliency(mlp, x_mlp, 1, abs_=False))
    add("cnn", "Saliency", {}, x_cnn, t_cnn, saliency(cnn, x_cnn, t_cnn))

    for method, n in [("gausslegendre", 50), ("riemann_trapezoid", 20), ("riemann_left", 10), ("riemann_right", 10), ("riemann_middle", 10)]:
        a, d = integrated_gradients(mlp, x_mlp, torch.zeros_like(x_mlp), t_mlp, n, method)
        add("mlp", "IntegratedGradients", {"nSteps": n, "method": method}, x_mlp, t_mlp, a, d)
    a, d = integrated_gradients(mlp, x_mlp, b_mlp, t_mlp, 30, "gausslegendre")
    add("mlp", "IntegratedGradients", {"nSteps": 30, "baselines": enc(b_mlp), "internalBatchSize": 7}, x_mlp, t_mlp, a, d)
    a, d = integrated_gradients(cnn, x_cnn, torch.zeros_like(x_cnn), t_cnn, 20, "gausslegendre")
    add("cnn", "IntegratedGradients", {"nSteps": 20}, x_cnn, t_cnn, a, d)

    torch.manual_seed(3)
    noise = f32(0.2 * torch.randn(4, 3, 4, dtype=torch.float64))
    for nt in ["smoothgrad", "smoothgrad_sq", "vargrad"]:
        a = noise_tunnel(lambda z: saliency(mlp, z, t_mlp), x_mlp, noise, nt)
        add("mlp", "NoiseTunnel", {"ntType": nt, "ntSamples": 4, "base": "Saliency"}, x_mlp, t_mlp, a, extra={"noise": enc(noise)})
    noise_c = f32(0.1 * torch.randn(3, 2, 1, 8, 8, dtype=torch.float64))
    a = noise_tunnel(lambda z: integrated_gradients(cnn, z, torch.zeros_like(z), t_cnn, 10, "gausslegendre")[0], x_cnn, noise_c, "smoothgrad")
    add("cnn", "NoiseTunnel", {"ntType": "smoothgrad", "ntSamples": 3, "base": "IntegratedGradients", "nSteps": 10}, x_cnn, t_cnn, a, extra={"noise": enc(noise_c)})

    conv2 = cnn[2]
    for relu in [False, True]:
        cam = layer_grad_cam(cnn, conv2, x_cnn, t_cnn, relu)
        extra = {
            "upsampled": {
                "nearest": enc(F.interpolate(cam, (8, 8), mode="nearest")),
                "bilinear": enc(F.interpolate(cam, (8, 8), mode="bilinear")),
            }
        }
        add("cnn", "LayerGradCam", {"layer": "2", "reluAttributions": relu}, x_cnn, t_cnn, cam, extra=extra)

    add("cnn", "Occlusion", {"slidingWindowShapes": [1, 3, 3], "strides": [1, 2, 2]}, x_cnn, t_cnn,
        occlusion(cnn, x_cnn, [1, 3, 3], [1, 2, 2], 0.0, t_cnn))
    add("cnn", "Occlusion", {"slidingWindowShapes": [1, 2, 2], "strides": 2, "baselines": 0.5}, x_cnn, 0,
        occlusion(cnn, x_cnn, [1, 2, 2], [2, 2, 2], 0.5, 0))
    add("mlp", "Occlusion", {"slidingWindowShapes": [2]}, x_mlp, t_mlp, occlusion(mlp, x_mlp, [2], [1], 0.0, t_mlp))

    state = lambda m: {k: enc(v) for k, v in m.state_dict().items()}
    data = {
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "captum": "formulas of captum 0.9 (captum not installable here)"},
        "models": {"mlp": state(mlp), "cnn": state(cnn)},
        "cases": cases,
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, OUT)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
