"""Checks the demo tests share: a finished quick run holds its record and
files; a run whose learning guards fail is kept as failed and publishes
nothing."""

import json

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
