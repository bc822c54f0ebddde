"""Golden fixtures for @duet/nn's layers and functional ops, computed by PyTorch.

Run: .venv-ref/bin/python test/golden/gen_nn_layers.py  (writes test/golden/nn_layers.json)

For every case: build the layer in torch (seeded), record its state_dict (the
Duet test loads it with loadStateDict, strict), the inputs, the outputs, a
random upstream gradient per output, and the gradients of
sum_i (out_i * upstream_i).sum() with respect to every float input and every
parameter; train-mode BatchNorm also records its buffers after the forward.
Tuples of outputs (LSTM's (out, (h, c))) are flattened in order; None skipped.
The Duet side (test/golden/nn_layers.test.ts) builds the same layer by name.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)

# Tolerances (absolute and relative), by kind. Convolutions, norms and
# activations are short chains of float32 kernels: 1e-5 forward, 1e-4 grads.
# Recurrent nets and attention chain many matmuls and softmaxes whose float32
# sums TF's Eigen kernels order differently from PyTorch's: 1e-4 / 5e-4.
TOL = {"layer": (1e-5, 1e-4), "seq": (1e-4, 5e-4)}


def enc(t):
    t = t.detach()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.int32: "int32", torch.bool: "bool"}[t.dtype]
    data = t.flatten().tolist()
    if dtype == "bool":
        data = [int(v) for v in data]
    elif dtype == "float32":
        data = [float(f"{v:.9g}") for v in data]  # 9 significant digits round-trip a float32 exactly
    return {"shape": list(t.shape), "dtype": dtype, "values": data}


def flatten(out):
    if out is None:
        return []
    if isinstance(out, torch.Tensor):
        return [out]
    res = []
    for o in out:
        res.extend(flatten(o))
    return res


CASES = []


def case(name, make, inputs, call=None, train=False, kind="layer"):
    """`make()` builds the module (or None for a functional case); `call(m, *inputs)` runs it."""
    torch.manual_seed(0)
    m = make()
    if m is not None:
        m.train(train)
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            # Non-trivial running statistics, so eval mode is tested against real values.
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(3)
    sd = {k: enc(v) for k, v in m.state_dict().items()} if m is not None else {}
    ins = []
    for x in inputs:
        x = x.clone()
        if x.dtype == torch.float32:
            x.requires_grad_(True)
        ins.append(x)
    torch.manual_seed(1)
    out = flatten(call(m, *ins) if call is not None else m(*ins))
    ups = [torch.randn(o.shape) for o in out]
    loss = sum((o * u).sum() for o, u in zip(out, ups))
    loss.backward()
    grads = {}
    for i, x in enumerate(ins):
        if x.dtype == torch.float32:
            grads[f"input{i}"] = enc(x.grad if x.grad is not None else torch.zeros_like(x))
    if m is not None:
        for k, p in m.named_parameters():
            grads[k] = enc(p.grad if p.grad is not None else torch.zeros_like(p))
    c = {
        "name": name,
        "train": train,
        "tol": TOL[kind],
        "state_dict": sd,
        "inputs": [enc(x) for x in ins],
        "outputs": [enc(o) for o in out],
        "upstream": [enc(u) for u in ups],
        "grads": grads,
    }
    if m is not None and train and any(True for _ in m.buffers()):
        c["buffers_after"] = {k: enc(v) for k, v in m.state_dict().items() if k not in dict(m.named_parameters())}
    CASES.append(c)


def r(*shape):
    return torch.randn(*shape)


torch.manual_seed(42)
# ------------------------------------------------------------------ layers
case("Linear", lambda: nn.Linear(5, 4), [r(3, 5)])
case("Linear_nobias_3d", lambda: nn.Linear(5, 4, bias=False), [r(2, 3, 5)])
case("Bilinear", lambda: nn.Bilinear(3, 4, 2), [r(5, 3), r(5, 4)])
case("Identity_Flatten", lambda: nn.Sequential(nn.Identity(), nn.Flatten(), nn.Unflatten(1, (3, 4))), [r(2, 3, 2, 2)])
case("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), [r(2, 3, 9)])
case("Conv1d_same_dilated_groups", lambda: nn.Conv1d(2, 4, 3, padding="same", dilation=2, groups=2), [r(2, 2, 8)])
case("Conv2d", lambda: nn.Conv2d(3, 4, 3, padding=1), [r(2, 3, 6, 6)])
case("Conv2d_stride_dilation_groups", lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [r(2, 4, 7, 8)])
case("Conv2d_same_even_kernel", lambda: nn.Conv2d(2, 3, 4, padding="same", bias=False), [r(1, 2, 5, 5)])
case("Conv2d_reflect", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [r(1, 2, 5, 4)])
case("Conv2d_circular", lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="circular"), [r(1, 2, 5, 4)])
case("Conv2d_replicate", lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), [r(1, 2, 5, 4)])
case("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), [r(2, 3, 4, 4)])
case("MaxPool1d", lambda: nn.MaxPool1d(3, stride=2, padding=1), [r(2, 3, 9)])
case("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [r(2, 3, 6, 7)])
case("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2), [r(2, 3, 9)])
case("AvgPool2d", lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [r(2, 3, 6, 7)])
case("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), [r(2, 3, 5, 7)])
case("BatchNorm1d_train", lambda: nn.BatchNorm1d(4), [r(6, 4)], train=True)
case("BatchNorm1d_eval_3d", lambda: nn.BatchNorm1d(4), [r(3, 4, 5)])
case("BatchNorm2d_train", lambda: nn.BatchNorm2d(3, momentum=0.3), [r(2, 3, 4, 4)], train=True)
case("BatchNorm2d_cumulative", lambda: nn.BatchNorm2d(3, momentum=None), [r(2, 3, 4, 4)], train=True)
case("BatchNorm2d_eval", lambda: nn.BatchNorm2d(3), [r(2, 3, 4, 4)])
case("BatchNorm2d_no_affine", lambda: nn.BatchNorm2d(3, affine=False), [r(2, 3, 4, 4)], train=True)
case("LayerNorm", lambda: nn.LayerNorm([4, 5]), [r(2, 3, 4, 5)])
case("GroupNorm", lambda: nn.GroupNorm(2, 6), [r(2, 6, 3, 3)])
case("Embedding_padding", lambda: nn.Embedding(6, 3, padding_idx=1), [torch.tensor([[0, 1, 2, 1], [5, 4, 1, 0]])])
case("Dropout_eval", lambda: nn.Dropout(0.5), [r(3, 4)])
for name, mk in [
    ("ReLU", lambda: nn.ReLU()), ("LeakyReLU", lambda: nn.LeakyReLU(0.2)), ("GELU", lambda: nn.GELU()),
    ("GELU_tanh", lambda: nn.GELU(approximate="tanh")), ("SiLU", lambda: nn.SiLU()), ("ELU", lambda: nn.ELU(0.5)),
    ("Sigmoid", lambda: nn.Sigmoid()), ("Tanh", lambda: nn.Tanh()), ("Softmax", lambda: nn.Softmax(dim=1)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1)), ("Softplus", lambda: nn.Softplus(beta=2.0, threshold=3.0)),
]:
    case(name, mk, [r(3, 5) * 2])

# ------------------------------------------------------------ sequences
case("RNN_tanh_2layer_bidir_batchfirst_h0", lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True, batch_first=True), [r(2, 5, 3), r(4, 2, 4)], kind="seq")
case("RNN_relu", lambda: nn.RNN(3, 4, nonlinearity="relu", bias=False), [r(5, 2, 3)], kind="seq")
case("LSTM_2layer_batchfirst_h0c0", lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), [r(2, 5, 3), r(2, 2, 4), r(2, 2, 4)],
     call=lambda m, x, h, c: m(x, (h, c)), kind="seq")
case("LSTM_bidir", lambda: nn.LSTM(3, 4, bidirectional=True), [r(5, 2, 3)], kind="seq")
case("LSTM_unbatched", lambda: nn.LSTM(3, 4), [r(5, 3)], kind="seq")
case("GRU_2layer_bidir", lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True), [r(5, 2, 3)], kind="seq")
case("GRU_h0_batchfirst", lambda: nn.GRU(3, 4, batch_first=True), [r(2, 5, 3), r(1, 2, 4)], kind="seq")

kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
case("MHA_self_batchfirst_kpm", lambda: nn.MultiheadAttention(8, 2, batch_first=True), [r(2, 5, 8), kpm],
     call=lambda m, x, k: m(x, x, x, key_padding_mask=k), kind="seq")
case("MHA_cross_kdim_vdim_floatmask", lambda: nn.MultiheadAttention(8, 4, kdim=6, vdim=5), [r(3, 2, 8), r(4, 2, 6), r(4, 2, 5), r(3, 4)],
     call=lambda m, q, k, v, mask: m(q, k, v, attn_mask=mask), kind="seq")
causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
case("MHA_causal_per_head_weights", lambda: nn.MultiheadAttention(6, 3, bias=False), [r(4, 2, 6), causal],
     call=lambda m, x, mask: m(x, x, x, attn_mask=mask, average_attn_weights=False), kind="seq")
case("MHA_kv_same_no_weights", lambda: nn.MultiheadAttention(8, 2), [r(3, 2, 8), r(5, 2, 8)],
     call=lambda m, q, kv: m(q, kv, kv, need_weights=False), kind="seq")
case("TransformerEncoderLayer_post_relu_kpm", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), [r(5, 2, 8), kpm],
     call=lambda m, x, k: m(x, src_key_padding_mask=k), kind="seq")
case("TransformerEncoderLayer_pre_gelu_causal", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True),
     [r(2, 4, 8), causal], call=lambda m, x, mask: m(x, src_mask=mask), kind="seq")
case("TransformerEncoder_2layers_norm", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2, norm=nn.LayerNorm(8), enable_nested_tensor=False),
     [r(5, 2, 8)], kind="seq")
case("TransformerDecoderLayer_causal_memkpm", lambda: nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0), [r(4, 2, 8), r(5, 2, 8), causal, kpm],
     call=lambda m, t, mem, mask, k: m(t, mem, tgt_mask=mask, memory_key_padding_mask=k), kind="seq")
case("TransformerDecoderLayer_prenorm", lambda: nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=True, batch_first=True), [r(2, 4, 8), r(2, 5, 8)], kind="seq")

# ------------------------------------------------------------ functional
none = lambda: None  # noqa: E731
case("F.pad_constant", none, [r(2, 3, 4)], call=lambda _, x: F.pad(x, (1, 2, 0, 1), value=0.5))
case("F.pad_constant_negative", none, [r(2, 3, 4)], call=lambda _, x: F.pad(x, (-1, 2)))
case("F.pad_reflect", none, [r(1, 2, 4, 5)], call=lambda _, x: F.pad(x, (2, 1, 1, 3), mode="reflect"))
case("F.pad_replicate", none, [r(1, 2, 4, 5)], call=lambda _, x: F.pad(x, (2, 1, 1, 3), mode="replicate"))
case("F.pad_circular", none, [r(1, 2, 4, 5)], call=lambda _, x: F.pad(x, (2, 1, 1, 3), mode="circular"))
case("F.interpolate_nearest_scale", none, [r(1, 2, 3, 4)], call=lambda _, x: F.interpolate(x, scale_factor=2, mode="nearest"))
case("F.interpolate_nearest_size", none, [r(1, 2, 5, 4)], call=lambda _, x: F.interpolate(x, size=(3, 7), mode="nearest"))
case("F.interpolate_nearest_exact", none, [r(1, 2, 5, 4)], call=lambda _, x: F.interpolate(x, size=(3, 7), mode="nearest-exact"))
case("F.interpolate_bilinear", none, [r(1, 2, 3, 4)], call=lambda _, x: F.interpolate(x, size=(5, 7), mode="bilinear"))
case("F.interpolate_bilinear_scale", none, [r(1, 2, 3, 4)], call=lambda _, x: F.interpolate(x, scale_factor=1.5, mode="bilinear"))
case("F.interpolate_bilinear_align", none, [r(1, 2, 3, 4)], call=lambda _, x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True))
case("F.interpolate_linear", none, [r(2, 3, 4)], call=lambda _, x: F.interpolate(x, size=9, mode="linear"))
case("F.normalize", none, [r(3, 5)], call=lambda _, x: F.normalize(x, dim=1))
case("F.cosine_similarity", none, [r(3, 5), r(3, 5)], call=lambda _, a, b: F.cosine_similarity(a, b, dim=1))
case("F.sdpa_boolmask", none, [r(2, 3, 4, 6), r(2, 3, 5, 6), r(2, 3, 5, 7), torch.rand(4, 5) > 0.3],
     call=lambda _, q, k, v, mask: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), kind="seq")
case("F.sdpa_causal_scale", none, [r(2, 4, 6), r(2, 4, 6), r(2, 4, 6)],
     call=lambda _, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), kind="seq")
case("F.sdpa_floatmask", none, [r(2, 4, 6), r(2, 5, 6), r(2, 5, 3), r(4, 5)],
     call=lambda _, q, k, v, mask: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), kind="seq")
case("F.layer_norm_no_affine", none, [r(3, 5)], call=lambda _, x: F.layer_norm(x, (5,)))
case("F.batch_norm_channels_last", none, [r(4, 5, 3), r(3), r(3)],
     call=lambda _, x, w, b: F.batch_norm(x.permute(0, 2, 1), None, None, w, b, training=True).permute(0, 2, 1))

# ----------------------------------- recurrent nets on fused kernels (issue 14)
# Appended last so the inputs drawn above stay the same. LSTM runs BlockLSTMV2 /
# BlockLSTMGradV2 in Duet; these cover 1-2 layers, both directions, batch_first,
# initial states, no bias, a longer chain, and gradients reaching the weights
# only through the final states.
case("LSTM_2layer_bidir_h0c0", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), [r(5, 2, 3), r(4, 2, 4), r(4, 2, 4)],
     call=lambda m, x, h, c: m(x, (h, c)), kind="seq")
case("LSTM_bidir_batchfirst_nobias", lambda: nn.LSTM(3, 5, bias=False, batch_first=True, bidirectional=True), [r(2, 6, 3)], kind="seq")
case("LSTM_2layer_long_h0c0", lambda: nn.LSTM(4, 8, num_layers=2), [r(20, 3, 4), r(2, 3, 8), r(2, 3, 8)],
     call=lambda m, x, h, c: m(x, (h, c)), kind="seq")
case("LSTM_final_states_only", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), [r(5, 2, 3)],
     call=lambda m, x: m(x)[1], kind="seq")
case("LSTM_one_step_unbatched_h0c0", lambda: nn.LSTM(3, 4), [r(1, 3), r(1, 4), r(1, 4)],
     call=lambda m, x, h, c: m(x, (h, c)), kind="seq")
case("GRU_2layer_bidir_batchfirst_h0", lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True), [r(2, 5, 3), r(4, 2, 4)], kind="seq")
case("GRU_unbatched_nobias", lambda: nn.GRU(3, 4, bias=False), [r(5, 3)], kind="seq")
# nn.RNN as one op per layer and direction (core functional.rnnLayer, issue 14):
# relu and tanh, both directions, 2 layers, h0, no bias, a longer chain,
# unbatched, one step, and gradients reaching the weights only through hN.
case("RNN_relu_2layer_bidir_h0", lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bidirectional=True), [r(5, 2, 3), r(4, 2, 4)], kind="seq")
case("RNN_tanh_long_batchfirst_h0", lambda: nn.RNN(4, 8, batch_first=True), [r(3, 20, 4), r(1, 3, 8)], kind="seq")
case("RNN_tanh_unbatched_nobias_h0", lambda: nn.RNN(3, 5, bias=False), [r(6, 3), r(1, 5)], kind="seq")
case("RNN_relu_bidir_final_state_only", lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bidirectional=True), [r(5, 2, 3)],
     call=lambda m, x: m(x)[1], kind="seq")
case("RNN_tanh_one_step_bidir_h0", lambda: nn.RNN(3, 4, bidirectional=True), [r(1, 2, 3), r(2, 2, 4)], kind="seq")

out = {
    "generator": "test/golden/gen_nn_layers.py",
    "torch_version": torch.__version__,
    "python_version": sys.version.split()[0],
    "cases": CASES,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_layers.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {len(CASES)} cases to {path} (torch {torch.__version__})")
