"""The SimpleRNN layer: shared checks, output map, attributes and config."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import SimpleRNN, SimpleRNNCell
from kerastoolkit.testing import run_layer_checks


def _sequences(batch=2, steps=5, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, steps, features)).astype("float32")


@pytest.mark.parametrize(
    "options",
    [
        {"return_sequences": True, "output_units": 2, "output_activation": "tanh"},
        {"return_state": True},
    ],
    ids=["output_map_sequences", "states"],
)
def test_shared_checks(tmp_path, options):
    run_layer_checks(
        SimpleRNN(4, **options),
        _sequences(),
        tmp_path,
        more_inputs=(_sequences(32, 9, seed=1),),
    )


def test_output_map_shapes_and_state():
    layer = SimpleRNN(6, output_units=2, return_sequences=True, return_state=True)
    outputs, state = layer(_sequences())
    assert outputs.shape == (2, 5, 2) and state.shape == (2, 6)
    assert isinstance(layer.cell, SimpleRNNCell)
    assert layer.output_units == 2 and layer.units == 6
    # The last output is the output map applied to the last state.
    cell = layer.cell
    expected = keras.ops.matmul(state, cell.output_kernel) + cell.output_bias
    np.testing.assert_allclose(outputs[:, -1], expected, atol=1e-5)


def test_config_has_the_cell_arguments_not_the_cell():
    config = SimpleRNN(3, output_units=1, go_backwards=True).get_config()
    assert "cell" not in config
    assert config["output_units"] == 1 and config["go_backwards"] is True
    assert SimpleRNN.from_config(config).get_config() == config


def test_bad_output_units_are_rejected():
    with pytest.raises(ValueError, match="`output_units` must be a positive integer"):
        SimpleRNN(3, output_units=-1)
