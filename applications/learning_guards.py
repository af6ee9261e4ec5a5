"""Learning guards: the conditions a demo's metrics meet only when it learned.

Each demo's `train.py` lists its guards in `GUARDS`: a metric of the run, the
naive baseline the same run computed (chance, the majority class, a random
policy, a persistence forecast, an untrained model), and the margin by which
the metric must beat it. The runner checks them after every run: a quick run
whose guards fail means learning broke (the demo tests assert they pass, and
that they fail with learning switched off), and a run whose guards fail
publishes no SavedModel.

Example:

```python
GUARDS = (
    Guard("test_accuracy", above="majority_accuracy", margin=0.4),
    Guard("ar_test_mse", below="persistence_test_mse", margin=0.1, relative=True),
    Guard("eval_mean_return", above="random_mean_return", margin=0.2,
          toward="solved_return"),
)
```
"""

import dataclasses
import math


class LearningGuardError(RuntimeError):
    """A run's metrics did not beat their baselines: it did not learn."""

    def __init__(self, name, failures):
        self.name = name
        self.failures = list(failures)
        super().__init__(f"{name}: learning guard failed: " + "; ".join(self.failures))


@dataclasses.dataclass(frozen=True)
class Guard:
    """`metric` beats the baseline metric `above` (or `below`) by `margin`.

    Args:
        metric: the metric that shows learning.
        above: the baseline metric it must exceed (higher is better), or
        below: the baseline metric it must stay under (lower is better).
            Exactly one of `above`/`below` is given; either may be a number
            instead of a metric name (a fixed bound).
        margin: how far beyond the baseline: absolute, a fraction of
            `abs(baseline)` when `relative` is true, or a fraction of the way
            from the baseline to `toward`.
        relative: read `margin` as a fraction of the baseline.
        toward: a target metric name (or number) on the good side of the
            baseline: `margin` is read as a fraction of the distance from the
            baseline to it. For scores whose scale differs between tasks
            (returns of different environments), a fixed fraction of the way
            from a random policy to a solved one suits every one of them.
    """

    metric: str
    above: str | float | None = None
    below: str | float | None = None
    margin: float = 0.0
    relative: bool = False
    toward: str | float | None = None

    def __post_init__(self):
        if (self.above is None) == (self.below is None):
            raise ValueError(
                f"Guard on {self.metric!r}: give exactly one of `above` and "
                f"`below`, got above={self.above!r}, below={self.below!r}."
            )
        if not (isinstance(self.margin, int | float) and self.margin >= 0):
            raise ValueError(
                f"Guard on {self.metric!r}: `margin` must be a number >= 0, "
                f"got {self.margin!r}."
            )
        if self.relative and self.toward is not None:
            raise ValueError(
                f"Guard on {self.metric!r}: give `relative` or `toward`, not both."
            )

    @property
    def higher_is_better(self):
        return self.above is not None

    def _baseline(self, metrics):
        return _lookup(self.above if self.higher_is_better else self.below, metrics)

    def threshold(self, metrics):
        """The value `metric` must beat, or None when the baseline (or the
        target `toward`) is missing, or the target is not beyond the baseline."""
        _, baseline = self._baseline(metrics)
        if not _finite(baseline):
            return None
        sign = 1.0 if self.higher_is_better else -1.0
        if self.toward is not None:
            _, target = _lookup(self.toward, metrics)
            if not _finite(target) or sign * (target - baseline) <= 0:
                return None
            return baseline + self.margin * (target - baseline)
        step = self.margin * (abs(baseline) if self.relative else 1.0)
        return baseline + sign * step

    def check(self, metrics):
        """Returns `(passed, result)`: result a dict for the run record."""
        name, baseline = self._baseline(metrics)
        value = metrics.get(self.metric)
        threshold = self.threshold(metrics)
        passed = (
            _finite(value)
            and threshold is not None
            and (value > threshold if self.higher_is_better else value < threshold)
        )
        relation = ">" if self.higher_is_better else "<"
        margin = f"{self.margin:.4g}" + (" x |baseline|" if self.relative else "")
        if self.toward is not None:
            target_name, target = _lookup(self.toward, metrics)
            margin += f" x ({target_name} ({_number(target)}) - {name})"
        sign = "+" if self.higher_is_better or self.toward is not None else "-"
        text = (
            f"{self.metric} = {_number(value)} {relation} {name} "
            f"({_number(baseline)}) {sign} {margin} = {_number(threshold)}"
        )
        return passed, {
            "metric": self.metric,
            "value": value,
            "baseline": name,
            "baseline_value": baseline,
            "threshold": threshold,
            "passed": bool(passed),
            "text": text,
        }


def _lookup(reference, metrics):
    """`(name, value)` of a metric name, or of a fixed number."""
    if isinstance(reference, str):
        return reference, metrics.get(reference)
    return str(reference), reference


def _finite(value):
    return isinstance(value, int | float) and math.isfinite(value)


def _number(value):
    if isinstance(value, int | float):
        return f"{value:.4g}"
    return "missing" if value is None else repr(value)


def check_guards(guards, metrics):
    """Checks every guard; returns the list of results for the run record."""
    return [guard.check(metrics)[1] for guard in guards]


def failures(results):
    """The texts of the failed guards in `results` (from `check_guards`)."""
    return [r["text"] for r in results if not r["passed"]]
