"""Paired-difference statistics against SciPy's paired t-test."""

import numpy as np
import pytest
from scipy import stats

from applications.paired_statistics import (
    NO_SIGNIFICANT_DIFFERENCE,
    mean_interval,
    paired_difference,
)


def test_mean_interval_matches_scipy_t_interval():
    values = np.array([0.81, 0.85, 0.79, 0.88, 0.83])
    mean, low, high = mean_interval(values)
    reference = stats.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
    )
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx(reference)
    assert mean_interval([0.5]) == (0.5, None, None)


def test_paired_difference_matches_ttest_rel_interval():
    rng = np.random.default_rng(0)
    b = rng.uniform(0.6, 0.8, size=6)
    a = b + 0.1 + rng.normal(0, 0.02, size=6)
    difference = paired_difference(a, b)
    reference = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert difference["mean"] == pytest.approx(np.mean(a - b))
    assert (difference["low"], difference["high"]) == pytest.approx(
        (reference.low, reference.high)
    )
    assert difference["significant"] is True
    assert NO_SIGNIFICANT_DIFFERENCE not in difference["verdict"]


def test_an_interval_covering_zero_says_no_significant_difference():
    difference = paired_difference([0.80, 0.82, 0.79], [0.81, 0.80, 0.80])
    assert difference["low"] < 0 < difference["high"]
    assert difference["significant"] is False
    assert difference["verdict"].endswith(NO_SIGNIFICANT_DIFFERENCE)
    assert paired_difference([0.9], [0.8])["significant"] is None


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="`a` and `b` must pair up"):
        paired_difference([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="`b` must be a non-empty 1-D"):
        paired_difference([0.1], [float("nan")])
    with pytest.raises(ValueError, match="`confidence` must be in"):
        mean_interval([0.1, 0.2], confidence=1.5)
