"""Means, 95% confidence intervals and paired differences over seeds.

The transfer, semi-supervised and multitask demos compare two methods run on
the same seeds (the same labelled subset and initialisation for both). A
reader needs three figures: each method's mean with its confidence interval,
and the mean of the per-seed differences with its interval (Student's t, as
`scipy.stats.ttest_rel(a, b).confidence_interval()` gives it). When that
interval covers zero, the comparison says "no significant difference".

Example:

>>> difference = paired_difference([0.91, 0.93, 0.90], [0.80, 0.84, 0.79])
>>> round(difference["mean"], 3), difference["significant"]
(0.103, True)
"""

import math

import numpy as np
from scipy import stats

NO_SIGNIFICANT_DIFFERENCE = "no significant difference"


def _values(name, values):
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or len(array) == 0 or not np.all(np.isfinite(array)):
        raise ValueError(
            f"`{name}` must be a non-empty 1-D sequence of finite numbers, "
            f"got {values!r}."
        )
    return array


def mean_interval(values, confidence=0.95):
    """The mean of `values` and its Student's t confidence interval.

    Returns:
        `(mean, low, high)`; `low` and `high` are None for a single value (an
        interval needs at least two).
    """
    values = _values("values", values)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")
    mean = float(values.mean())
    if len(values) < 2:
        return mean, None, None
    half = float(
        stats.t.ppf(0.5 + confidence / 2, len(values) - 1)
        * values.std(ddof=1)
        / math.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def paired_difference(a, b, confidence=0.95):
    """The mean of `a[i] - b[i]` over paired runs, its interval and verdict.

    Args:
        a: the first method's figures, one per seed.
        b: the second method's figures on the same seeds, in the same order.
        confidence: the interval's coverage.

    Returns:
        A dict: `mean`, `low`, `high` (None with one pair), `significant`
        (True when the interval excludes zero, None with one pair) and
        `verdict`, a phrase for reports: `"+0.103 [+0.071, +0.135]"`, or that
        followed by ", no significant difference" when the interval covers 0.
    """
    a, b = _values("a", a), _values("b", b)
    if len(a) != len(b):
        raise ValueError(
            f"`a` and `b` must pair up (same length), got {len(a)} and {len(b)}."
        )
    mean, low, high = mean_interval(a - b, confidence)
    if low is None:
        significant, verdict = None, f"{mean:+.3f} (one seed: no interval)"
    else:
        significant = bool(low > 0.0 or high < 0.0)
        verdict = f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"
        if not significant:
            verdict += f", {NO_SIGNIFICANT_DIFFERENCE}"
    return {
        "mean": mean,
        "low": low,
        "high": high,
        "significant": significant,
        "verdict": verdict,
    }
