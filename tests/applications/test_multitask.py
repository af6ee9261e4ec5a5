"""The multitask demo end to end (quick): the joint/alone table, the plots, and
a SavedModel with one output per task; the joint data masks the other task."""

import json

import numpy as np
import pytest

from applications.vision.multitask.train import MISSING, joint_data
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("multitask")


def test_quick_run_writes_the_table_and_metrics(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    for task in ("fashion", "digits"):
        for kind in ("joint", "alone"):
            assert 0.0 <= metrics[f"{task}_{kind}_accuracy"] <= 1.0
    table = (root / "run" / "multitask_table.md").read_text()
    assert "| fashion |" in table and "| digits |" in table
    for name in ("multitask_accuracy.png", "training_curves.png", "report.md"):
        assert (root / "run" / name).exists(), name
    runs = json.loads((root / "run" / "runs.json").read_text())
    assert len(runs) == 4  # 2 tasks x (joint, alone) x 1 seed


def test_saved_model_has_one_output_per_task(quick_run):
    _, record = quick_run
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    digits, fashion = serving_process().serve(
        record["metrics"]["saved_model"], [images]
    )
    for probabilities in (digits, fashion):
        assert probabilities.shape == (3, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_joint_data_marks_the_other_task_missing():
    fashion = (np.zeros((3, 28, 28), "uint8"), np.array([4, 5, 6]))
    digits = (np.ones((2, 28, 28), "uint8"), np.array([1, 2]))
    x, y = joint_data(fashion, digits, seed=0)
    is_digit = x.reshape(5, -1)[:, 0] == 1
    np.testing.assert_array_equal(y["fashion"][is_digit], MISSING)
    np.testing.assert_array_equal(y["digits"][~is_digit], MISSING)
    assert sorted(y["fashion"][~is_digit]) == [4, 5, 6]
    assert sorted(y["digits"][is_digit]) == [1, 2]
