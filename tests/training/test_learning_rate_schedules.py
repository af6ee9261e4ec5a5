import keras
import numpy as np
import pytest

from kerastoolkit.testing import check_serialization
from kerastoolkit.training.learning_rate_schedules import (
    InverseSqrtWarmup,
    LinearWarmupDecay,
)


def _values(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_linear_warmup_decay_matches_the_formula():
    schedule = LinearWarmupDecay(1e-3, warmup_steps=10, total_steps=110)
    steps = [0, 5, 10, 60, 110, 200]
    expected = [0.0, 5e-4, 1e-3, 5e-4, 0.0, 0.0]
    np.testing.assert_allclose(_values(schedule, steps), expected, atol=1e-9)


def test_linear_warmup_decay_ends_at_end_rate():
    schedule = LinearWarmupDecay(1.0, 2, 4, end_learning_rate=0.5)
    np.testing.assert_allclose(
        _values(schedule, [1, 2, 3, 4, 9]), [0.5, 1, 0.75, 0.5, 0.5]
    )


def test_inverse_sqrt_warmup_peaks_at_warmup():
    schedule = InverseSqrtWarmup(d_model=64, warmup_steps=100)
    values = _values(schedule, range(400))
    assert int(np.argmax(values)) == 99
    np.testing.assert_allclose(values[99], 64**-0.5 * 100**-0.5, rtol=1e-6)
    np.testing.assert_allclose(values[399], 64**-0.5 * 400**-0.5, rtol=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [
        LinearWarmupDecay(2e-5, 3, 30, 1e-6),
        InverseSqrtWarmup(32, 50, 2.0),
    ],
)
def test_schedules_serialize_inside_an_optimizer(schedule):
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored._learning_rate, type(schedule))
    again = check_serialization(schedule)
    np.testing.assert_allclose(
        _values(again, [0, 7, 40]), _values(schedule, [0, 7, 40])
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (
            {"peak_learning_rate": 0, "warmup_steps": 1, "total_steps": 2},
            "peak_learning_rate",
        ),
        (
            {"peak_learning_rate": 1, "warmup_steps": 0, "total_steps": 2},
            "warmup_steps",
        ),
        ({"peak_learning_rate": 1, "warmup_steps": 5, "total_steps": 5}, "total_steps"),
        (
            {
                "peak_learning_rate": 1,
                "warmup_steps": 1,
                "total_steps": 5,
                "end_learning_rate": 2,
            },
            "end_learning_rate",
        ),
    ],
)
def test_linear_warmup_decay_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        LinearWarmupDecay(**kwargs)
