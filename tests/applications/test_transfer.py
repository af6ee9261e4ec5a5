"""The transfer demo: the task pairs' splits, the paired table, and one quick
run (MNIST 5k -> sklearn digits at 5 labels per class) whose fine-tuned
network beats the same network from scratch by the guard's margin, and whose
guard fails when fine-tuning learns nothing."""

import json

import numpy as np
import pytest

from applications.vision.label_budget import (
    DIGIT_NAMES,
    mean_and_std,
    mnist_5k_split,
    repeated_indices,
    sample_per_class,
    split_per_class,
)
from applications.vision.transfer.config import Config
from applications.vision.transfer.pairings import (
    PAIRINGS,
    POOL_PER_CLASS,
    load_pairing,
)
from applications.vision.transfer.train import GUARDS
from kerastoolkit.testing import serving_process
from tests.applications.run_checks import check_gain_curve, failed_guard_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("transfer")


def test_quick_run_fine_tuned_beats_scratch_by_the_guard_margin(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    (guard,) = record["guards"]
    # The guard: after the first curve step (25) the fine-tuned network is
    # ahead; the quick run's end (120 steps) shows the same direction.
    assert guard["metric"] == "low_budget_finetuned_early_accuracy"
    assert guard["baseline"] == "low_budget_scratch_early_accuracy"
    assert guard["passed"], guard["text"]
    assert (
        metrics["digits_style_finetuned_accuracy_5"]
        > metrics["digits_style_scratch_accuracy_5"] + GUARDS[0].margin
    )
    # The pretrained features alone (the linear probe) beat chance by far.
    assert metrics["digits_style_probe_accuracy_5"] > 0.5
    # Three seeds: intervals exist and hold their means.
    for method in ("finetuned", "probe", "scratch"):
        low = metrics[f"digits_style_{method}_low_5"]
        high = metrics[f"digits_style_{method}_high_5"]
        assert low <= metrics[f"digits_style_{method}_accuracy_5"] <= high
    assert metrics["digits_style_pretrain_accuracy"] > 0.8  # MNIST, task A
    # Every label of the pool, from scratch: above the few-label networks.
    reference = metrics["digits_style_all_labels_accuracy"]
    assert reference > metrics["digits_style_scratch_accuracy_5"] + 0.05


def test_quick_run_writes_the_table_plots_and_runs(quick_run):
    root, _ = quick_run
    table = (root / "run" / "transfer_table.md").read_text()
    assert "MNIST 5k -> 8x8 sklearn digits" in table and "| 5 |" in table
    for name in ("transfer_vs_scratch.png", "pretraining_curves.png", "report.md"):
        assert (root / "run" / name).exists(), name
    # The reference with every label of the pool, under the table.
    images = len(load_pairing("digits_style")["pool"][1])
    assert f"from scratch, all {images} labelled images (300 steps): 0." in table
    runs = json.loads((root / "run" / "runs.json").read_text())
    assert len(runs) == 9  # 3 seeds x 3 methods
    assert {r["method"] for r in runs} == {"finetuned", "probe", "scratch"}


def test_quick_run_records_the_gain_along_training(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    steps = (*Config.quick().curve_steps, 120)  # 60 probe + 60 fine-tuning
    mean_at = check_gain_curve(
        root / "run", metrics, "digits_style", ("finetuned", "scratch"), 5, steps, 3
    )
    # The guard's pair: both networks after the first curve step.
    for method in ("finetuned", "scratch"):
        assert metrics[f"low_budget_{method}_early_accuracy"] == pytest.approx(
            mean_at(method, steps[0])
        )
    # The report carries the demo's tables.
    report = (root / "run" / "report.md").read_text()
    assert "## gain_vs_steps" in report and "| 25 |" in report


def test_saved_model_classifies_raw_upsampled_digits(quick_run):
    _, record = quick_run
    x_test, _ = load_pairing("digits_style")["test"]
    names, probabilities = serving_process().serve(
        record["metrics"]["saved_model"], {"images": x_test[:3]}
    )
    assert probabilities.shape == (3, 10)
    assert [n.decode() for n in names] == [
        DIGIT_NAMES[i] for i in probabilities.argmax(axis=1)
    ]


def test_guard_fails_when_fine_tuning_learns_nothing(tmp_path):
    # Learning rates 0 for the new head and fine-tuning: the fine-tuned
    # network keeps its random head, while scratch (the baseline) learns.
    failed_guard_run(
        "transfer",
        tmp_path,
        {
            "head_learning_rate": 0.0,
            "fine_tune_learning_rate": 0.0,
            "pretrain_epochs": 1,
            "seeds": (0,),
        },
        match="low_budget_finetuned_early_accuracy",
    )


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_pairings_have_disjoint_balanced_splits(pairing):
    data = load_pairing(pairing, pretrain_size=500)
    assert len(data["source"][0]) == 500
    # Task A's labels index its class names, as the classifier's head does.
    for part in ("source", "source_test"):
        labels = data[part][1]
        assert set(np.unique(labels)) == set(range(len(data["source_names"]))), part
    classes = len(data["target_names"])
    keys = {}
    for part in ("pool", "validation", "test"):
        x, y = data[part]
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28)
        assert set(np.unique(y)) == set(range(classes)), part
        keys[part] = {row.tobytes() for row in x.reshape(len(x), -1)}
    assert not keys["test"] & keys["pool"] and not keys["test"] & keys["validation"]
    assert np.bincount(data["pool"][1]).min() >= POOL_PER_CLASS[pairing]
    if pairing == "fashion_split":  # task A and task B share no class
        assert set(data["source_names"]).isdisjoint(data["target_names"])


def test_label_budget_splits_and_repetitions():
    (x_pool, y_pool), (x_test, y_test) = mnist_5k_split(test_per_class=200)
    assert len(y_test) == 2000 and len(y_pool) == 3000
    assert np.bincount(y_test).tolist() == [200] * 10
    chosen = sample_per_class(y_pool, 10, seed=3)
    assert np.bincount(y_pool[chosen]).tolist() == [10] * 10
    assert not np.array_equal(chosen, sample_per_class(y_pool, 10, seed=4))
    with pytest.raises(ValueError, match="fewer than per_class=301"):
        sample_per_class(y_pool, 301, seed=0)
    assert mean_and_std([0.5, 0.7]) == pytest.approx((0.6, np.std([0.5, 0.7], ddof=1)))
    labels = np.repeat(np.arange(3), 10)
    first, second, rest = split_per_class(labels, (2, 3), seed=0)
    assert np.bincount(labels[first]).tolist() == [2, 2, 2]
    assert np.bincount(labels[second]).tolist() == [3, 3, 3]
    assert len(rest) == 15
    assert len(set(first) | set(second) | set(rest)) == 30
    with pytest.raises(ValueError, match=r"the 11 the split \(5, 6\) needs"):
        split_per_class(labels, (5, 6), seed=0)
    index = repeated_indices(7, 20, seed=0)
    assert len(index) == 20 and sorted(index[:7]) == list(range(7))
    assert sorted(index[7:14]) == list(range(7))
