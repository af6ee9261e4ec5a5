"""The Fashion-MNIST demo end to end: quick training, the report with its
figures, and a SavedModel that takes raw uint8 images and returns class
probabilities and names in a process without kerastoolkit."""

import json
import shutil

import keras
import numpy as np
import pytest

from applications.vision.confused_examples import most_confused_pairs
from applications.vision.fashion_mnist.config import Config
from applications.vision.fashion_mnist.train import build_model
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.export import export_saved_model
from kerastoolkit.testing import check_config_roundtrip, serving_process
from tests.applications.run_checks import failed_guard_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("fashion_mnist")


def test_quick_run_writes_metrics_report_and_figures(quick_run):
    root, record = quick_run
    saved = json.loads((root / "run" / "metrics.json").read_text())
    assert saved["metrics"] == record["metrics"]
    assert saved["metrics"]["epochs_run"] == 2
    figures = ("learning_curves.png", "confusion.png", "most_confused_examples.png")
    for name in ("report.md", "history.csv", *figures):
        assert (root / "run" / name).exists(), name
    report = (root / "run" / "report.md").read_text()
    assert "test_accuracy" in report and "confusion_1" in report
    for name in figures:
        assert f"({name})" in report


def test_quick_run_learns_far_above_chance_and_the_majority_class(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert metrics["chance_accuracy"] == pytest.approx(0.1)
    # The quick test split is about balanced: the majority class is near chance.
    assert 0.05 < metrics["majority_accuracy"] < 0.2
    (guard,) = record["guards"]
    assert guard["metric"] == "test_accuracy" and guard["passed"], guard["text"]
    assert metrics["test_accuracy"] > metrics["majority_accuracy"] + 0.4


def test_guard_fails_and_nothing_is_published_when_learning_is_off(tmp_path):
    # The quick config with learning_rate=0 (on fewer images: an untrained
    # model needs no long run to show it is one), under the same guard.
    error, record = failed_guard_run(
        "fashion_mnist",
        tmp_path,
        {"learning_rate": 0.0, "train_size": 256, "test_size": 500, "epochs": 1},
        match="test_accuracy",
    )
    assert len(error.failures) == 1
    (guard,) = record["guards"]
    assert guard["metric"] == "test_accuracy" and not guard["passed"]


def test_saved_model_serves_raw_uint8_images_without_kerastoolkit(quick_run):
    root, record = quick_run
    export_dir = record["metrics"]["saved_model"]
    assert export_dir.endswith("/1")
    model = keras.saving.load_model(root / "run" / "model.keras")
    (_, _), (x_test, _) = fashion_mnist.load_data()
    for batch in (x_test[:1], x_test[:7]):
        names, served = serving_process().serve(export_dir, {"images": batch})
        assert served.shape == (len(batch), 10)
        np.testing.assert_allclose(served.sum(axis=1), 1.0, rtol=1e-5)
        expected = model.predict(batch, verbose=0)
        np.testing.assert_allclose(served, expected, atol=1e-5)
        assert [n.decode() for n in names] == [
            fashion_mnist.CLASS_NAMES[i] for i in expected.argmax(axis=1)
        ]


def test_a_second_export_is_a_new_version_and_keeps_the_first(quick_run, tmp_path):
    # What a second run does at its end (the demo exports without a version),
    # on a copy: the quick run is shared with other tests.
    root, _ = quick_run
    shutil.copytree(root / "saved", tmp_path / "saved")
    model = keras.saving.load_model(root / "run" / "model.keras")
    second = export_saved_model(
        model, tmp_path / "saved", endpoints=model.serving_endpoints()
    )
    assert second.name == "2"
    assert (tmp_path / "saved" / "1" / "saved_model.pb").exists()


def test_model_config_roundtrip():
    model = build_model(Config(filters=(4,), translation=0.1))
    check_config_roundtrip(model, np.zeros((2, 28, 28), "uint8"))


def test_most_confused_pairs_are_the_largest_off_diagonal_cells():
    matrix = np.array([[50, 3, 0], [9, 40, 1], [0, 3, 60]])
    assert most_confused_pairs(matrix, top=3) == [(1, 0, 9), (0, 1, 3), (2, 1, 3)]
    assert most_confused_pairs(np.eye(3, dtype=int) * 5) == []
