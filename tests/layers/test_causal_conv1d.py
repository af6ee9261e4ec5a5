"""CausalConv1D: the shared checks, Keras's causal Conv1D, causality, the step form."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers.causal_conv1d import CausalConv1D
from kerastoolkit.testing import run_layer_checks


def _sequences(batch=2, steps=9, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, steps, channels)).astype("float32")


def test_shared_checks(tmp_path):
    layer = CausalConv1D(4, kernel_size=3, dilation_rate=2, bias_initializer="ones")
    run_layer_checks(layer, _sequences(), tmp_path, more_inputs=[_sequences(5, 4)])


@pytest.mark.parametrize(
    "kernel_size, dilation_rate, use_bias", [(2, 1, True), (3, 4, True), (1, 1, False)]
)
def test_equals_keras_causal_conv1d(kernel_size, dilation_rate, use_bias):
    x = _sequences(steps=13)
    layer = CausalConv1D(
        5,
        kernel_size,
        dilation_rate=dilation_rate,
        use_bias=use_bias,
        bias_initializer="random_normal",
    )
    reference = keras.layers.Conv1D(
        5, kernel_size, dilation_rate=dilation_rate, padding="causal", use_bias=use_bias
    )
    ours = layer(x)
    reference(x)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(ours, reference(x), atol=1e-6)


def test_output_never_depends_on_later_inputs():
    layer = CausalConv1D(3, kernel_size=2, dilation_rate=3)
    x = _sequences(steps=12)
    changed = x.copy()
    changed[:, 6] += 1.0
    difference = np.abs(np.asarray(layer(changed)) - np.asarray(layer(x))).max(
        axis=(0, 2)
    )
    assert layer.receptive_field == 4
    np.testing.assert_array_equal(difference[:6], 0.0)
    # x_6 reaches y_6 (tap 1) and y_9 (tap 0), nothing else.
    assert difference[6] > 0 and difference[9] > 0
    np.testing.assert_array_equal(difference[[7, 8, 10, 11]], 0.0)


@pytest.mark.parametrize("prompt_length", [0, 2, 7])
def test_steps_from_the_queue_equal_the_call(prompt_length):
    layer = CausalConv1D(4, kernel_size=3, dilation_rate=2, bias_initializer="ones")
    x = _sequences(steps=10)
    expected = np.asarray(layer(x))
    queue = layer.initial_queue(x[:, :prompt_length])
    assert tuple(queue.shape) == (2, layer.queue_length, 3)
    for t in range(prompt_length, 10):
        output, queue = layer.step(x[:, t], queue)
        np.testing.assert_allclose(output, expected[:, t], atol=1e-6)


def test_kernel_size_one_has_an_empty_queue():
    layer = CausalConv1D(2, kernel_size=1)
    x = _sequences()
    queue = layer.initial_queue(x)
    output, queue = layer.step(x[:, 3], queue)
    assert tuple(queue.shape) == (2, 0, 3)
    np.testing.assert_allclose(output, np.asarray(layer(x))[:, 3], atol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`dilation_rate` must be a positive integer"):
        CausalConv1D(2, 2, dilation_rate=0)
    with pytest.raises(ValueError, match="`filters` must be a positive integer"):
        CausalConv1D(-1, 2)
