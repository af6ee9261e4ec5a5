"""SimpleRNNCell: the notes' equations, the shared checks, argument validation."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import SimpleRNNCell
from kerastoolkit.testing import check_finite_differences, run_layer_checks


def _sequences(batch=2, steps=5, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


def _notes_rnn(x, kernel, recurrent, bias, output_kernel, output_bias):
    """z_t = tanh(W_zz z_{t-1} + W_xz x_t + b_z), y_t = sigmoid(W_zy z_t + b_y)."""
    w_xz, w_zz, w_zy = kernel.T, recurrent.T, output_kernel.T
    z = np.zeros((x.shape[0], w_zz.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        z = np.tanh(z @ w_zz.T + x[:, t] @ w_xz.T + bias)
        outputs.append(1.0 / (1.0 + np.exp(-(z @ w_zy.T + output_bias))))
    return np.stack(outputs, axis=1), z


def test_cell_computes_the_notes_equations_with_an_output_map():
    x = _sequences()
    cell = SimpleRNNCell(4, output_units=2, output_activation="sigmoid")
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs, state = rnn(x.astype("float32"))
    # Non-zero biases, so that a bias left out of the step would show.
    cell.bias.assign(np.linspace(-0.5, 0.5, 4))
    cell.output_bias.assign([0.3, -0.2])
    outputs, state = rnn(x.astype("float32"))
    weights = [keras.ops.convert_to_numpy(w) for w in cell.weights]
    expected_outputs, expected_state = _notes_rnn(x, *weights)
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-5)
    np.testing.assert_allclose(state, expected_state, atol=1e-5)
    assert [w.name for w in cell.weights] == [
        "kernel",
        "recurrent_kernel",
        "bias",
        "output_kernel",
        "output_bias",
    ]


def test_without_output_map_or_bias_the_cell_emits_its_state():
    cell = SimpleRNNCell(3, use_bias=False, activation="relu")
    outputs, state = keras.layers.RNN(cell, return_state=True)(_sequences())
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel"]
    assert cell.output_size == cell.state_size == 3
    np.testing.assert_array_equal(outputs, state)
    assert np.all(keras.ops.convert_to_numpy(state) >= 0.0)


def test_shared_checks_inside_keras_rnn(tmp_path):
    cell = SimpleRNNCell(4, output_units=2, output_activation="tanh")
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    x = _sequences().astype("float32")
    run_layer_checks(
        layer,
        x,
        tmp_path,
        more_inputs=(_sequences(32, 5, seed=1).astype("float32"),),
    )


def test_cell_config_roundtrip():
    cell = SimpleRNNCell(
        5, activation="sigmoid", output_units=2, use_bias=False, name="notes_cell"
    )
    clone = SimpleRNNCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    assert clone.output_units == 2 and clone.use_bias is False


def test_finite_differences_float64():
    cell = SimpleRNNCell(
        3, output_units=2, output_activation="sigmoid", dtype="float64"
    )
    rnn = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    x = _sequences(2, 4, 3)
    rnn(x)
    check_finite_differences(
        lambda: keras.ops.sum(rnn(x) ** 2), cell.trainable_weights, rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": -3}, "`units` must be a positive integer, got -3"),
        ({"units": 2.5}, "`units` must be a positive integer, got 2.5"),
        ({"units": 4, "output_units": 0}, "`output_units` must be a positive"),
        ({"units": 4, "use_bias": "yes"}, "`use_bias` must be True or False"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimpleRNNCell(**kwargs)
