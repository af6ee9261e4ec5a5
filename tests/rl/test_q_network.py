"""Q-network builders pass the shared checks and compute what they document."""

import keras
import numpy as np
import pytest

from kerastoolkit.rl.q_network import (
    build_mlp_q_network,
    build_nature_cnn_q_network,
    build_q_network,
)
from kerastoolkit.testing import (
    check_config_roundtrip,
    check_gradients,
    check_keras_saving,
    check_saved_model_export,
)

OBSERVATIONS = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
# The smallest frames the Nature CNN accepts: 36 -> 8 -> 3 -> 1.
FRAMES = np.random.default_rng(1).integers(0, 256, (3, 2, 36, 36)).astype("uint8")


def test_mlp_shared_checks(tmp_path):
    model = build_mlp_q_network((3,), 2, hidden_units=(8, 5))
    check_config_roundtrip(model, OBSERVATIONS)
    check_keras_saving(model, OBSERVATIONS, tmp_path)
    check_saved_model_export(
        model, OBSERVATIONS, tmp_path, more_inputs=[OBSERVATIONS[:3]]
    )
    check_gradients(model, OBSERVATIONS)


def test_dueling_nature_cnn_shared_checks(tmp_path):
    # The dueling head's keras.ops nodes must save, reload and export too.
    model = build_nature_cnn_q_network(3, (2, 36, 36), dueling=True)
    assert model.input.dtype == "uint8"
    check_config_roundtrip(model, FRAMES)
    check_keras_saving(model, FRAMES, tmp_path)
    check_saved_model_export(model, FRAMES, tmp_path)
    check_gradients(model, FRAMES)


def test_mlp_matches_numpy():
    model = build_mlp_q_network((3,), 4, hidden_units=(6,))
    kernel_1, bias_1, kernel_2, bias_2 = model.get_weights()
    expected = np.maximum(OBSERVATIONS @ kernel_1 + bias_1, 0) @ kernel_2 + bias_2
    np.testing.assert_allclose(model(OBSERVATIONS), expected, rtol=1e-5, atol=1e-6)


def test_dueling_head_is_value_plus_centred_advantage():
    model = build_mlp_q_network((3,), 4, hidden_units=(6,), dueling=True)
    hidden = model.get_layer("hidden_0")(OBSERVATIONS)
    value = np.asarray(model.get_layer("value")(hidden))
    advantage = np.asarray(model.get_layer("advantage")(hidden))
    expected = value + advantage - advantage.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(model(OBSERVATIONS), expected, rtol=1e-5, atol=1e-6)


def test_nature_cnn_scales_frames_by_1_over_255():
    model = build_nature_cnn_q_network(3, (2, 36, 36))
    # Rebuild the same layers on float inputs already scaled: same outputs.
    inputs = keras.Input((2, 36, 36))
    x = model.get_layer("channels_last")(inputs)
    for name in ("conv_0", "conv_1", "conv_2", "flatten", "hidden", "q_values"):
        x = model.get_layer(name)(x)
    unscaled = keras.Model(inputs, x)
    np.testing.assert_allclose(
        model(FRAMES), unscaled(FRAMES.astype("float32") / 255.0), rtol=1e-5, atol=1e-6
    )
    # The Nature network on Pong: 1,687,206 weights (conv 8224 + 32832 + 36928,
    # dense 3136 * 512 + 512, head 512 * 6 + 6).
    assert build_nature_cnn_q_network(6).count_params() == 1_687_206


def test_build_q_network_picks_the_builder():
    import gymnasium as gym

    frames = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    vector = gym.spaces.Box(-1.0, 1.0, (6,), np.float32)
    assert build_q_network(frames, 6).name == "nature_cnn_q_network"
    assert build_q_network(vector, 3, hidden_units=(4,)).output.shape == (None, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: build_mlp_q_network((3,), 0), "`num_actions`"),
        (lambda: build_mlp_q_network((3,), 2, hidden_units=(4, -1)), "`hidden_units`"),
        (lambda: build_mlp_q_network((3,), 2, dueling="yes"), "`dueling`"),
        (lambda: build_nature_cnn_q_network(2, (84, 84)), "`observation_shape`"),
    ],
)
def test_bad_arguments_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
