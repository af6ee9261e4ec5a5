"""The notes' explicit BPTT recursion equals automatic differentiation (float64)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.layers import SimpleRNNCell
from kerastoolkit.training.bptt import bptt_gradients

TOLERANCE = {"rtol": 1e-8, "atol": 1e-8}
BATCH, STEPS, FEATURES, UNITS = 3, 7, 2, 4


def _data(output_size, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, FEATURES))
    y = rng.standard_normal((BATCH, STEPS, output_size))
    return x, y


def _cell(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    cell = SimpleRNNCell(UNITS, dtype="float64", **kwargs)
    cell.build((None, FEATURES))
    # Non-zero biases, so that their gradients differ from a bias-free network.
    rng = np.random.default_rng(seed + 1)
    for weight in cell.weights:
        if "bias" in weight.name:
            weight.assign(0.3 * rng.standard_normal(weight.shape))
    return cell


def _autodiff(cell, x, y, truncation=None, initial_state=None):
    """tf.GradientTape of the squared error; truncation = stop_gradient k back.

    With truncation k, the loss at step t is computed from
    `stop_gradient(z_{t-k})` through the last k steps, the definition of
    truncated BPTT in `bptt_gradients`.
    """
    z0 = np.zeros((BATCH, UNITS)) if initial_state is None else initial_state
    with tf.GradientTape() as tape:
        states = [tf.constant(z0)]
        for t in range(STEPS):
            _, (z,) = cell(x[:, t], [states[-1]])
            states.append(z)
        loss = 0.0
        for t in range(STEPS):
            start = 0 if truncation is None else max(0, t - truncation + 1)
            z = tf.stop_gradient(states[start])
            for s in range(start, t + 1):
                output, (z,) = cell(x[:, s], [z])
            loss += tf.reduce_sum((y[:, t] - output) ** 2)
    weights = cell.trainable_weights
    gradients = tape.gradient(loss, weights)
    return float(loss), {
        w.name: g.numpy() for w, g in zip(weights, gradients, strict=True)
    }


def _assert_same(ours, reference):
    assert list(ours) == list(reference)
    for name in reference:
        np.testing.assert_allclose(ours[name], reference[name], **TOLERANCE)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_units": 2, "output_activation": "sigmoid"},
        {"output_units": 3, "activation": "sigmoid"},
        {},
        {"use_bias": False, "output_units": 2, "output_activation": "tanh"},
        {"activation": "relu", "output_units": 1},
    ],
    ids=["tanh_sigmoid", "sigmoid_linear", "no_output_map", "no_bias", "relu"],
)
def test_full_bptt_equals_autodiff(kwargs):
    cell = _cell(**kwargs)
    x, y = _data(cell.output_size)
    loss, ours = bptt_gradients(cell, x, y)
    reference_loss, reference = _autodiff(cell, x, y)
    assert loss == pytest.approx(reference_loss, rel=1e-12)
    _assert_same(ours, reference)


def test_full_bptt_equals_autodiff_of_the_keras_rnn_layer():
    # The same gradient as differentiating the layer a model would train.
    cell = _cell(output_units=2)
    x, y = _data(2)
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((y - rnn(x)) ** 2)
    reference = tape.gradient(loss, cell.trainable_weights)
    _, ours = bptt_gradients(cell, x, y)
    for weight, gradient in zip(cell.trainable_weights, reference, strict=True):
        np.testing.assert_allclose(ours[weight.name], gradient.numpy(), **TOLERANCE)


def test_initial_state_is_used():
    cell = _cell(output_units=2)
    x, y = _data(2)
    z0 = np.random.default_rng(5).standard_normal((BATCH, UNITS))
    _, ours = bptt_gradients(cell, x, y, initial_state=z0)
    _, reference = _autodiff(cell, x, y, initial_state=z0)
    _assert_same(ours, reference)
    _, from_zero = bptt_gradients(cell, x, y)
    assert not np.allclose(ours["recurrent_kernel"], from_zero["recurrent_kernel"])


@pytest.mark.parametrize("truncation", [1, 2, 3, 6])
def test_truncated_bptt_equals_autodiff_with_stop_gradient(truncation):
    cell = _cell(output_units=2, output_activation="tanh")
    x, y = _data(2)
    loss, ours = bptt_gradients(cell, x, y, truncation=truncation)
    reference_loss, reference = _autodiff(cell, x, y, truncation=truncation)
    assert loss == pytest.approx(reference_loss, rel=1e-12)
    _assert_same(ours, reference)
    # A window shorter than the sequence really drops long-range terms (of
    # `kernel`: for `recurrent_kernel` the oldest term holds z_0 = 0) ...
    _, full = bptt_gradients(cell, x, y)
    assert np.max(np.abs(ours["kernel"] - full["kernel"])) > 1e-6
    # ... but the output layer needs no recursion and is unaffected.
    np.testing.assert_allclose(ours["output_kernel"], full["output_kernel"], rtol=1e-12)


@pytest.mark.parametrize("truncation", [STEPS, STEPS + 5])
def test_truncation_at_least_the_length_is_full_bptt(truncation):
    cell = _cell(output_units=2)
    x, y = _data(2)
    _, truncated = bptt_gradients(cell, x, y, truncation=truncation)
    _, full = bptt_gradients(cell, x, y)
    _assert_same(truncated, full)


def test_truncation_one_keeps_only_the_direct_term():
    # S_t^(1) = g_z'(in_{z,t}) z_{t-1}: no W_zz inside the sensitivity at all.
    cell = _cell()
    x, y = _data(UNITS)
    _, ours = bptt_gradients(cell, x, y, truncation=1)
    kernel, recurrent, bias = (keras.ops.convert_to_numpy(w) for w in cell.weights)
    z, expected = np.zeros((BATCH, UNITS)), np.zeros((UNITS, UNITS))
    for t in range(STEPS):
        z_next = np.tanh(x[:, t] @ kernel + z @ recurrent + bias)
        error = -2.0 * (y[:, t] - z_next)
        expected += z.T @ (error * (1.0 - z_next**2))
        z = z_next
    np.testing.assert_allclose(ours["recurrent_kernel"], expected, **TOLERANCE)


def test_works_for_keras_simple_rnn_cell():
    keras.utils.set_random_seed(0)
    cell = keras.layers.SimpleRNNCell(UNITS, dtype="float64")
    cell.build((None, FEATURES))
    x, y = _data(UNITS)
    _, ours = bptt_gradients(cell, x, y)
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((y - rnn(x)) ** 2)
    reference = tape.gradient(loss, cell.trainable_weights)
    for weight, gradient in zip(cell.trainable_weights, reference, strict=True):
        np.testing.assert_allclose(ours[weight.name], gradient.numpy(), **TOLERANCE)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c, x, y: bptt_gradients(c, x, y, truncation=0), "`truncation`"),
        (lambda c, x, y: bptt_gradients(c, x, y[:, :, :1]), "`targets` must have"),
        (lambda c, x, y: bptt_gradients(c, x[:, :, :1], y), "features"),
        (lambda c, x, y: bptt_gradients(c, x[0], y), "`inputs` must have shape"),
    ],
    ids=["truncation", "targets", "features", "rank"],
)
def test_bad_arguments_are_rejected(call, message):
    cell = _cell(output_units=2)
    x, y = _data(2)
    with pytest.raises(ValueError, match=message):
        call(cell, x, y)


def test_unsupported_activation_is_named():
    cell = _cell(activation="softplus")
    x, y = _data(UNITS)
    with pytest.raises(ValueError, match="`activation` must be one of"):
        bptt_gradients(cell, x, y)
