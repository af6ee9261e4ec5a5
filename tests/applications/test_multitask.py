"""The multitask demo: one quick run (upsampled sklearn digits from 5 labels
per class, jointly with the MNIST 5k digits) whose joint network learns far
above chance (the guard), with the single-task network and the paired gain
reported beside it; the table, plot and a SavedModel with one output per task;
how the joint batches are built; and the guard failing when nothing learns."""

import dataclasses
import json

import numpy as np
import pytest

from applications.vision.label_budget import DIGITS_TEST_PER_CLASS
from applications.vision.multitask.config import VALIDATION_PER_CLASS, Config
from applications.vision.multitask.train import (
    COARSE,
    GUARDS,
    MISSING,
    interleaved,
    load_digits,
    load_fashion,
    rotated,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.testing import serving_process
from tests.applications.run_checks import check_gain_curve, failed_guard_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("multitask")


def test_quick_run_learns_and_reports_the_paired_gain(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    (guard,) = record["guards"]
    assert guard["metric"] == "low_budget_joint_accuracy"
    assert guard["baseline"] == "chance_accuracy"
    assert guard["passed"], guard["text"]
    assert metrics["chance_accuracy"] == pytest.approx(0.1)
    assert metrics["digits_style_joint_accuracy_5"] > 0.1 + GUARDS[0].margin
    # The single-task network, same steps and labelled batches, learns too.
    assert metrics["digits_style_alone_accuracy_5"] > 0.5
    # The paired gain is the mean of the per-seed differences.
    assert metrics["digits_style_joint_gain_5"] == pytest.approx(
        metrics["digits_style_joint_accuracy_5"]
        - metrics["digits_style_alone_accuracy_5"]
    )
    # Three seeds: intervals exist and hold their means.
    for method in ("joint", "alone"):
        low = metrics[f"digits_style_{method}_low_5"]
        high = metrics[f"digits_style_{method}_high_5"]
        assert low <= metrics[f"digits_style_{method}_accuracy_5"] <= high
    gain_low = metrics["digits_style_joint_gain_low_5"]
    assert gain_low <= metrics["digits_style_joint_gain_5"]
    # The auxiliary head learnt MNIST: chance is 1 in 10.
    assert metrics["digits_style_auxiliary_accuracy"] > 0.7


def test_quick_run_writes_the_table_plot_and_runs(quick_run):
    root, _ = quick_run
    table = (root / "run" / "multitask_table.md").read_text()
    assert "jointly with MNIST 5k digits" in table and "| 5 |" in table
    for name in ("multitask_accuracy.png", "report.md"):
        assert (root / "run" / name).exists(), name
    runs = json.loads((root / "run" / "runs.json").read_text())
    assert len(runs) == 6  # 3 seeds x (joint, alone)
    assert {r["method"] for r in runs} == {"joint", "alone"}


def test_quick_run_records_the_gain_along_training(quick_run):
    root, record = quick_run
    steps = (*Config.quick().curve_steps, Config.quick().steps)
    check_gain_curve(
        root / "run", record["metrics"], "digits_style", ("joint", "alone"), 5, steps, 3
    )


def test_saved_model_has_one_output_per_task(quick_run):
    _, record = quick_run
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    digits, mnist = serving_process().serve(record["metrics"]["saved_model"], [images])
    for probabilities in (digits, mnist):
        assert probabilities.shape == (3, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_guard_fails_when_nothing_learns(tmp_path):
    # Learning rate 0: the joint network keeps its random weights, near
    # chance.
    failed_guard_run(
        "multitask",
        tmp_path,
        {"learning_rate": 0.0, "seeds": (0,), "steps": 4, "curve_steps": (2,)},
        match="low_budget_joint_accuracy",
    )


def test_interleaved_steps_hold_both_tasks_each_missing_the_other():
    steps, b, a = 3, 2, 4
    main = (np.zeros((steps * b, 28, 28), "uint8"), np.arange(steps * b))
    auxiliary = (np.ones((steps * a, 28, 28), "uint8"), 100 + np.arange(steps * a))
    x, (y_main, y_aux) = interleaved(main, auxiliary, steps)
    assert x.shape == (steps * (b + a), 28, 28)
    for step in range(steps):
        rows = slice(step * (b + a), (step + 1) * (b + a))
        # Each batch of b + a rows: its main-task images, then its auxiliary ones.
        assert x[rows, 0, 0].tolist() == [0] * b + [1] * a
        assert y_main[rows].tolist() == [step * b, step * b + 1] + [MISSING] * a
        assert y_aux[rows].tolist() == [MISSING] * b + list(
            100 + np.arange(step * a, (step + 1) * a)
        )


def test_rotated_images_are_labelled_by_their_quarter_turns():
    images = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    turned, turns = rotated(images, seed=0)
    assert set(turns.tolist()) == {0, 1, 2, 3}
    for image, out, k in zip(images, turned, turns, strict=True):
        np.testing.assert_array_equal(out, np.rot90(image, k))


def test_coarse_groups_are_clothing_footwear_and_bag():
    groups = {
        name: int(COARSE[label]) for label, name in enumerate(fashion_mnist.CLASS_NAMES)
    }
    assert [n for n, g in groups.items() if g == 1] == [
        "Sandal",
        "Sneaker",
        "Ankle boot",
    ]
    assert [n for n, g in groups.items() if g == 2] == ["Bag"]
    assert sum(g == 0 for g in groups.values()) == 6


def test_validation_sets_are_held_out_of_the_pool_and_the_auxiliary_images():
    config = Config.quick()
    digits = load_digits()
    assert (
        np.bincount(digits["validation"][1]).tolist()
        == [VALIDATION_PER_CLASS["digits"]] * 10
    )
    # Images held out are not in the pool (the 8x8 digits repeat rarely: any
    # repeat would be a duplicate in the data, not a leak).
    pool = {image.tobytes() for image in digits["pool"][0]}
    assert not any(image.tobytes() in pool for image in digits["validation"][0])
    assert len(digits["pool"][1]) + 10 * (DIGITS_TEST_PER_CLASS + 20) == 1797
    fashion = load_fashion(config)
    x_val, y_val = fashion["validation"]
    assert np.bincount(y_val).tolist() == [VALIDATION_PER_CLASS["fashion"]] * 10
    assert len(fashion["pool"][1]) == 60000 - 1000
    held_out = {image.tobytes() for image in x_val}
    # Neither the labelled pool nor the auxiliary images (rotation, coarse
    # labels) hold a validation image.
    for part in ("pool", "auxiliary"):
        assert not any(image.tobytes() in held_out for image in fashion[part][0])
    assert len(fashion["auxiliary"][1]) == config.auxiliary_size
    with pytest.raises(ValueError, match="`evaluate_on` must be one of"):
        dataclasses.replace(config, evaluate_on="train")
