"""Golden fixtures for compression: torch.nn.utils.prune masks, torch.ao's
per-channel symmetric int8 weight quantization, and the knowledge
distillation loss.

Run: .venv-ref/bin/python test/golden/gen_compress.py  (writes test/golden/compress.json)

- prune: fixed-weight Linear(6, 5) and Conv2d(2, 3, 3); l1_unstructured
  (0.3, then 0.5 again on the same weight: a PruningContainer acting on the
  remaining entries; an integer amount), global_unstructured over several
  tensors (twice), importance scores; the masks, the parameter and buffer
  names, and the effective weight.
- quantization: torch.ao.quantization.PerChannelMinMaxObserver(qint8,
  per_channel_symmetric, ch_axis=0), its scales, and
  torch.quantize_per_channel(...).int_repr() for a Linear and a Conv2d
  weight (Duet's int8 file layout stores exactly these).
- distillation: Hinton et al.'s loss as the Keras "Knowledge distillation"
  guide writes it: alpha * CE(y, student) + (1 - alpha) *
  KL(softmax(teacher / T) || softmax(student / T)) * T^2 (batch mean), its
  value and gradient with respect to the student logits.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.ao.quantization import PerChannelMinMaxObserver

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compress.json")


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "values": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def layers():
    torch.manual_seed(0)
    return nn.Linear(6, 5), nn.Conv2d(2, 3, 3)


def state(m):
    return {k: enc(v) for k, v in m.state_dict().items()}


def snapshot(m, name="weight"):
    return {
        "params": [n for n, _ in m.named_parameters()],
        "buffers": [n for n, _ in m.named_buffers()],
        "mask": enc(getattr(m, name + "_mask")),
        "weight": enc(getattr(m, name)),
    }


def main():
    cases = []
    lin, conv = layers()
    weights = {"linear": state(lin), "conv": state(conv)}

    lin, conv = layers()
    prune.l1_unstructured(lin, "weight", amount=0.3)
    first = snapshot(lin)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    cases.append({"id": "l1 0.3 then 0.5", "layer": "linear", "steps": [{"amount": 0.3}, {"amount": 0.5}], "after": [first, snapshot(lin)]})

    lin, conv = layers()
    prune.l1_unstructured(conv, "weight", amount=7)
    cases.append({"id": "l1 conv count 7", "layer": "conv", "steps": [{"count": 7}], "after": [snapshot(conv)]})

    lin, conv = layers()
    scores = torch.arange(lin.weight.numel(), dtype=torch.float32).reshape(lin.weight.shape).flip(1)
    prune.l1_unstructured(lin, "weight", amount=0.4, importance_scores=scores)
    cases.append({"id": "l1 importance scores", "layer": "linear", "steps": [{"amount": 0.4, "importanceScores": enc(scores)}], "after": [snapshot(lin)]})

    lin, conv = layers()
    params = [(lin, "weight"), (conv, "weight"), (lin, "bias")]
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.4)
    g1 = {"linear": snapshot(lin), "conv": snapshot(conv), "linear_bias": snapshot(lin, "bias")}
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.5)
    g2 = {"linear": snapshot(lin), "conv": snapshot(conv), "linear_bias": snapshot(lin, "bias")}
    prune.remove(lin, "weight")
    removed = {"params": [n for n, _ in lin.named_parameters()], "buffers": [n for n, _ in lin.named_buffers()], "weight": enc(lin.weight)}
    global_cases = [{"id": "global 0.4 then 0.5, then remove", "amounts": [0.4, 0.5], "after": [g1, g2], "removed": removed}]

    quant = []
    for lname, w in [("linear", layers()[0].weight), ("conv", layers()[1].weight), ("wide", torch.randn(4, 300) * torch.tensor([[0.01], [1.0], [30.0], [0.2]]))]:
        obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
        obs(w)
        scale, zp = obs.calculate_qparams()
        q = torch.quantize_per_channel(w.detach(), scale, zp, 0, torch.qint8)
        quant.append({"id": lname, "weight": enc(w), "scale": enc(scale), "zeroPoint": [int(v) for v in zp], "int8": [int(v) for v in q.int_repr().flatten().tolist()], "dequantized": enc(q.dequantize())})

    torch.manual_seed(4)
    distill = []
    for T, alpha in [(1.0, 0.5), (3.0, 0.1), (10.0, 0.9)]:
        s = torch.randn(5, 7, requires_grad=True)
        t = torch.randn(5, 7) * 2
        y = torch.randint(0, 7, (5,))
        soft = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
        hard = F.cross_entropy(s, y)
        loss = alpha * hard + (1 - alpha) * soft
        (g,) = torch.autograd.grad(loss, s)
        distill.append({"temperature": T, "alpha": alpha, "student": enc(s), "teacher": enc(t), "labels": y.tolist(), "loss": loss.item(), "soft": soft.item(), "hard": hard.item(), "grad": enc(g)})

    data = {
        "versions": {"torch": torch.__version__},
        "weights": weights,
        "prune": cases,
        "global": global_cases,
        "quantize": quant,
        "distill": distill,
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
