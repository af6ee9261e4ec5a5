"""CosineToDeadline: the cosine schedule by steps, by the clock when time runs
short, and the stop before an epoch that cannot fit in the budget."""

import numpy as np
import pytest

from kerastoolkit.training.cosine_to_deadline import CosineToDeadline


class _FakeModel:
    def __init__(self):
        self.optimizer = type("Optimizer", (), {"learning_rate": 1.0})()
        self.stop_training = False


def test_cosine_schedule_follows_the_clock_when_time_runs_short(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(
        "kerastoolkit.training.cosine_to_deadline.time.perf_counter",
        lambda: clock["now"],
    )
    schedule = CosineToDeadline(peak=1.0, total_steps=100, minutes=1.0)
    schedule.set_model(_FakeModel())
    schedule.on_train_begin()
    schedule.on_epoch_begin(0)
    for step in range(50):  # half the steps in 10 s: the step count leads
        clock["now"] = step * 0.2
        schedule.on_train_batch_begin(step)
        schedule.on_train_batch_end(step)
    lr = schedule.model.optimizer.learning_rate
    assert lr == pytest.approx(0.5 * (1 + np.cos(np.pi * 49 / 100)))
    assert not schedule.clock_bound
    clock["now"] = 45.0  # 3/4 of the budget gone: the clock leads
    schedule.on_train_batch_begin(50)
    lr = schedule.model.optimizer.learning_rate
    assert lr == pytest.approx(0.5 * (1 + np.cos(np.pi * 0.75)))
    assert schedule.clock_bound
    schedule.on_epoch_end(0, {})  # a 45 s epoch cannot fit in the 15 s left
    assert schedule.stopped_early and schedule.model.stop_training


def test_with_time_to_spare_it_is_the_plain_cosine_decay_to_zero(monkeypatch):
    monkeypatch.setattr(
        "kerastoolkit.training.cosine_to_deadline.time.perf_counter", lambda: 0.0
    )
    schedule = CosineToDeadline(peak=0.1, total_steps=8, minutes=5.0)
    schedule.set_model(_FakeModel())
    schedule.on_train_begin()
    schedule.on_epoch_begin(0)
    rates = []
    for step in range(8):
        schedule.on_train_batch_begin(step)
        rates.append(schedule.model.optimizer.learning_rate)
        schedule.on_train_batch_end(step)
    logs = {}
    schedule.on_epoch_end(0, logs)
    np.testing.assert_allclose(rates, 0.05 * (1 + np.cos(np.pi * np.arange(8) / 8)))
    assert logs["learning_rate"] == pytest.approx(rates[-1])
    assert not (schedule.clock_bound or schedule.stopped_early)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"peak": -1e-3, "total_steps": 10, "minutes": 1.0}, "peak"),
        ({"peak": 1e-3, "total_steps": 0, "minutes": 1.0}, "total_steps"),
        ({"peak": 1e-3, "total_steps": 10, "minutes": -1.0}, "minutes"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        CosineToDeadline(**kwargs)


def test_without_a_deadline_the_clock_never_matters(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(
        "kerastoolkit.training.cosine_to_deadline.time.perf_counter",
        lambda: clock["now"],
    )
    for minutes in (None, 0):
        schedule = CosineToDeadline(peak=1.0, total_steps=4, minutes=minutes)
        schedule.set_model(_FakeModel())
        schedule.on_train_begin()
        schedule.on_epoch_begin(0)
        rates = []
        for step in range(4):
            clock["now"] += 1e6  # days per step: a deadline would have bound
            schedule.on_train_batch_begin(step)
            rates.append(schedule.model.optimizer.learning_rate)
            schedule.on_train_batch_end(step)
        schedule.on_epoch_end(0, {})
        np.testing.assert_allclose(rates, 0.5 * (1 + np.cos(np.pi * np.arange(4) / 4)))
        assert not (schedule.clock_bound or schedule.stopped_early)
        assert not schedule.model.stop_training
