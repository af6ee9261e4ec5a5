"""Learning guards: a metric must beat the baseline of the same run."""

import math

import pytest

from applications.learning_guards import (
    Guard,
    LearningGuardError,
    check_guards,
    failures,
)


def test_above_passes_only_beyond_baseline_plus_margin():
    guard = Guard("accuracy", above="majority", margin=0.2)
    assert guard.check({"accuracy": 0.81, "majority": 0.6})[0]
    assert not guard.check({"accuracy": 0.79, "majority": 0.6})[0]
    # An untrained model at the baseline fails.
    assert not guard.check({"accuracy": 0.6, "majority": 0.6})[0]


def test_below_with_a_relative_margin():
    guard = Guard("mse", below="persistence_mse", margin=0.1, relative=True)
    passed, result = guard.check({"mse": 80.0, "persistence_mse": 100.0})
    assert passed and result["threshold"] == pytest.approx(90.0)
    assert not guard.check({"mse": 95.0, "persistence_mse": 100.0})[0]


def test_a_number_as_baseline():
    guard = Guard("class_accuracy", above=0.1, margin=0.2)
    assert guard.check({"class_accuracy": 0.5})[0]
    assert not guard.check({"class_accuracy": 0.25})[0]


@pytest.mark.parametrize(
    "metrics",
    [
        {"majority": 0.5},  # the metric is missing
        {"accuracy": 0.9},  # the baseline is missing
        {"accuracy": math.nan, "majority": 0.5},
        {"accuracy": 0.9, "majority": math.nan},
        {"accuracy": "0.9", "majority": 0.5},
    ],
)
def test_missing_or_non_finite_values_fail(metrics):
    assert not Guard("accuracy", above="majority", margin=0.1).check(metrics)[0]


def test_results_name_what_failed():
    guards = (
        Guard("accuracy", above="majority", margin=0.2),
        Guard("loss", below="initial_loss", margin=0.0),
    )
    results = check_guards(
        guards, {"accuracy": 0.5, "majority": 0.5, "loss": 1.0, "initial_loss": 2.0}
    )
    assert [r["passed"] for r in results] == [False, True]
    (text,) = failures(results)
    assert text.startswith("accuracy = 0.5 > majority (0.5) + 0.2")
    error = LearningGuardError("demo", [text])
    assert "demo: learning guard failed: accuracy" in str(error)


def test_a_guard_needs_exactly_one_direction_and_a_margin():
    with pytest.raises(ValueError, match="exactly one"):
        Guard("accuracy")
    with pytest.raises(ValueError, match="exactly one"):
        Guard("accuracy", above="a", below="b")
    with pytest.raises(ValueError, match="margin"):
        Guard("accuracy", above="a", margin=-1)


def test_toward_reads_the_margin_as_a_fraction_of_the_way_to_a_target():
    guard = Guard("ret", above="random", margin=0.25, toward="solved")
    # MountainCar's scale: random -200, solved -110, a quarter of the way -177.5.
    metrics = {"ret": -150.0, "random": -200.0, "solved": -110.0}
    passed, result = guard.check(metrics)
    assert passed and result["threshold"] == pytest.approx(-177.5)
    assert "+ 0.25 x (solved (-110) - random)" in result["text"]
    assert not guard.check({**metrics, "ret": -180.0})[0]
    # The same fraction on CartPole's scale (random 22, solved 475).
    assert guard.threshold({"random": 22.0, "solved": 475.0}) == pytest.approx(135.25)
    # Lower is better: a quarter of the way down to a fixed target.
    below = Guard("mse", below="persistence", margin=0.25, toward=0.0)
    assert below.threshold({"persistence": 8.0}) == pytest.approx(6.0)
    assert below.check({"mse": 5.0, "persistence": 8.0})[0]


@pytest.mark.parametrize(
    "metrics",
    [
        {"ret": 10.0, "random": 0.0},  # the target is missing
        {"ret": 10.0, "random": 0.0, "solved": math.nan},
        {"ret": 10.0, "random": 0.0, "solved": 0.0},  # no way to go
        {"ret": 10.0, "random": 0.0, "solved": -5.0},  # the target behind
    ],
)
def test_toward_fails_without_a_target_beyond_the_baseline(metrics):
    guard = Guard("ret", above="random", margin=0.1, toward="solved")
    assert guard.threshold(metrics) is None
    assert not guard.check(metrics)[0]


def test_toward_excludes_relative():
    with pytest.raises(ValueError, match="`relative` or `toward`"):
        Guard("ret", above="random", margin=0.1, relative=True, toward="solved")
