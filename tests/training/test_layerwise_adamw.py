"""LayerwiseAdamW (kerastoolkit/training/layerwise_adamw.py): AdamW at each
variable's own rate, against Keras' AdamW run on each variable alone."""

import keras
import numpy as np
import pytest

from kerastoolkit.testing import check_serialization
from kerastoolkit.training.layerwise_adamw import LayerwiseAdamW
from kerastoolkit.training.learning_rate_schedules import LinearWarmupDecay


def variables():
    return [
        keras.Variable(np.linspace(1, 2, 3).astype("float32"), name="kernel_a"),
        keras.Variable(np.array([2.0, -1.0], "float32"), name="kernel_b"),
        keras.Variable(np.array([0.5], "float32"), name="bias"),
    ]


def test_layerwise_adamw_is_adamw_at_each_variables_rate():
    ours = variables()
    gradients = [
        np.array([0.1, -0.2, 0.3], "float32"),
        np.array([0.5, -0.1], "float32"),
        np.array([0.2], "float32"),
    ]
    optimizer = LayerwiseAdamW(
        0.1, {ours[1].path: 0.25, ours[2].path: 0.5}, weight_decay=0.5
    )
    for _ in range(3):
        optimizer.apply(gradients, ours)
    for index, rate in enumerate((0.1, 0.025, 0.05)):
        (alone,) = variables()[index : index + 1]
        reference = keras.optimizers.AdamW(rate, weight_decay=0.5)
        if index == 2:  # biases get no weight decay
            reference.exclude_from_weight_decay(var_names=["bias"])
        for _ in range(3):
            reference.apply([gradients[index]], [alone])
        np.testing.assert_allclose(np.asarray(ours[index]), np.asarray(alone), 1e-6)
    # Decay off for the bias: it must differ from a decayed update.
    decayed = variables()[2]
    other = keras.optimizers.AdamW(0.05, weight_decay=0.5)
    for _ in range(3):
        other.apply([gradients[2]], [decayed])
    assert not np.allclose(np.asarray(ours[2]), np.asarray(decayed))


def test_layerwise_adamw_config_and_validation():
    schedule = LinearWarmupDecay(1e-3, 2, 10)
    optimizer = LayerwiseAdamW(schedule, {"a/kernel": 0.5}, weight_decay=0.1)
    clone = check_serialization(optimizer)
    assert clone.learning_rate_multipliers == {"a/kernel": 0.5}
    assert clone.no_decay_names == ("bias", "gamma", "beta")
    with pytest.raises(ValueError, match="positive numbers, got -1"):
        LayerwiseAdamW(0.1, {"a": -1})
