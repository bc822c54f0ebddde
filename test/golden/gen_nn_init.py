"""Golden fixtures for nn.init's fan rule and named initialisers, computed by PyTorch and Keras.

Run: .venv-ref/bin/python test/golden/gen_nn_init.py  (writes test/golden/nn_init.json)

- `fans`: [fan_in, fan_out] of a weight shape under a layout description:
  'out_in' and the letter layouts that start with O,I are PyTorch's
  torch.nn.init._calculate_fan_in_and_fan_out; 'in_out' and the letter
  layouts that end with I,O are Keras's compute_fans. `error`: PyTorch's
  message for a shape it refuses.
- `inits`: one large sample of each named initialiser, drawn by the library
  that owns the name (torch.nn.init for PyTorch's names, keras.initializers
  for Keras's), summarised as mean, std, min, max. Random streams differ
  between libraries, so the Duet test compares distributions, not values:
  the tolerances are sampling error (see nn_init.test.ts).
- `layers`: the same for a layer's weight: PyTorch's Linear/Conv2d after an
  init call, Keras's Dense/Conv2D kernels with an initializer identifier.
"""
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import keras  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans  # noqa: E402


def stats(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    return {"n": int(a.size), "mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}


def torch_fans(shape):
    return list(torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)))


def keras_fans(shape):
    return [int(v) for v in compute_fans(tuple(shape))]


FANS = [
    ([3, 4], "out_in", torch_fans),
    ([8, 3, 5], "out_in", torch_fans),
    ([8, 3, 5, 5], "out_in", torch_fans),
    ([4, 2, 3, 3, 3], "out_in", torch_fans),
    ([6, 4, 2, 2], "out_in", torch_fans),
    ([], "in_out", keras_fans),
    ([5], "in_out", keras_fans),
    ([4, 3], "in_out", keras_fans),
    ([5, 3, 8], "in_out", keras_fans),
    ([5, 5, 3, 8], "in_out", keras_fans),
    ([3, 3, 3, 2, 4], "in_out", keras_fans),
    ([3, 4], "OI", torch_fans),
    ([8, 3, 5], "OIL", torch_fans),
    ([8, 3, 5, 5], "OIHW", torch_fans),
    ([4, 2, 3, 3, 3], "OIDHW", torch_fans),
    ([4, 3], "IO", keras_fans),
    ([5, 3, 8], "LIO", keras_fans),
    ([5, 5, 3, 8], "HWIO", keras_fans),
    ([3, 3, 3, 2, 4], "DHWIO", keras_fans),
]

# (library, name, options (Duet's spelling), shape, layout). Torch weights are [out, in, ...]; Keras's [..., in, out]: same fans.
TORCH_SHAPE = [256, 512]
KERAS_SHAPE = [512, 256]
INITS = [
    ("torch", "uniform", {}, TORCH_SHAPE, "out_in"),
    ("torch", "normal", {"mean": 0.5, "std": 2.0}, TORCH_SHAPE, "out_in"),
    ("torch", "xavier_uniform", {}, TORCH_SHAPE, "out_in"),
    ("torch", "xavier_normal", {"gain": 2.0}, TORCH_SHAPE, "out_in"),
    ("torch", "kaiming_uniform", {}, TORCH_SHAPE, "out_in"),
    ("torch", "kaiming_uniform", {"a": math.sqrt(5)}, TORCH_SHAPE, "out_in"),
    ("torch", "kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}, TORCH_SHAPE, "out_in"),
    ("torch", "kaiming_normal", {}, [64, 32, 3, 3], "OIHW"),
    ("torch", "trunc_normal", {"std": 0.02, "a": -0.04, "b": 0.04}, TORCH_SHAPE, "out_in"),
    ("torch", "orthogonal", {"gain": 1.5}, TORCH_SHAPE, "out_in"),
    ("torch", "zeros", {}, [4, 3], "out_in"),
    ("torch", "ones", {}, [4, 3], "out_in"),
    ("torch", "constant", {"value": 0.25}, [4, 3], "out_in"),
    ("keras", "glorot_uniform", {}, KERAS_SHAPE, "in_out"),
    ("keras", "glorot_normal", {}, KERAS_SHAPE, "in_out"),
    ("keras", "he_uniform", {}, KERAS_SHAPE, "in_out"),
    ("keras", "he_normal", {}, KERAS_SHAPE, "in_out"),
    ("keras", "he_normal", {}, [3, 3, 32, 64], "HWIO"),
    ("keras", "lecun_uniform", {}, KERAS_SHAPE, "in_out"),
    ("keras", "lecun_normal", {}, KERAS_SHAPE, "in_out"),
    ("keras", "random_uniform", {}, KERAS_SHAPE, "in_out"),
    ("keras", "random_normal", {"stddev": 0.1}, KERAS_SHAPE, "in_out"),
    ("keras", "truncated_normal", {}, KERAS_SHAPE, "in_out"),
    ("keras", "variance_scaling", {"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal"}, KERAS_SHAPE, "in_out"),
    ("keras", "variance_scaling", {"scale": 3.0, "mode": "fan_avg", "distribution": "uniform"}, [3, 3, 32, 64], "in_out"),
]

TORCH_FN = {
    "uniform": lambda t, o: torch.nn.init.uniform_(t),
    "normal": lambda t, o: torch.nn.init.normal_(t, mean=o["mean"], std=o["std"]),
    "xavier_uniform": lambda t, o: torch.nn.init.xavier_uniform_(t),
    "xavier_normal": lambda t, o: torch.nn.init.xavier_normal_(t, gain=o["gain"]),
    "kaiming_uniform": lambda t, o: torch.nn.init.kaiming_uniform_(t, a=o.get("a", 0)),
    "kaiming_normal": lambda t, o: torch.nn.init.kaiming_normal_(t, mode=o.get("mode", "fan_in"), nonlinearity=o.get("nonlinearity", "leaky_relu")),
    "trunc_normal": lambda t, o: torch.nn.init.trunc_normal_(t, std=o["std"], a=o["a"], b=o["b"]),
    "orthogonal": lambda t, o: torch.nn.init.orthogonal_(t, gain=o["gain"]),
    "zeros": lambda t, o: torch.nn.init.zeros_(t),
    "ones": lambda t, o: torch.nn.init.ones_(t),
    "constant": lambda t, o: torch.nn.init.constant_(t, o["value"]),
}


def keras_init(name, o):
    if not o:
        return keras.initializers.get(name)
    cls = keras.initializers.get(name).__class__
    return cls(**o)


def init_case(lib, name, o, shape, layout):
    if lib == "torch":
        torch.manual_seed(0)
        t = torch.empty(*shape)
        TORCH_FN[name](t, o)
        s = stats(t.numpy())
    else:
        keras.utils.set_random_seed(0)
        s = stats(keras.ops.convert_to_numpy(keras_init(name, o)(tuple(shape))))
    return {"library": lib, "name": name, "options": o, "shape": shape, "layout": layout, "stats": s}


def layer_cases():
    out = []
    torch.manual_seed(0)
    lin = torch.nn.Linear(512, 256)
    torch.nn.init.xavier_uniform_(lin.weight)
    torch.nn.init.zeros_(lin.bias)
    out.append({"name": "torch_Linear_xavier_uniform_zeros", "weight": stats(lin.weight.detach().numpy()), "bias": stats(lin.bias.detach().numpy())})
    conv = torch.nn.Conv2d(32, 64, 3)
    torch.nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    out.append({"name": "torch_Conv2d_kaiming_normal_fan_out", "weight": stats(conv.weight.detach().numpy()), "bias": stats(conv.bias.detach().numpy())})
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(256)
    dense.build((None, 512))
    out.append({"name": "keras_Dense_default", "weight": stats(dense.kernel.numpy()), "bias": stats(dense.bias.numpy())})
    kconv = keras.layers.Conv2D(64, 3, kernel_initializer="he_normal", bias_initializer="ones")
    kconv.build((None, 8, 8, 32))
    out.append({"name": "keras_Conv2D_he_normal_ones", "weight": stats(kconv.kernel.numpy()), "bias": stats(kconv.bias.numpy())})
    return out


def main():
    fans = [{"shape": s, "layout": l, "fans": f(s)} for s, l, f in FANS]
    try:
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(5))
        err = None
    except ValueError as e:
        err = str(e)
    doc = {
        "torch_version": torch.__version__,
        "keras_version": keras.__version__,
        "fans": fans,
        "fan_error_1d": err,
        "inits": [init_case(*c) for c in INITS],
        "layers": layer_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_init.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
