"""The shared test helpers pass on sound layers and fail on broken ones."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.testing import (
    check_config_roundtrip,
    check_finite_differences,
    check_gradients,
    check_keras_saving,
    check_saved_model_export,
    run_layer_checks,
    serving_process,
)


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class Affine(keras.layers.Layer):
    """y = x W + b, with a configurable activation."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel"
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias", initializer="random_normal"
        )

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=keras.activations.serialize(self.activation),
        )
        return config


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class ForgetfulAffine(Affine):
    """Broken on purpose: get_config drops `activation`."""

    def get_config(self):
        config = super().get_config()
        del config["activation"]
        return config


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class GraphOnlyShift(keras.layers.Layer):
    """Broken on purpose: traced (exported) graphs add 1, eager calls do not."""

    def call(self, inputs):
        if tf.executing_eagerly():
            return inputs
        return inputs + 1.0


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class DeadWeight(Affine):
    """Broken on purpose: a weight that never reaches the output."""

    def build(self, input_shape):
        super().build(input_shape)
        self.unused = self.add_weight(shape=(2,), name="unused")


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class SequenceSum(keras.layers.Layer):
    """Sums over time: works for any sequence length."""

    def call(self, inputs):
        return keras.ops.sum(inputs, axis=1)


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def test_run_layer_checks_passes_on_a_sound_layer(x, tmp_path):
    run_layer_checks(Affine(5, activation="tanh"), x, tmp_path)


def test_config_roundtrip_fails_when_get_config_drops_an_argument(x):
    with pytest.raises(AssertionError, match="activation"):
        check_config_roundtrip(ForgetfulAffine(5, activation="tanh"), x)


def test_keras_saving_fails_when_config_drops_an_argument(x, tmp_path):
    with pytest.raises(AssertionError, match="reload outputs"):
        check_keras_saving(ForgetfulAffine(5, activation="tanh"), x, tmp_path)


def test_export_check_fails_when_export_changes_outputs(x, tmp_path):
    with pytest.raises(AssertionError, match="served without kerastoolkit"):
        check_saved_model_export(GraphOnlyShift(), x, tmp_path)


def test_export_check_serves_two_lengths_and_batch_sizes(tmp_path):
    rng = np.random.default_rng(1)
    short = rng.standard_normal((2, 3, 4)).astype("float32")
    long = rng.standard_normal((5, 7, 4)).astype("float32")
    export_dir = check_saved_model_export(
        SequenceSum(), short, tmp_path, more_inputs=[long]
    )
    served = serving_process().serve(export_dir, long)
    np.testing.assert_allclose(served[0], long.sum(axis=1), rtol=1e-6)


def test_export_check_handles_two_inputs_and_two_outputs(tmp_path):
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    model = keras.Model(
        [a, b], [keras.layers.Dense(4)(a), keras.layers.Dense(1)(b) * 2.0]
    )
    rng = np.random.default_rng(2)
    inputs = [
        rng.standard_normal((4, 3)).astype("float32"),
        rng.standard_normal((4, 2)).astype("float32"),
    ]
    check_saved_model_export(model, inputs, tmp_path)


def test_export_check_needs_a_batch_of_two(tmp_path):
    with pytest.raises(ValueError, match="at least 2"):
        check_saved_model_export(Affine(2), np.ones((1, 3), "float32"), tmp_path)


def test_serving_process_never_imports_kerastoolkit(tmp_path):
    # The serving process reports whether kerastoolkit was imported; the
    # export check raises if so. Here we verify the report itself.
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.export(str(tmp_path / "m"), format="tf_saved_model", verbose=False)
    server = serving_process()
    out = server.serve(tmp_path / "m", np.ones((3, 2), "float32"))
    assert out[0].shape == (3, 1)


def test_serving_failure_is_reported_not_fatal(tmp_path):
    server = serving_process()
    with pytest.raises(AssertionError, match="failed in the TensorFlow-only"):
        server.serve(tmp_path / "does-not-exist", np.ones((1, 2), "float32"))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.export(str(tmp_path / "ok"), format="tf_saved_model", verbose=False)
    assert server.serve(tmp_path / "ok", np.ones((2, 2), "float32"))[0].shape == (2, 1)


def test_gradient_check_fails_on_an_unconnected_weight(x):
    with pytest.raises(AssertionError, match="unused"):
        check_gradients(DeadWeight(3), x)


def test_gradient_check_fails_on_an_all_zero_gradient(x):
    layer = Affine(3, activation="relu")
    layer.build(x.shape)
    layer.bias.assign(-100.0 * np.ones(3))  # relu is dead everywhere
    with pytest.raises(AssertionError, match="all-zero"):
        check_gradients(layer, x)


def test_finite_differences_agree_on_correct_maths():
    w = tf.Variable(np.array([[0.3, -0.2], [0.1, 0.5]]), dtype=tf.float64)
    x = tf.constant([[1.0, 2.0]], dtype=tf.float64)
    check_finite_differences(lambda: tf.reduce_sum(tf.tanh(x @ w) ** 2), [w])


def test_finite_differences_catch_a_wrong_custom_gradient():
    @tf.custom_gradient
    def bad_square(v):
        return v * v, lambda dy: dy * v  # should be 2 v

    w = tf.Variable(np.array([0.7, -1.3]), dtype=tf.float64)
    with pytest.raises(AssertionError, match="finite differences"):
        check_finite_differences(lambda: tf.reduce_sum(bad_square(w)), [w])


def test_finite_differences_require_float64():
    w = tf.Variable(np.ones(2, "float32"))
    with pytest.raises(ValueError, match="float64"):
        check_finite_differences(lambda: tf.reduce_sum(w), [w])


def test_a_dead_serving_process_is_reported_with_its_stderr(tmp_path):
    from kerastoolkit.testing import ServingProcess

    server = ServingProcess()
    server._process.kill()
    server._process.wait()
    with pytest.raises(RuntimeError, match="serving process exited"):
        server.serve(tmp_path, np.ones((1, 2), "float32"))
    server.close()


def test_gradient_check_is_vacuous_for_a_layer_without_weights(x):
    assert check_gradients(keras.layers.Activation("tanh"), x) == {}
