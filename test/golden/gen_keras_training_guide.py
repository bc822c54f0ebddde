"""Golden numbers for the port of Keras's guide "Training & evaluation with
the built-in methods" (examples/keras-guides/training-with-built-in-methods.ts).

The guide's models, losses, metric, weighting and multi-output compiles run
here in Keras 3 (TensorFlow backend) from weights and data that both sides
compute from the same integer pattern (`pattern` below, mirrored in
keras_training_guide.test.ts), unshuffled, so only the results are stored.

    .venv-ref/bin/python test/golden/gen_keras_training_guide.py   # writes keras_training_guide.json
"""
import numpy as np
import keras
from keras import layers, ops

from keras_common import write_fixture


def pattern(shape, seed, lo=-1.0, hi=1.0):
    """Values in [lo, hi] from integers: exact in float32 on both sides."""
    n = int(np.prod(shape))
    k = np.arange(n, dtype=np.int64)
    u = ((k * 7919 + seed * 104729) % 2003) / 2002.0
    return (lo + (hi - lo) * u).astype(np.float32).reshape(shape)


def labels(n, seed, classes=10):
    return ((np.arange(n, dtype=np.int64) * 7 + seed * 3 + (np.arange(n) // 10)) % classes).astype(np.float32)


def set_pattern_weights(model, seed):
    """Every weight of the model, in order, from the pattern (scaled down: +-0.1)."""
    model.set_weights([pattern(w.shape, seed + i, -0.1, 0.1) for i, w in enumerate(model.get_weights())])


# ------------------------------------------------------ the guide's code
def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        return ops.softmax(logits)


def multi_io_model():
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def hist(h):
    return {k: [float(v) for v in vs] for k, vs in h.history.items()}


def main():
    n, held = 256, 64
    x_train = pattern((n, 784), 1, 0.0, 1.0)
    y_train = labels(n, 1)
    x_val = pattern((held, 784), 2, 0.0, 1.0)
    y_val = labels(held, 2)
    out = {}

    # API overview: fit with validation data, evaluate, predict.
    model = get_uncompiled_model()
    out['weightShapes'] = [list(w.shape) for w in model.get_weights()]
    out['multiWeightShapes'] = [list(w.shape) for w in multi_io_model().get_weights()]
    set_pattern_weights(model, 10)
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[keras.metrics.SparseCategoricalAccuracy()])
    out['overview'] = hist(model.fit(x_train, y_train, batch_size=64, epochs=2, validation_data=(x_val, y_val), shuffle=False, verbose=0))
    out['overviewEvaluate'] = [float(v) for v in model.evaluate(x_val, y_val, batch_size=128, verbose=0)]

    def fresh(compile_args, seed=10):
        m = get_uncompiled_model()
        set_pattern_weights(m, seed)
        m.compile(**compile_args)
        return m

    y_one_hot = ops.one_hot(y_train, num_classes=10)
    out['customLossFunction'] = hist(fresh(dict(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)).fit(x_train, y_one_hot, batch_size=64, epochs=1, shuffle=False, verbose=0))
    out['customLossClass'] = hist(fresh(dict(optimizer=keras.optimizers.Adam(), loss=CustomMSE())).fit(x_train, y_one_hot, batch_size=64, epochs=1, shuffle=False, verbose=0))
    out['customMetric'] = hist(fresh(dict(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[CategoricalTruePositives()])).fit(
        x_train, y_train, batch_size=64, epochs=2, shuffle=False, verbose=0))

    # add_loss in a layer.
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    set_pattern_weights(model, 10)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    out['activityRegularization'] = hist(model.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False, verbose=0))

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    set_pattern_weights(model, 20)
    model.compile(optimizer="adam")
    data = {"inputs": pattern((3, 3), 3, 0.0, 1.0), "targets": pattern((3, 10), 4, 0.0, 1.0)}
    out['logisticEndpoint'] = hist(model.fit(data, shuffle=False, verbose=0))

    def compiled(seed=10):
        m = get_compiled_model()
        set_pattern_weights(m, seed)
        return m

    out['validationSplit'] = hist(compiled().fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, shuffle=False, verbose=0))

    class_weight = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0}
    out['classWeight'] = hist(compiled().fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1, shuffle=False, verbose=0))
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    out['sampleWeight'] = hist(compiled().fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1, shuffle=False, verbose=0))

    # Multi-input, multi-output: each compile of the guide, on a new model with
    # the same weights (Keras 3.15 keeps updating and logging the metrics of an
    # earlier compile of the same model; Duet starts afresh at each compile).
    # Run eagerly: in a traced TensorFlow step the batch dimension is None, so
    # the `<output>_loss` trackers (weighted by `y_pred.shape[0]`) become plain
    # means over batches and miss the last, smaller batch's size; eagerly (and
    # on the JAX and torch backends) they weigh each batch by its size, as
    # `loss` does and as Duet does.
    def multi_model():
        m = multi_io_model()
        m.set_weights([pattern(w.shape, 30 + i, -0.3, 0.3) for i, w in enumerate(m.get_weights())])
        return m

    img_data = pattern((100, 32, 32, 3), 5, 0.0, 1.0)
    ts_data = pattern((100, 20, 10), 6, 0.0, 1.0)
    score_targets = pattern((100, 1), 7, 0.0, 1.0)
    class_targets = pattern((100, 5), 8, 0.0, 1.0)
    mse, cce = keras.losses.MeanSquaredError, keras.losses.CategoricalCrossentropy
    compiles = {
        'lossWeights': dict(
            loss={"score_output": mse(), "class_output": cce()},
            metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()], "class_output": [keras.metrics.CategoricalAccuracy()]},
            loss_weights={"score_output": 2.0, "class_output": 1.0}),
        'listMetrics': dict(
            loss=[mse(), cce()],
            metrics=[[keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()], [keras.metrics.CategoricalAccuracy()]]),
        'listLossWithNone': dict(loss=[None, cce()]),
        'multiLists': dict(loss=[mse(), cce()]),
    }
    for name, args in compiles.items():
        model = multi_model()
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), run_eagerly=True, **args)
        out[name] = hist(model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1, shuffle=False, verbose=0))
    model = multi_model()
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[mse(), cce()], run_eagerly=True)
    out['multiDicts'] = hist(model.fit({"img_input": img_data, "ts_input": ts_data}, {"score_output": score_targets, "class_output": class_targets},
                                       batch_size=32, epochs=1, shuffle=False, verbose=0))

    lr_schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)
    steps = [0, 1, 99999, 100000, 250000, 1000000]
    out['schedule'] = {'steps': steps, 'rates': [float(lr_schedule(s)) for s in steps]}
    return out


if __name__ == '__main__':
    keras.utils.set_random_seed(0)
    write_fixture('keras_training_guide.json', main())
