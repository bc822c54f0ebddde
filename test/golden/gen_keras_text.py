"""Golden fixtures for keras.layers.TextVectorization (issue 9).

Run: .venv-ref/bin/python test/golden/gen_keras_text.py  (writes test/golden/keras_text.json)

Reads the small committed corpus test/golden/text/corpus.txt (ten lines
written for this test: punctuation, capitals, non-ASCII letters, tabs and
repeated spaces, digits, and frequency ties) and records, for each case,
the layer's constructor arguments, get_vocabulary() after adapt(corpus),
and the outputs on the corpus and on a few unseen strings, as Keras 3
(TensorFlow backend) computes them.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "text", "corpus.txt"), encoding="utf-8") as f:
    CORPUS = [line.rstrip("\n") for line in f if line.strip()]
UNSEEN = ["The zebra sat.", "", "cat cat cat hat", "ÉCOLE école Ecole"]

CASES = [
    ("int_default", {}),
    ("int_max_tokens_seq", {"max_tokens": 12, "output_sequence_length": 5}),
    ("int_seq_long", {"output_sequence_length": 14}),
    ("int_lower", {"standardize": "lower"}),
    ("int_strip", {"standardize": "strip_punctuation"}),
    ("int_none_std", {"standardize": None, "max_tokens": 20}),
    ("int_character", {"split": "character", "max_tokens": 25, "output_sequence_length": 12}),
    ("int_ngrams2", {"ngrams": 2, "max_tokens": 30, "output_sequence_length": 10}),
    ("int_ngrams_tuple", {"ngrams": [1, 3], "output_sequence_length": 8}),
    ("multi_hot", {"output_mode": "multi_hot", "max_tokens": 15}),
    ("multi_hot_ngrams", {"output_mode": "multi_hot", "ngrams": 2, "max_tokens": 20}),
    ("count", {"output_mode": "count", "max_tokens": 15}),
    ("count_pad", {"output_mode": "count", "max_tokens": 80, "pad_to_max_tokens": True}),
    ("tf_idf", {"output_mode": "tf_idf", "max_tokens": 15}),
    ("tf_idf_all", {"output_mode": "tf_idf"}),
    ("int_vocab", {"vocabulary": ["cat", "dog", "the", "sat"], "output_sequence_length": 6}),
    ("multi_hot_vocab", {"vocabulary": ["cat", "dog", "the", "sat"], "output_mode": "multi_hot"}),
    ("tf_idf_vocab", {"vocabulary": ["cat", "dog", "the"], "idf_weights": [0.5, 1.25, 2.0], "output_mode": "tf_idf"}),
]


def kwargs_of(args):
    kw = dict(args)
    if isinstance(kw.get("ngrams"), list):
        kw["ngrams"] = tuple(kw["ngrams"])
    return kw


def main():
    out = {
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__},
        "corpus": CORPUS,
        "unseen": UNSEEN,
        "cases": [],
    }
    for name, args in CASES:
        layer = keras.layers.TextVectorization(**kwargs_of(args))
        if "vocabulary" not in args:
            layer.adapt(CORPUS)
        case = {"name": name, "args": args, "vocabulary": [str(t) for t in layer.get_vocabulary()]}
        for key, data in (("corpus", CORPUS), ("unseen", UNSEEN)):
            y = np.asarray(layer(tf.constant(data)))
            case[key] = y.tolist() if y.dtype.kind in "iu" else [[float(v) for v in row] for row in y]
            case[key + "_shape"] = list(y.shape)
        # Adapting from a batched dataset gives the same vocabulary.
        if "vocabulary" not in args:
            layer2 = keras.layers.TextVectorization(**kwargs_of(args))
            layer2.adapt(tf.data.Dataset.from_tensor_slices(CORPUS).batch(3))
            assert layer2.get_vocabulary() == layer.get_vocabulary(), name
        out["cases"].append(case)
    # split=None: each string is one token (Keras's column input [batch, 1]).
    layer = keras.layers.TextVectorization(split=None, standardize="lower")
    column = [["Red"], ["green"], ["RED"], ["blue"], ["red"], ["Green"]]
    layer.adapt(tf.constant(column))
    y = np.asarray(layer(tf.constant([["red"], ["Blue"], ["purple"]])))
    out["split_none"] = {"train": column, "vocabulary": [str(t) for t in layer.get_vocabulary()], "test": [["red"], ["Blue"], ["purple"]], "output": y.tolist(), "shape": list(y.shape)}
    tmp = os.path.join(HERE, "keras_text.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, os.path.join(HERE, "keras_text.json"))


if __name__ == "__main__":
    main()
