"""TimeBudget: `fit` stops at the first batch past the budget, and never
without one."""

import keras
import numpy as np
import pytest

from kerastoolkit.training.time_budget import TimeBudget


class _FakeModel:
    stop_training = False


def test_stops_at_the_first_batch_past_the_budget(monkeypatch):
    clock = {"now": 100.0}
    monkeypatch.setattr(
        "kerastoolkit.training.time_budget.time.perf_counter", lambda: clock["now"]
    )
    budget = TimeBudget(minutes=0.5)
    budget.set_model(_FakeModel())
    budget.on_train_begin()
    clock["now"] = 129.0
    budget.on_train_batch_end(0)
    assert not (budget.stopped_early or budget.model.stop_training)
    clock["now"] = 131.0
    budget.on_train_batch_end(1)
    assert budget.stopped_early and budget.model.stop_training


def _fit(budget):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((16, 3), "float32")
    history = model.fit(
        x, x[:, :1], batch_size=4, epochs=3, callbacks=[budget], verbose=0
    )
    return len(history.history["loss"])


def test_inside_fit():
    spent = TimeBudget(minutes=1e-9)  # spent by the end of the first batch
    assert _fit(spent) == 1 and spent.stopped_early
    unlimited = TimeBudget(minutes=0)
    assert _fit(unlimited) == 3 and not unlimited.stopped_early


def test_a_negative_budget_is_refused():
    with pytest.raises(ValueError, match="`minutes` must be a non-negative number"):
        TimeBudget(minutes=-1)
