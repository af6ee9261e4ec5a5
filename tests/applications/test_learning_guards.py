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
