"""The RoBERTa sentiment demo end to end (quick): pretraining, fine-tuning from
the pretrained model and from scratch, the table, and the raw-string
SavedModel served without kerastoolkit or keras-hub."""

import json

import numpy as np
import pytest

from applications import runner
from kerastoolkit.testing import serving_process
from kerastoolkit.transfer.roberta.checkpoints import load_roberta_classifier
from kerastoolkit.transfer.roberta.fine_tuning import predict_probabilities


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("roberta_sentiment")


def test_quick_run_writes_the_table_and_report(quick_run):
    root, record = quick_run
    run = root / "run"
    metrics = json.loads((run / "metrics.json").read_text())["metrics"]
    assert metrics == record["metrics"]
    for name in (
        "report.md",
        "results.md",
        "runs.csv",
        "test_accuracy.png",
        "pretraining_curves.png",
        "fill_in.md",
        "best_classifier.keras",
        "pretrained/config.json",
        "pretrained/task.weights.h5",
    ):
        assert (run / name).exists(), name
    table = (run / "results.md").read_text()
    assert "| sst2 | pretrained |" in table and "| sst2 | scratch |" in table
    assert "--preset roberta_base_en" in table
    assert "94.8" in table and "87.2" in table
    for init in ("pretrained", "scratch"):
        assert 0 <= metrics[f"sst2_{init}_test_accuracy_mean"] <= 100
    assert metrics["mlm_heldout_loss_after"] < metrics["mlm_heldout_loss_before"]


def test_rerun_reuses_the_pretrained_preset(quick_run, tmp_path):
    root, _ = quick_run
    record = runner.run(
        "roberta_sentiment",
        quick=True,
        overrides={
            "output_dir": str(tmp_path / "run"),
            "export_dir": str(tmp_path / "saved"),
            "pretrained_dir": str(root / "run" / "pretrained"),
            "datasets": ("sst2",),
            "train_size": 32,
            "test_size": 32,
            "verbose": 0,
        },
    )
    assert record["metrics"]["pretrained_reused"] == 1
    assert "mlm_heldout_loss_after" not in record["metrics"]


def test_served_model_answers_raw_sentences(quick_run):
    root, record = quick_run
    path = record["metrics"]["saved_model"]
    assert path.endswith("saved/1")
    classifier = load_roberta_classifier(root / "run" / "pretrained", 2)
    best = __import__("keras").saving.load_model(root / "run" / "best_classifier.keras")
    sentences = ["a gripping , beautifully acted film", "dull , dull , dull ."]
    (served,) = serving_process().serve(
        path, {"sentences": np.array(sentences)}, imports=("tensorflow_text",)
    )
    np.testing.assert_allclose(
        served, predict_probabilities(best, sentences), atol=1e-5
    )
    assert classifier.backbone.max_sequence_length == 40
