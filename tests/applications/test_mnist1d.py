"""The MNIST-1D demo end to end (quick config): metrics, report, plots, and a
SavedModel that serves signals of two lengths in a process without kerastoolkit."""

import json

import keras
import numpy as np
import pytest

from applications.sequences.mnist1d.train import build_recurrent_model
from kerastoolkit.datasets import mnist1d
from kerastoolkit.testing import check_config_roundtrip, serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("mnist1d")


def test_quick_run_writes_metrics_report_and_plots(quick_run):
    root, record = quick_run
    metrics = json.loads((root / "run" / "metrics.json").read_text())["metrics"]
    assert metrics == record["metrics"]
    for kind in ("lstm", "rnn", "cnn"):
        assert metrics[f"{kind}_epochs"] >= 1
        assert (root / "run" / kind / "history.csv").exists()
    report = (root / "run" / "report.md").read_text()
    assert "lstm_test_accuracy" in report and "GRU (Greydanus 2020)" in report
    for name in ("learning_curves.png", "lstm_confusion.png"):
        assert (root / "run" / name).stat().st_size > 0
        assert f"({name})" in report


def test_every_model_beats_chance_and_the_lstm_by_far(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert metrics["chance_accuracy"] == pytest.approx(0.1)
    accuracies = [metrics[f"{kind}_test_accuracy"] for kind in ("lstm", "rnn", "cnn")]
    assert metrics["lowest_test_accuracy"] == min(accuracies)
    assert [(g["metric"], g["passed"]) for g in record["guards"]] == [
        ("lstm_test_accuracy", True),
        ("lowest_test_accuracy", True),
    ], [g["text"] for g in record["guards"]]
    assert metrics["lstm_test_accuracy"] > metrics["chance_accuracy"] + 0.25
    assert min(accuracies) > max(
        metrics["chance_accuracy"], metrics["majority_accuracy"]
    )


def test_saved_model_serves_two_lengths_and_batch_sizes(quick_run):
    root, record = quick_run
    export_dir = record["metrics"]["saved_model"]
    assert export_dir.endswith("/1")
    model = keras.saving.load_model(root / "run" / "lstm.keras")
    (_, _), (x_test, _) = mnist1d.load_data()
    for batch in (x_test[:1], x_test[:32], x_test[:32, :25]):
        (served,) = serving_process().serve(export_dir, {"signal": batch})
        assert served.shape == (len(batch), 10)
        np.testing.assert_allclose(served.sum(axis=1), 1.0, rtol=1e-5)
        np.testing.assert_allclose(served, model.predict(batch, verbose=0), atol=1e-5)


def test_recurrent_model_config_roundtrip():
    model = build_recurrent_model("lstm", 4)
    check_config_roundtrip(model, np.zeros((2, 40), "float32"))
