"""check_serialization and check_compile_saving pass on sound objects and fail,
by name, on each defect they exist to catch."""

import keras
import numpy as np
import pytest

from kerastoolkit.testing import check_compile_saving, check_serialization


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class Decay(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, rate, steps):
        self.rate, self.steps = rate, steps

    def __call__(self, step):
        return self.rate / (1.0 + keras.ops.cast(step, "float32") / self.steps)

    def get_config(self):
        return {"rate": self.rate, "steps": self.steps}


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class ForgetfulDecay(Decay):
    def get_config(self):
        return {"rate": self.rate}  # `steps` is lost


class UnregisteredDecay(Decay):
    pass


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class Doubling(Decay):
    def get_config(self):
        return {"rate": self.rate, "steps": self.steps}

    @classmethod
    def from_config(cls, config):
        return cls(config["rate"] * 2, config["steps"])


def test_check_serialization_passes_on_a_sound_schedule():
    clone = check_serialization(Decay(0.1, 7))
    assert (clone.rate, clone.steps) == (0.1, 7)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (ForgetfulDecay(0.1, 7), r"lacks the __init__ arguments \['steps'\]"),
        (UnregisteredDecay(0.1, 7), "is the class registered"),
        (Doubling(0.1, 7), "config after from_config differs"),
        (Decay(0.1, np.arange(2)), "not JSON-serialisable"),
    ],
)
def test_check_serialization_fails_on_each_defect(obj, message):
    with pytest.raises(AssertionError, match=message):
        check_serialization(obj)


def _compiled(optimizer="adam"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 3), dtype="float32"), rng.standard_normal(
        (8, 2), dtype="float32"
    )


def test_check_compile_saving_passes_and_continues_training(tmp_path):
    x, y = _data()
    model = _compiled(keras.optimizers.Adam(learning_rate=Decay(0.01, 5)))
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    loaded = check_compile_saving(model, tmp_path, x=x, y=y)
    assert int(loaded.optimizer.iterations) == 5  # 4 steps + the one checked


def test_check_compile_saving_fails_for_an_uncompiled_model(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(AssertionError, match="needs a compiled model"):
        check_compile_saving(model, tmp_path)


@keras.saving.register_keras_serializable(package="kerastoolkit_tests")
class ForgetsItsOptimizer(keras.Sequential):
    """Saves a fresh optimizer in its compile config: the reloaded model's
    optimizer has another learning rate."""

    def get_compile_config(self):
        config = super().get_compile_config()
        config["optimizer"] = keras.optimizers.serialize(
            keras.optimizers.Adam(learning_rate=0.5)
        )
        return config


def test_check_compile_saving_fails_when_the_optimizer_changes(tmp_path):
    x, y = _data()
    model = ForgetsItsOptimizer([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    with pytest.raises(AssertionError, match="optimizer config differs"):
        check_compile_saving(model, tmp_path)
