"""Accuracy against the number of labels per class, for several methods run
on the same seeds, each compared with a baseline (training from scratch):
means with 95% intervals, paired differences, a Markdown table, a plot and
flat metrics. Shared by the transfer and semi-supervised demos."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from applications.paired_statistics import mean_interval, paired_difference
from applications.vision.label_budget import repeated_indices


def repeated(x, y, steps, batch_size, seed):
    """`(x, y)` repeated in shuffled passes to exactly `steps` batches: one
    `fit` epoch of a fixed number of steps, whatever the label budget."""
    index = repeated_indices(len(x), steps * batch_size, seed)
    return x[index], y[index]


def summarise(accuracies, budgets, baseline="scratch"):
    """Per budget: each method's mean and 95% interval, and each other
    method's paired difference with `baseline` (same seeds, same order).

    Args:
        accuracies: `{method: {budget: [accuracy per seed]}}`.
        budgets: the label budgets, in order.
        baseline: the method the others are compared with.

    Returns:
        A list of dicts, one per budget: `labels_per_class`, `method ->
        (mean, low, high)` and `method_gain -> paired_difference(...)`.
    """
    rows = []
    for n in budgets:
        row = {"labels_per_class": n}
        for method, by_budget in accuracies.items():
            row[method] = mean_interval(by_budget[n])
            if method != baseline:
                row[f"{method}_gain"] = paired_difference(
                    by_budget[n], accuracies[baseline][n]
                )
        rows.append(row)
    return rows


def interval_text(mean, low, high):
    """`0.823 [0.761, 0.886]`, or the mean alone without an interval."""
    if low is None:
        return f"{mean:.3f}"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def write_table(sections, labels, seeds, evaluate_on, path, baseline="scratch"):
    """The results as Markdown, one table per section.

    Args:
        sections: `{title: summary}` (summaries from `summarise`).
        labels: `{method: column name}`, in column order; `baseline` among them.
        seeds: the seeds run.
        evaluate_on: the name of the evaluation set.
        path: the file to write.
        baseline: the method of the gain columns.

    Returns:
        The lines written.
    """
    others = [m for m in labels if m != baseline]
    lines = [
        f"Accuracy on the {evaluate_on} set: mean over {len(seeds)} seed(s) "
        f"[95% interval]; gain = the paired difference with "
        f"{labels[baseline]} (same seed, same labelled images) [95% interval].",
    ]
    for title, summary in sections.items():
        lines += [
            "",
            f"### {title}",
            "",
            "| labels per class | "
            + " | ".join(labels.values())
            + " | "
            + " | ".join(f"{labels[m]} - {labels[baseline]}" for m in others)
            + " |",
            "|---" * (1 + len(labels) + len(others)) + "|",
        ]
        for row in summary:
            lines.append(
                f"| {row['labels_per_class']} "
                + "".join(f"| {interval_text(*row[m])} " for m in labels)
                + "".join(f"| {row[f'{m}_gain']['verdict']} " for m in others)
                + "|"
            )
    Path(path).write_text("\n".join(lines) + "\n")
    return lines


def plot_budgets(sections, labels, seeds, path, ylabel="accuracy"):
    """Accuracy against labels per class, one panel per section, every
    method with its 95% interval."""
    fig, axes = plt.subplots(
        1, len(sections), figsize=(4.8 * len(sections), 3.8), squeeze=False
    )
    for axis, (title, summary) in zip(axes[0], sections.items(), strict=True):
        budgets = [row["labels_per_class"] for row in summary]
        for method, label in labels.items():
            means = np.array([row[method][0] for row in summary])
            low = np.array([row[method][1] or row[method][0] for row in summary])
            high = np.array([row[method][2] or row[method][0] for row in summary])
            axis.errorbar(
                budgets,
                means,
                yerr=[means - low, high - means],
                marker="o",
                capsize=3,
                label=label,
            )
        axis.set_xscale("log")
        axis.set_xticks(budgets, [str(b) for b in budgets])
        axis.set_xlabel("labelled images per class")
        axis.set_ylabel(ylabel)
        axis.set_title(title, fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    fig.suptitle(f"mean and 95% interval over {len(seeds)} seed(s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def budget_metrics(prefix, summary, methods, baseline="scratch"):
    """Flat metrics of a summary: `prefix_method_accuracy_n` with `_low_n` and
    `_high_n`, and `prefix_method_gain_n` (with `_gain_low_n`, `_gain_high_n`)
    for every method but `baseline`. Intervals are left out with one seed."""
    metrics = {}
    for row in summary:
        n = row["labels_per_class"]
        for method in methods:
            mean, low, high = row[method]
            metrics[f"{prefix}_{method}_accuracy_{n}"] = mean
            if low is not None:
                metrics[f"{prefix}_{method}_low_{n}"] = low
                metrics[f"{prefix}_{method}_high_{n}"] = high
            if method == baseline:
                continue
            gain = row[f"{method}_gain"]
            metrics[f"{prefix}_{method}_gain_{n}"] = gain["mean"]
            if gain["low"] is not None:
                metrics[f"{prefix}_{method}_gain_low_{n}"] = gain["low"]
                metrics[f"{prefix}_{method}_gain_high_{n}"] = gain["high"]
    return metrics
