"""The first demo end to end: quick training, report, and a SavedModel that serves
raw uint8 images in a process without kerastoolkit."""

import json

import keras
import numpy as np
import pytest

from applications import runner
from applications.vision.fashion_mnist_cnn.config import Config
from applications.vision.fashion_mnist_cnn.train import build_model
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.testing import check_config_roundtrip, serving_process


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("fashion")
    record = runner.run(
        "fashion_mnist_cnn",
        quick=True,
        overrides={
            "output_dir": str(root / "run"),
            "export_dir": str(root / "saved"),
            "verbose": 0,
        },
    )
    return root, record


def test_quick_run_writes_metrics_report_and_plots(quick_run):
    root, record = quick_run
    saved = json.loads((root / "run" / "metrics.json").read_text())
    assert saved["metrics"] == record["metrics"]
    # One epoch on 2,000 images is far above chance (10%) on the real test split.
    assert 0.5 < saved["metrics"]["test_accuracy"] <= 1.0
    for name in ("report.md", "learning_curves.png", "confusion.png", "history.csv"):
        assert (root / "run" / name).exists(), name
    assert "test_accuracy" in (root / "run" / "report.md").read_text()


def test_saved_model_serves_raw_uint8_images_without_kerastoolkit(quick_run):
    root, record = quick_run
    export_dir = record["metrics"]["saved_model"]
    assert export_dir.endswith("/1")
    model = keras.saving.load_model(root / "run" / "model.keras")
    (_, _), (x_test, _) = fashion_mnist.load_data()
    for batch in (x_test[:1], x_test[:7]):
        (served,) = serving_process().serve(export_dir, {"image": batch})
        assert served.shape == (len(batch), 10)
        np.testing.assert_allclose(served.sum(axis=1), 1.0, rtol=1e-5)
        np.testing.assert_allclose(served, model.predict(batch, verbose=0), atol=1e-5)


def test_a_second_run_exports_a_new_version_and_keeps_the_first(quick_run, tmp_path):
    root, _ = quick_run
    record = runner.run(
        "fashion_mnist_cnn",
        quick=True,
        overrides={
            "output_dir": str(tmp_path),
            "export_dir": str(root / "saved"),
            "train_size": 300,
            "verbose": 0,
        },
    )
    assert record["metrics"]["saved_model"].endswith("/2")
    assert (root / "saved" / "1" / "saved_model.pb").exists()


def test_model_config_roundtrip():
    model = build_model(Config(filters=(4,), dense_units=8))
    check_config_roundtrip(model, np.zeros((2, 28, 28), "uint8"))
