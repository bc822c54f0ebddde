"""Golden numbers for the ported Keras guides (examples/keras-guides/).

Runs the deterministic parts of three keras-io guides in Keras 3 (TensorFlow
backend): "Making new layers and models via subclassing", "Customizing what
happens in fit() with TensorFlow" and "Writing your own callbacks". Where the
guide starts from random weights or shuffles, the same code runs here from
weights and data drawn from a seeded NumPy generator and without shuffling,
so Duet can start from the same numbers (keras_guides.test.ts).

    .venv-ref/bin/python test/golden/gen_keras_guides.py   # writes keras_guides.json
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops

from keras_common import rng, t, write_fixture


# --------------------------------------------------------------- subclassing
class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class Linear(keras.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.dense(inputs)


def subclassing():
    r = rng(1)
    my_sum = ComputeSum(2)
    x = ops.ones((2, 2))
    sums = [np.array(my_sum(x)).tolist(), np.array(my_sum(x)).tolist()]
    mlp = MLPBlock()
    mlp(ops.ones((3, 64)))
    layer = OuterLayer()
    lengths = [len(layer.losses)]
    act_in = r.standard_normal((4, 3)).astype(np.float32)
    layer(act_in)
    lengths.append(len(layer.losses))
    layer(act_in)
    lengths.append(len(layer.losses))
    activity = float(layer.losses[0])
    reg = OuterLayerWithKernelRegularizer()
    reg(ops.zeros((1, 1)))
    kernel = r.standard_normal((1, 32)).astype(np.float32)
    reg.dense.kernel.assign(kernel)
    # A model trained only by add_loss (compile without a loss), from fixed data.
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam")
    xa = r.random((2, 3)).astype(np.float32)
    h = model.fit(xa, r.random((2, 3)).astype(np.float32), verbose=0)
    return {
        'sums': sums,
        'counts': {'weights': len(my_sum.weights), 'nonTrainableWeights': len(my_sum.non_trainable_weights),
                   'trainableWeights': len(my_sum.trainable_weights), 'mlpWeights': len(mlp.weights),
                   'mlpTrainableWeights': len(mlp.trainable_weights)},
        'lossLengths': lengths,
        'activityInput': t(act_in), 'activityLoss': activity,
        'kernel': t(kernel), 'kernelRegularization': float(reg.losses[0]),
        'addLossOnly': {'x': t(xa), 'loss': h.history['loss'][0]},
    }


# --------------------------------------------------------- custom train step
class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class LowLevelCustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class WeightedCustomModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


class EvalCustomModel(keras.Model):
    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def custom_train_step():
    r = rng(2)
    n = 200
    kernel = (r.standard_normal((32, 1)) * 0.2).astype(np.float32)
    bias = np.zeros((1,), np.float32)
    x = r.random((n, 32)).astype(np.float32)
    y = r.random((n, 1)).astype(np.float32)
    sw = r.random((n, 1)).astype(np.float32)

    def make(cls):
        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        m = cls(inputs, outputs)
        m.layers[1].set_weights([kernel, bias])
        return m

    out = {'kernel': t(kernel), 'x': t(x), 'y': t(y), 'sw': t(sw)}
    m = make(CustomModel)
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    out['simple'] = m.fit(x, y, epochs=3, shuffle=False, verbose=0).history
    m = make(LowLevelCustomModel)
    m.compile(optimizer="adam")
    out['lowLevel'] = m.fit(x, y, epochs=5, shuffle=False, verbose=0).history
    m = make(WeightedCustomModel)
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    out['weighted'] = m.fit(x, y, sample_weight=sw, epochs=3, shuffle=False, verbose=0).history
    m = make(EvalCustomModel)
    m.compile(loss="mse", metrics=["mae"])
    out['evaluate'] = m.evaluate(x, y, verbose=0)
    return out


# ------------------------------------------------------------------ callbacks
def callbacks():
    lines = []

    def get_model():
        model = keras.Sequential()
        model.add(keras.layers.Dense(1))
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error", metrics=["mean_absolute_error"])
        return model

    class CustomCallback(keras.callbacks.Callback):
        pass

    def hook(name, fmt, has_index):
        def f(self, *args, logs=None):
            if not has_index and args:
                logs = args[0]
            if has_index and len(args) > 1:
                logs = args[1]
            keys = list(logs.keys())
            lines.append(fmt.format(*(args[:1] if has_index else ()), keys=keys))
        setattr(CustomCallback, name, f)

    for name, fmt, idx in [
        ('on_train_begin', 'Starting training; got log keys: {keys}', False),
        ('on_train_end', 'Stop training; got log keys: {keys}', False),
        ('on_epoch_begin', 'Start epoch {} of training; got log keys: {keys}', True),
        ('on_epoch_end', 'End epoch {} of training; got log keys: {keys}', True),
        ('on_test_begin', 'Start testing; got log keys: {keys}', False),
        ('on_test_end', 'Stop testing; got log keys: {keys}', False),
        ('on_predict_begin', 'Start predicting; got log keys: {keys}', False),
        ('on_predict_end', 'Stop predicting; got log keys: {keys}', False),
        ('on_train_batch_begin', '...Training: start of batch {}; got log keys: {keys}', True),
        ('on_train_batch_end', '...Training: end of batch {}; got log keys: {keys}', True),
        ('on_test_batch_begin', '...Evaluating: start of batch {}; got log keys: {keys}', True),
        ('on_test_batch_end', '...Evaluating: end of batch {}; got log keys: {keys}', True),
        ('on_predict_batch_begin', '...Predicting: start of batch {}; got log keys: {keys}', True),
        ('on_predict_batch_end', '...Predicting: end of batch {}; got log keys: {keys}', True),
    ]:
        hook(name, fmt, idx)

    r = rng(3)
    x_train = r.random((1000, 784)).astype(np.float32)
    y_train = r.integers(0, 10, (1000,)).astype(np.float32)
    model = get_model()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5, callbacks=[CustomCallback()])
    model.evaluate(x_train, y_train, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    model.predict(x_train, batch_size=128, verbose=0, callbacks=[CustomCallback()])

    # The learning rates the guide's scheduler sets, epoch by epoch.
    LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]

    def lr_schedule(epoch, lr):
        if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
            return lr
        for i in range(len(LR_SCHEDULE)):
            if epoch == LR_SCHEDULE[i][0]:
                return LR_SCHEDULE[i][1]
        return lr

    lrs = []

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            scheduled_lr = lr_schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            lrs.append(float(np.array(self.model.optimizer.learning_rate)))

    model = get_model()
    model.fit(x_train[:320], y_train[:320], batch_size=64, epochs=15, verbose=0, callbacks=[CustomLearningRateScheduler()])
    return {'keyLines': lines, 'learningRates': lrs}


if __name__ == '__main__':
    keras.utils.set_random_seed(0)
    write_fixture('keras_guides.json', {'subclassing': subclassing(), 'customTrainStep': custom_train_step(), 'callbacks': callbacks()})
