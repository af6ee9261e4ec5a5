"""Checks the demo tests share: a finished quick run holds its record and
files; a run whose learning guards fail is kept as failed and publishes
nothing."""

import json

import numpy as np
import pytest

from applications import runner
from applications.learning_guards import LearningGuardError


def run_quick(name, root, overrides=None):
    """Demo `name` run in quick mode and silent, with `overrides`: its runs go
    to `root/runs`, its SavedModels to `root/saved`. Returns the runner's
    record."""
    return runner.run(
        name,
        quick=True,
        overrides={
            **(overrides or {}),
            "output_dir": str(root / "runs"),
            "export_dir": str(root / "saved"),
            "verbose": 0,
        },
    )


def finished_run(quick_run, files):
    """The folder and metrics of a finished quick run (`quick_runs(name)`).

    Checks that its `metrics.json` holds the metrics the runner returned and
    that every one of `files` (paths inside the run) was written.

    Returns:
        `(run folder, metrics)`.
    """
    root, record = quick_run
    run = root / "run"
    metrics = json.loads((run / "metrics.json").read_text())["metrics"]
    assert metrics == record["metrics"]
    for name in files:
        assert (run / name).exists(), name
    return run, metrics


def failed_guard_run(name, tmp_path, overrides, match=None):
    """Demo `name` run quick with `overrides` under `tmp_path`, whose learning
    guards must fail (`LearningGuardError`, its message matching `match`).

    Checks that nothing was published to the export folder and that the run
    was kept, once, as `failed-*`.

    Returns:
        `(the LearningGuardError, the failed run's metrics.json record)`.
    """
    with pytest.raises(LearningGuardError, match=match) as failed:
        run_quick(name, tmp_path, overrides)
    saved = tmp_path / "saved"
    assert not saved.exists() or not any(saved.iterdir())
    (run_dir,) = (tmp_path / "runs").glob("failed-*")
    return failed.value, json.loads((run_dir / "metrics.json").read_text())


def check_gain_curve(run, metrics, prefix, methods, budget, steps, seeds):
    """A label-budget demo's learning curve (`budget_comparison.Curves`): one
    point per seed, method and step in `curves.json`; the last step equal to
    the run's end in `runs.json` (the quick runs evaluate on at most
    `curve_size` images, so the subset is all of them); the metrics
    `prefix_method_gain_budget_at_s_steps` the mean paired gains with their
    intervals; the table and the plot written.

    Args:
        run: the run's folder.
        metrics: its metrics.
        prefix: the metrics' prefix (the pairing).
        methods: `(method, baseline)`.
        budget: the labels per class of the quick run.
        steps: the steps measured, the last one the runs' end.
        seeds: the number of seeds.
    """
    method, baseline = methods
    curves = json.loads((run / "curves.json").read_text())
    assert len(curves) == seeds * 2 * len(steps)
    runs = json.loads((run / "runs.json").read_text())
    final = {(r["method"], r["seed"]): r["accuracy"] for r in runs}
    for point in curves:
        if point["step"] == steps[-1]:
            assert point["accuracy"] == pytest.approx(
                final[(point["method"], point["seed"])], abs=1e-6
            )

    def mean_at(name, step):
        return np.mean(
            [r["accuracy"] for r in curves if (r["method"], r["step"]) == (name, step)]
        )

    for step in steps:
        name = f"{prefix}_{method}_gain_{budget}_at_{step}_steps"
        gain = mean_at(method, step) - mean_at(baseline, step)
        assert metrics[name] == pytest.approx(gain, abs=1e-9)
        assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"]
    last = f"{prefix}_{method}_gain_{budget}_at_{steps[-1]}_steps"
    assert metrics[last] == pytest.approx(
        metrics[f"{prefix}_{method}_gain_{budget}"], abs=1e-6
    )
    table = (run / "gain_vs_steps.md").read_text()
    assert all(f"| {step} |" in table for step in steps)
    assert (run / "gain_vs_steps.png").exists()
    return mean_at
