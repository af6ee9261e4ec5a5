"""The LSTM layer: shared checks, attributes and config, export, training."""

import keras
import numpy as np
import pytest
from tensorflow.core.protobuf import saved_model_pb2

from kerastoolkit.layers import LSTM, LSTMCell
from kerastoolkit.testing import check_config_roundtrip, run_layer_checks


def _sequences(batch=2, steps=5, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, steps, features)).astype("float32")


@pytest.mark.parametrize(
    "options",
    [{"return_sequences": True}, {"return_state": True, "go_backwards": True}],
    ids=["sequences", "states_backwards"],
)
def test_shared_checks(tmp_path, options):
    # The export check serves batches of 1, 2 and 32 and a second length (9).
    run_layer_checks(
        LSTM(4, **options),
        _sequences(),
        tmp_path,
        more_inputs=(_sequences(32, 9, seed=1),),
    )


def test_bidirectional_config_and_saving(tmp_path):
    layer = keras.layers.Bidirectional(LSTM(3, return_sequences=True))
    run_layer_checks(layer, _sequences(), tmp_path, export=False)


def test_layer_exposes_the_cell_arguments():
    layer = LSTM(7, recurrent_activation="hard_sigmoid", unit_forget_bias=False)
    assert isinstance(layer.cell, LSTMCell)
    assert layer.units == 7
    assert layer.recurrent_activation is keras.activations.hard_sigmoid
    assert layer.unit_forget_bias is False
    config = layer.get_config()
    assert "cell" not in config
    assert config["units"] == 7 and config["recurrent_activation"] == "hard_sigmoid"


def test_config_roundtrip_keeps_rnn_options():
    layer = LSTM(4, return_state=True, go_backwards=True, unroll=True, name="mine")
    clone = check_config_roundtrip(layer, _sequences())
    assert (clone.return_state, clone.go_backwards, clone.unroll) == (
        True,
        True,
        True,
    )


def test_it_learns_to_tell_the_sign_of_the_sum():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((256, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("int64")
    model = keras.Sequential([keras.Input((8, 1)), LSTM(8), keras.layers.Dense(2)])
    model.compile(
        keras.optimizers.Adam(0.02),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_bad_units_are_rejected():
    with pytest.raises(ValueError, match="`units` must be a positive integer, got -3"):
        LSTM(-3)


def test_saved_model_graph_has_only_portable_ops(tmp_path):
    # No cuDNN (or other device-specific fused RNN) kernels: the loop is a plain
    # while loop over matmuls and element-wise ops, which any CPU can serve.
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, LSTM(4)(inputs))
    model.export(str(tmp_path / "lstm"), format="tf_saved_model", verbose=False)
    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((tmp_path / "lstm" / "saved_model.pb").read_bytes())
    graph = saved.meta_graphs[0].graph_def
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops.update(node.op for node in function.node_def)
    assert "MatMul" in ops and ({"While", "StatelessWhile"} & ops)
    assert not [op for op in ops if "Cudnn" in op or "BlockLSTM" in op], ops
