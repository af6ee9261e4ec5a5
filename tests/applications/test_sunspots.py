"""The sunspots demo end to end: quick run, report, plots, and an AR forecast
SavedModel served in a process without kerastoolkit."""

import csv

import numpy as np
import pytest

from kerastoolkit.datasets import sunspots
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("sunspots")


def test_quick_run_writes_metrics_report_and_plots(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    assert metrics["test_years"] == "1974-2008"
    assert metrics["ar_aic_order"] == 9
    # AR(9) by Yule-Walker is deterministic: far better than "same as last year".
    assert metrics["test_mse_ar_aic"] == pytest.approx(285.49, abs=0.01)
    assert metrics["test_mse_persistence"] == pytest.approx(952.48, abs=0.01)
    assert metrics["wavenet_receptive_field"] == 16
    run = root / "run"
    for name in (
        "report.md",
        "metrics.json",
        "forecast.png",
        "learning_curves.png",
        "predictions.csv",
        "order_selection.csv",
    ):
        assert (run / name).exists(), name
    report = (run / "report.md").read_text()
    assert "test_mse_wavenet" in report and "Zhang 2003" in report
    with open(run / "order_selection.csv") as handle:
        aic = [float(row["aic"]) for row in csv.DictReader(handle)]
    assert len(aic) == 21 and int(np.argmin(aic)) == 9


def test_every_model_forecasts_far_better_than_persistence(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    guarded = ["test_mse_ar_aic", "test_mse_wavenet", "test_mse_lstm"]
    assert [g["metric"] for g in record["guards"]] == guarded
    assert all(g["passed"] for g in record["guards"]), record["guards"]
    for name in guarded:
        assert 0.0 < metrics[name] < 0.5 * metrics["test_mse_persistence"]


def test_predictions_are_one_step_ahead(quick_run):
    root, _ = quick_run
    years, values = sunspots.load_data()
    with open(root / "run" / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["year"]) for r in rows] == list(range(1974, 2009))
    np.testing.assert_allclose([float(r["observed"]) for r in rows], values[-35:])
    # Persistence predicts each year by the one before.
    np.testing.assert_allclose([float(r["persistence"]) for r in rows], values[-36:-1])


def test_forecast_saved_model_serves_without_kerastoolkit(quick_run):
    root, record = quick_run
    export_dir = record["metrics"]["saved_model"]
    assert export_dir.endswith("/1")
    _, values = sunspots.load_data()
    history = values[:-35][None]
    lower, mean, stddev, upper = serving_process().serve(
        export_dir, {"history": history, "steps": np.int32(35)}, signature="forecast"
    )
    with open(root / "run" / "predictions.csv") as handle:
        expected = [float(r["ar_forecast_mean"]) for r in csv.DictReader(handle)]
    np.testing.assert_allclose(mean[0], expected, rtol=1e-9)
    assert np.all(np.diff(stddev[0]) >= 0)  # uncertainty grows with the horizon
    np.testing.assert_allclose(upper - mean, mean - lower, rtol=1e-9)
    np.testing.assert_allclose((upper - lower) / stddev, 2 * 1.959964, rtol=1e-5)
