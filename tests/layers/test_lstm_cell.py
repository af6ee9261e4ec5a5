"""LSTMCell: the notes' gates, the weight layout, the shared checks, validation."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import LSTMCell
from kerastoolkit.testing import check_finite_differences, run_layer_checks


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _notes_lstm(x, kernel, recurrent, bias):
    """The notes' update equations, with each gate's own matrices.

    The fused Keras weights hold the gates in the column order i, f, c, o, and
    act on row vectors, so `W_xf = kernel[:, units:2 units].T` and so on.
    """
    units = recurrent.shape[0]

    def gate(index):
        columns = slice(index * units, (index + 1) * units)
        return kernel[:, columns].T, recurrent[:, columns].T, bias[columns]

    (w_xi, w_zi, b_i), (w_xf, w_zf, b_f) = gate(0), gate(1)
    (w_xc, w_zc, b_c), (w_xo, w_zo, b_o) = gate(2), gate(3)
    z = c = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        f = _sigmoid(x_t @ w_xf.T + z @ w_zf.T + b_f)
        i = _sigmoid(x_t @ w_xi.T + z @ w_zi.T + b_i)
        o = _sigmoid(x_t @ w_xo.T + z @ w_zo.T + b_o)
        c = c * f + i * np.tanh(x_t @ w_xc.T + z @ w_zc.T + b_c)
        z = np.tanh(c) * o
        outputs.append(z)
    return np.stack(outputs, axis=1), z, c


def _sequences(batch=2, steps=5, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


def test_cell_computes_the_notes_gates():
    x = _sequences()
    cell = LSTMCell(4)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    rnn(x.astype("float32"))
    cell.bias.assign(np.random.default_rng(1).standard_normal(16))
    outputs, z, c = rnn(x.astype("float32"))
    weights = [keras.ops.convert_to_numpy(w) for w in cell.weights]
    expected = _notes_lstm(x, *weights)
    for actual, wanted in zip((outputs, z, c), expected, strict=True):
        np.testing.assert_allclose(actual, wanted, atol=1e-5)


def test_forget_gate_bias_starts_at_one():
    cell = LSTMCell(3)
    cell.build((None, 2))
    bias = keras.ops.convert_to_numpy(cell.bias)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = LSTMCell(3, unit_forget_bias=False, bias_initializer="ones")
    plain.build((None, 2))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(plain.bias), 1.0)


def test_without_bias_there_is_no_bias_weight():
    cell = LSTMCell(3, use_bias=False)
    keras.layers.RNN(cell)(_sequences())
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel"]


def test_shared_checks_inside_keras_rnn(tmp_path):
    layer = keras.layers.RNN(LSTMCell(4), return_sequences=True, return_state=True)
    run_layer_checks(
        layer,
        _sequences().astype("float32"),
        tmp_path,
        more_inputs=(_sequences(32, 7, seed=1).astype("float32"),),
    )


def test_cell_config_roundtrip():
    cell = LSTMCell(5, recurrent_activation="hard_sigmoid", unit_forget_bias=False)
    clone = LSTMCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    assert clone.unit_forget_bias is False


def test_finite_differences_float64():
    cell = LSTMCell(3, dtype="float64")
    rnn = keras.layers.RNN(cell, return_state=True, dtype="float64")
    x = _sequences(2, 4, 2)
    rnn(x)

    def loss():
        output, _, c = rnn(x)
        return keras.ops.sum(output**2) + keras.ops.sum(keras.ops.sin(c))

    check_finite_differences(loss, cell.trainable_weights, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": -3}, "`units` must be a positive integer, got -3"),
        ({"units": True}, "`units` must be a positive integer, got True"),
        ({"units": 4, "unit_forget_bias": 1}, "`unit_forget_bias` must be True"),
        ({"units": 4, "activation": "no_such_activation"}, "no_such_activation"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LSTMCell(**kwargs)
