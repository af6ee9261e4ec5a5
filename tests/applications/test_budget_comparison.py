"""The label-budget comparison shared by the transfer and semi-supervised
demos: intervals, paired gains, the table's verdicts, the plot, the metrics."""

import json

import keras
import numpy as np
import pytest

from applications.vision.budget_comparison import (
    AccuracyAtSteps,
    budget_metrics,
    curve_gains,
    curve_metrics,
    plot_budgets,
    plot_curve_gains,
    record_results,
    repeated,
    summarise,
    write_curve_table,
    write_curves,
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
    references = {"digits": ("all 500 labels per class", 0.9512)}
    with_reference = write_table(
        {"digits": summary, "other": summary},
        LABELS,
        (0, 1, 2),
        "test",
        tmp_path / "t",
        references=references,
    )
    # Under its own section's table only.
    assert with_reference.count("all 500 labels per class: 0.951.") == 1
    assert with_reference.index("### other") > with_reference.index(
        "all 500 labels per class: 0.951."
    )


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
    plot_budgets(
        {"a": summary},
        LABELS,
        (0, 1, 2),
        tmp_path / "r.png",
        references={"a": ("all labels", 0.95)},
    )
    assert (tmp_path / "r.png").stat().st_size > 1000


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


def test_accuracy_at_steps_records_the_curve_over_phases():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, "softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = []

    def evaluate(model):
        seen.append(model.optimizer.iterations.numpy())
        return float(model.evaluate(x, y, verbose=0)[1])

    at_steps = AccuracyAtSteps((2, 4, 6), evaluate)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[at_steps])
    # A second phase of the same network: its steps are numbered on.
    model.fit(x[:32], y[:32], batch_size=16, epochs=1, verbose=0, callbacks=[at_steps])
    assert sorted(at_steps.accuracies) == [2, 4, 6]
    # Each point is taken right after its step: the optimizer's own count.
    assert seen == [2, 4, 6]
    assert at_steps.accuracies[6] == evaluate(model)


def test_curve_gains_table_metrics_and_plot(tmp_path):
    curves = {
        "finetuned": {1: {25: [0.6, 0.7, 0.65], 100: [0.8, 0.82, 0.81]}},
        "scratch": {1: {25: [0.2, 0.25, 0.3], 100: [0.8, 0.83, 0.80]}},
    }
    gains = curve_gains(curves, (1,))
    (early, gain_25), (late, gain_100) = gains[1]
    assert (early, late) == (25, 100)
    assert gain_25["mean"] == pytest.approx(0.4)
    assert gain_25["significant"] and not gain_100["significant"]
    metrics = curve_metrics("p", gains)
    assert metrics["p_finetuned_gain_1_at_25_steps"] == pytest.approx(0.4)
    low, high = (
        metrics[f"p_finetuned_gain_1_at_100_steps_{k}"] for k in ("low", "high")
    )
    assert low < 0 < high
    lines = write_curve_table({"digits": gains}, "caption", tmp_path / "c.md")
    assert lines[4] == "| steps | 1 label per class |"
    assert lines[6].startswith("| 25 | +0.400 [")
    assert lines[7].endswith("no significant difference |")
    plot_curve_gains({"digits": gains}, (0, 1, 2), tmp_path / "c.png", "gain")
    assert (tmp_path / "c.png").stat().st_size > 1000
    points = [{"seed": 0, "step": 25, "accuracy": 0.6}]
    write_curves({"digits": gains}, points, (0, 1, 2), tmp_path, "cap", "y", "x")
    table = (tmp_path / "gain_vs_steps.md").read_text().splitlines()
    assert table[0] == "cap" and table[1:] == lines[1:]
    assert json.loads((tmp_path / "curves.json").read_text()) == points
    assert (tmp_path / "gain_vs_steps.png").stat().st_size > 1000
