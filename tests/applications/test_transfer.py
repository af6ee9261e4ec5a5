"""The transfer demo end to end (quick): the table, the plot, the metrics for
each label budget, and a SavedModel of the fine-tuned digit classifier."""

import json

import numpy as np
import pytest

from applications.vision.label_budget import (
    mean_and_std,
    mnist_5k_split,
    sample_per_class,
)
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("transfer")


def test_quick_run_writes_the_table_plot_and_metrics(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    for kind in ("transfer", "scratch"):
        assert 0.0 <= metrics[f"{kind}_accuracy_10"] <= 1.0
        assert metrics[f"{kind}_std_10"] == 0.0  # one seed
    assert 0.1 < metrics["pretrain_fashion_test_accuracy"] <= 1.0
    table = (root / "run" / "transfer_table.md").read_text()
    assert "| 10 |" in table and "from scratch" in table
    for name in ("transfer_vs_scratch.png", "pretraining_curves.png", "report.md"):
        assert (root / "run" / name).exists(), name
    runs = json.loads((root / "run" / "runs.json").read_text())
    assert {(r["kind"], r["labels_per_class"]) for r in runs} == {
        ("transfer", 10),
        ("scratch", 10),
    }


def test_saved_model_classifies_raw_digits(quick_run):
    _, record = quick_run
    (_, _), (x_test, _) = mnist_5k_split(test_per_class=50)
    names, probabilities = serving_process().serve(
        record["metrics"]["saved_model"], {"images": x_test[:3]}
    )
    assert probabilities.shape == (3, 10)
    assert [n.decode() for n in names] == [str(i) for i in probabilities.argmax(axis=1)]


def test_mnist_split_and_label_budgets_are_disjoint_and_balanced():
    (x_pool, y_pool), (x_test, y_test) = mnist_5k_split(test_per_class=200)
    assert len(y_test) == 2000 and len(y_pool) == 3000
    assert np.bincount(y_test).tolist() == [200] * 10
    pool_rows = {row.tobytes() for row in x_pool.reshape(len(x_pool), -1)}
    assert not any(row.tobytes() in pool_rows for row in x_test.reshape(2000, -1))
    chosen = sample_per_class(y_pool, 10, seed=3)
    assert np.bincount(y_pool[chosen]).tolist() == [10] * 10
    assert not np.array_equal(chosen, sample_per_class(y_pool, 10, seed=4))
    with pytest.raises(ValueError, match="fewer than per_class=301"):
        sample_per_class(y_pool, 301, seed=0)
    assert mean_and_std([0.5, 0.7]) == pytest.approx((0.6, np.std([0.5, 0.7], ddof=1)))
