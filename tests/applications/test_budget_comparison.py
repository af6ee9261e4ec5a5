"""The label-budget comparison shared by the transfer and semi-supervised
demos: intervals, paired gains, the table's verdicts, the plot, the metrics."""

import numpy as np
import pytest

from applications.vision.budget_comparison import (
    budget_metrics,
    plot_budgets,
    record_results,
    repeated,
    summarise,
    write_table,
)

ACCURACIES = {
    "finetuned": {1: [0.80, 0.85, 0.82], 10: [0.90, 0.91, 0.90]},
    "probe": {1: [0.70, 0.75, 0.72], 10: [0.80, 0.81, 0.80]},
    "scratch": {1: [0.50, 0.55, 0.52], 10: [0.91, 0.89, 0.90]},
}
LABELS = {"finetuned": "fine-tuned", "probe": "probe", "scratch": "scratch"}


def test_table_reports_intervals_and_says_when_a_gain_is_not_significant(tmp_path):
    summary = summarise(ACCURACIES, (1, 10))
    assert summary[0]["finetuned_gain"]["mean"] == pytest.approx(0.30)
    assert summary[0]["finetuned_gain"]["significant"] is True
    assert summary[1]["finetuned_gain"]["significant"] is False
    assert "scratch_gain" not in summary[0]
    lines = write_table({"digits": summary}, LABELS, (0, 1, 2), "test", tmp_path / "t")
    assert "fine-tuned - scratch | probe - scratch |" in lines[4]
    assert "+0.300 [" in lines[-2] and "no significant" not in lines[-2]
    assert lines[-1].count("no significant difference") == 1  # not probe - scratch
    assert "0.823 [0.761, 0.886]" in lines[-2]  # mean +- t(2) x sem


def test_metrics_and_plot(tmp_path):
    summary = summarise(ACCURACIES, (1, 10))
    metrics = budget_metrics("p", summary, tuple(LABELS))
    assert metrics["p_finetuned_gain_1"] == pytest.approx(0.30)
    assert metrics["p_scratch_low_10"] < 0.90 < metrics["p_scratch_high_10"]
    assert "p_scratch_gain_1" not in metrics
    one_seed = summarise({m: {1: v[1][:1]} for m, v in ACCURACIES.items()}, (1,))
    assert "p_probe_low_1" not in budget_metrics("p", one_seed, tuple(LABELS))
    plot_budgets({"a": summary, "b": one_seed}, LABELS, (0, 1, 2), tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_repeated_makes_exactly_the_steps_asked():
    x, y = np.arange(10), np.arange(10) * 2
    xr, yr = repeated(x, y, steps=4, batch_size=8, seed=0)
    assert len(xr) == 32 and np.array_equal(yr, xr * 2)
    assert sorted(xr[:10]) == list(range(10))


def test_results_are_recorded_per_method_and_budget_with_their_context(capsys):
    accuracies = {"joint": {5: [], 10: []}, "alone": {5: [], 10: []}}
    runs = []
    record_results({"joint": 0.8, "alone": 0.7}, accuracies, runs, 10, 3, pairing="p")
    record_results({"joint": 0.9, "alone": 0.6}, accuracies, runs, 10, 4, pairing="p")
    # One progress line per (budget, seed): full runs keep Keras quiet.
    assert capsys.readouterr().out.splitlines()[1] == (
        "  pairing=p 10 labels per class, seed 4: joint 0.900, alone 0.600"
    )
    assert accuracies == {
        "joint": {5: [], 10: [0.8, 0.9]},
        "alone": {5: [], 10: [0.7, 0.6]},
    }
    assert runs[1] == {
        "pairing": "p",
        "labels_per_class": 10,
        "seed": 3,
        "method": "alone",
        "accuracy": 0.7,
    }
    assert list(runs[0]) == [
        "pairing",
        "labels_per_class",
        "seed",
        "method",
        "accuracy",
    ]
    assert [r["seed"] for r in runs] == [3, 3, 4, 4]
