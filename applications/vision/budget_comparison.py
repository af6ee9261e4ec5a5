"""Accuracy against the number of labels per class, for several methods run
on the same seeds, each compared with a baseline (training from scratch):
the runs themselves (a linear probe then fine-tuning, or training from
scratch, for a fixed number of steps), means with 95% intervals, paired
differences, a Markdown table, a plot and flat metrics. Shared by the
transfer, semi-supervised and multitask demos."""

import json
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from applications.paired_statistics import mean_interval, paired_difference
from applications.vision.label_budget import repeated_indices
from kerastoolkit.transfer import fine_tune, linear_probe


def repeated(x, y, steps, batch_size, seed):
    """`(x, y)` repeated in shuffled passes to exactly `steps` batches: one
    `fit` epoch of a fixed number of steps, whatever the label budget."""
    index = repeated_indices(len(x), steps * batch_size, seed)
    return x[index], y[index]


def cosine(learning_rate, steps):
    """Cosine decay from `learning_rate` to zero over `steps` (at least one),
    so that each training phase ends on settled weights."""
    return keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps))


def evaluator(x, y):
    """`evaluate(model) -> accuracy` of a compiled classifier on `(x, y)`."""

    def evaluate(model):
        _, accuracy = model.evaluate(x, y, batch_size=500, verbose=0)
        return float(accuracy)

    return evaluate


class AccuracyAtSteps(keras.callbacks.Callback):
    """Records `evaluate(model)` after each of `steps` gradient steps, in
    `accuracies` (`{step: accuracy}`): the learning curve of one network.

    Steps are counted over every `fit` call it is passed to: pass it to each
    phase of one network's training (e.g. a linear probe, then fine-tuning).
    """

    def __init__(self, steps, evaluate):
        super().__init__()
        self.steps = frozenset(steps)
        self.evaluate = evaluate
        self.taken = 0
        self.accuracies = {}

    def on_train_batch_end(self, batch, logs=None):
        self.taken += 1
        if self.taken in self.steps:
            self.accuracies[self.taken] = self.evaluate(self.model)


class Curves:
    """Learning curves of several methods over label budgets and seeds: each
    network's accuracy after each of `steps` (its last step included),
    measured by `AccuracyAtSteps` on a fixed random subset of the evaluation
    images (evaluating every network several more times on a whole test set
    would cost a large part of its training).

    Args:
        methods: the methods compared (e.g. `("finetuned", "scratch")`).
        budgets: the label budgets.
        steps: the steps measured before the end of training.
        last_step: the networks' last step, measured too.
        x, y: the evaluation images and labels.
        size: the subset's size (0 = all of them).
        seed: the subset's seed.
        accuracy: `accuracy(model, x, y)`, the default a compiled
            classifier's `evaluate` (see `evaluator`).
    """

    def __init__(
        self, methods, budgets, steps, last_step, x, y, size, seed, accuracy=None
    ):
        self.methods, self.budgets = tuple(methods), budgets
        self.steps = (*sorted(steps), last_step)
        index = np.random.default_rng(seed).permutation(len(x))[: size or len(x)]
        x, y = x[index], y[index]
        self.evaluate = (
            evaluator(x, y) if accuracy is None else lambda m: accuracy(m, x, y)
        )
        self.values = {
            m: {n: {s: [] for s in self.steps} for n in budgets} for m in methods
        }

    def recorders(self):
        """`{method: AccuracyAtSteps}` for one (budget, seed)'s networks."""
        return {m: AccuracyAtSteps(self.steps, self.evaluate) for m in self.methods}

    def add(self, recorders, labels_per_class, seed, runs, **context):
        """Keeps the recorders' points, and adds one row per point to `runs`."""
        for method, recorder in recorders.items():
            for step in self.steps:
                value = recorder.accuracies[step]
                self.values[method][labels_per_class][step].append(value)
                runs.append(
                    _row(context, labels_per_class, seed, method, value, step=step)
                )

    def mean(self, method, labels_per_class, step):
        """The mean over seeds of one point."""
        return float(np.mean(self.values[method][labels_per_class][step]))

    def gains(self, method, baseline):
        """`curve_gains` of `method` over `baseline`."""
        return curve_gains(self.values, self.budgets, method, baseline)


def _callbacks(at_steps):
    return [] if at_steps is None else [at_steps]


def train_probe(model, backbone, x, y, seed, config, at_steps=None):
    """`model`'s head trained on the frozen `backbone`: a linear probe of
    `config.head_steps` steps on `(x, y)` repeated, its learning rate decayed
    from `config.head_learning_rate` to zero. `at_steps`: an optional
    `AccuracyAtSteps` of this training."""
    linear_probe(
        model,
        backbone,
        *repeated(x, y, config.head_steps, config.batch_size, seed),
        epochs=1,
        learning_rate=cosine(config.head_learning_rate, config.head_steps),
        batch_size=config.batch_size,
        verbose=config.verbose,
        callbacks=_callbacks(at_steps),
    )


def probe_then_fine_tune(
    model, backbone, x, y, seed, config, evaluate, at_steps=None, **options
):
    """The linear probe (`train_probe`), then, when `config.fine_tune_steps`,
    the top of `backbone` fine-tuned with the head for that many steps, its
    learning rate decayed from `config.fine_tune_learning_rate` to zero.

    Args:
        at_steps: an optional `AccuracyAtSteps`, recording both phases (steps
            counted from the probe's first).
        options: more `kerastoolkit.transfer.fine_tune` arguments
            (`unfreeze_blocks`, `keep_batchnorm_frozen`).

    Returns:
        `(probe accuracy, fine-tuned accuracy)`, both from `evaluate(model)`
        (the same value twice without fine-tuning).
    """
    train_probe(model, backbone, x, y, seed, config, at_steps)
    probe = evaluate(model)
    if config.fine_tune_steps:
        fine_tune(
            model,
            backbone,
            *repeated(x, y, config.fine_tune_steps, config.batch_size, seed + 1),
            head_epochs=0,
            fine_tune_epochs=1,
            fine_tune_learning_rate=cosine(
                config.fine_tune_learning_rate, config.fine_tune_steps
            ),
            batch_size=config.batch_size,
            verbose=config.verbose,
            callbacks=_callbacks(at_steps),
            **options,
        )
    return probe, evaluate(model)


def train_from_scratch(model, x, y, seed, config, evaluate, at_steps=None):
    """`model` trained whole from its initial weights for as many steps as
    the probe and fine-tuning take together (Adam, cosine decay from
    `config.scratch_learning_rate`); returns `evaluate(model)`. `at_steps`:
    an optional `AccuracyAtSteps` of this training."""
    steps = config.head_steps + config.fine_tune_steps
    model.compile(
        optimizer=keras.optimizers.Adam(cosine(config.scratch_learning_rate, steps)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        *repeated(x, y, steps, config.batch_size, seed),
        batch_size=config.batch_size,
        epochs=1,
        verbose=config.verbose,
        callbacks=_callbacks(at_steps),
    )
    return evaluate(model)


def record_results(results, accuracies, runs, labels_per_class, seed, **context):
    """Adds one (budget, seed)'s `{method: accuracy}` to `accuracies`
    (`{method: {budget: [...]}}`) and one row per method to `runs`, the
    `context` (e.g. `pairing=...`) first, and prints it as one progress
    line: a full run trains hundreds of small networks with Keras's own
    progress output off."""
    where = "".join(f"{key}={value} " for key, value in context.items())
    scores = ", ".join(f"{method} {value:.3f}" for method, value in results.items())
    print(
        f"  {where}{labels_per_class} labels per class, seed {seed}: {scores}",
        flush=True,
    )
    for method, value in results.items():
        accuracies[method][labels_per_class].append(value)
        runs.append(_row(context, labels_per_class, seed, method, value))


def _row(context, labels_per_class, seed, method, accuracy, **where):
    """One row of `runs.json` or `curves.json`: the context (e.g. the
    pairing) first, `where` (e.g. the step) before the accuracy."""
    return {
        **context,
        "labels_per_class": labels_per_class,
        "seed": seed,
        "method": method,
        **where,
        "accuracy": accuracy,
    }


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


def write_table(
    sections, labels, seeds, evaluate_on, path, baseline="scratch", references=None
):
    """The results as Markdown, one table per section.

    Args:
        sections: `{title: summary}` (summaries from `summarise`).
        labels: `{method: column name}`, in column order; `baseline` among them.
        seeds: the seeds run.
        evaluate_on: the name of the evaluation set.
        path: the file to write.
        baseline: the method of the gain columns.
        references: optional `{title: (text, accuracy)}`, a reference
            accuracy written under that section's table (e.g. every label).

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
        reference = (references or {}).get(title)
        if reference is not None:
            text, accuracy = reference
            lines += ["", f"{text}: {accuracy:.3f}."]
    Path(path).write_text("\n".join(lines) + "\n")
    return lines


def _errorbar(axis, xs, intervals, label):
    """One line of `(mean, low, high)` points with their 95% intervals (no
    bar where `low` is None: one seed)."""
    means = np.array([mean for mean, _, _ in intervals])
    low = np.array([mean if lo is None else lo for mean, lo, _ in intervals])
    high = np.array([mean if hi is None else hi for mean, _, hi in intervals])
    axis.errorbar(
        xs, means, yerr=[means - low, high - means], marker="o", capsize=3, label=label
    )


def _panels(sections, seeds, path, xlabel, ylabel, draw):
    """One panel per section on a log x axis; `draw(axis, section)` draws a
    panel's lines and returns its x ticks."""
    fig, axes = plt.subplots(
        1, len(sections), figsize=(4.8 * len(sections), 3.8), squeeze=False
    )
    for axis, (title, section) in zip(axes[0], sections.items(), strict=True):
        ticks = draw(axis, section)
        axis.set_xscale("log")
        axis.set_xticks(ticks, [str(tick) for tick in ticks])
        axis.minorticks_off()
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.set_title(title, fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    fig.suptitle(f"mean and 95% interval over {len(seeds)} seed(s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_budgets(sections, labels, seeds, path, ylabel="accuracy", references=None):
    """Accuracy against labels per class, one panel per section, every
    method with its 95% interval; `references` (`{title: (text, accuracy)}`,
    optional) are dashed horizontal lines in their sections' panels."""

    def draw(axis, section):
        summary, reference = section
        budgets = [row["labels_per_class"] for row in summary]
        for method, label in labels.items():
            _errorbar(axis, budgets, [row[method] for row in summary], label)
        if reference is not None:
            text, accuracy = reference
            axis.axhline(accuracy, color="k", ls="--", lw=0.8, label=text)
        return budgets

    panels = {
        title: (summary, (references or {}).get(title))
        for title, summary in sections.items()
    }
    _panels(panels, seeds, path, "labelled images per class", ylabel, draw)


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


def _per_class(n):
    return f"{n} label{'' if n == 1 else 's'} per class"


def curve_gains(curves, budgets, method="finetuned", baseline="scratch"):
    """Paired gains along training: per budget and step, the paired
    difference `method - baseline` of the accuracies recorded after that
    many steps.

    Args:
        curves: `{method: {budget: {step: [accuracy per seed]}}}`.
        budgets: the label budgets, in order.

    Returns:
        `{budget: [(step, paired_difference(...)), ...]}`, steps ascending.
    """
    return {
        n: [
            (step, paired_difference(values, curves[baseline][n][step]))
            for step, values in sorted(curves[method][n].items())
        ]
        for n in budgets
    }


def curve_metrics(prefix, gains, method="finetuned"):
    """Flat metrics of `curve_gains`: `prefix_method_gain_n_at_s_steps`, with
    `_low` and `_high` versions (left out with one seed)."""
    metrics = {}
    for n, points in gains.items():
        for step, gain in points:
            name = f"{prefix}_{method}_gain_{n}_at_{step}_steps"
            metrics[name] = gain["mean"]
            if gain["low"] is not None:
                metrics[f"{name}_low"] = gain["low"]
                metrics[f"{name}_high"] = gain["high"]
    return metrics


def plot_curve_gains(sections, seeds, path, ylabel, xlabel="gradient steps"):
    """The paired gain against gradient steps, one panel per section and one
    line per label budget, with 95% intervals and the zero line."""

    def draw(axis, gains):
        for n, points in gains.items():
            steps = [step for step, _ in points]
            intervals = [(g["mean"], g["low"], g["high"]) for _, g in points]
            _errorbar(axis, steps, intervals, _per_class(n))
        axis.axhline(0.0, color="black", linewidth=0.8)
        return steps

    _panels(sections, seeds, path, xlabel, ylabel, draw)


def write_curve_table(sections, caption, path, first_column="steps"):
    """`curve_gains` as Markdown: one table per section, a row per step (or
    whatever the x axis counts: `first_column`) and a column per label
    budget, each cell the paired gain [95% interval].

    Returns:
        The lines written.
    """
    lines = [caption]
    for title, gains in sections.items():
        budgets = list(gains)
        steps = [step for step, _ in gains[budgets[0]]]
        lines += [
            "",
            f"### {title}",
            "",
            f"| {first_column} | " + " | ".join(_per_class(n) for n in budgets) + " |",
            "|---" * (1 + len(budgets)) + "|",
        ]
        for i, step in enumerate(steps):
            cells = "".join(f"| {gains[n][i][1]['verdict']} " for n in budgets)
            lines.append(f"| {step} {cells}|")
    Path(path).write_text("\n".join(lines) + "\n")
    return lines


def write_curves(
    sections,
    runs,
    seeds,
    output_dir,
    caption,
    ylabel,
    xlabel,
    name="gain_vs_steps",
    first_column="steps",
):
    """A demo's curve outputs in `output_dir`: `NAME.md` (`caption`, then
    `write_curve_table`), `NAME.png` (`plot_curve_gains`) and, unless `runs`
    is None, every point in `curves.json` (rows from `Curves.add`).

    Args:
        sections: `{title: curve_gains(...)}`, e.g. one per pairing.
        runs: the rows of every point, or None.
        seeds: the seeds run.
        output_dir: the run's directory.
        caption, ylabel, xlabel: the table's caption and the plot's axes.
        name: the table's and the plot's file name, without its suffix.
        first_column: the table's x axis (`write_curve_table`).
    """
    output_dir = Path(output_dir)
    write_curve_table(sections, caption, output_dir / f"{name}.md", first_column)
    plot_curve_gains(sections, seeds, output_dir / f"{name}.png", ylabel, xlabel)
    if runs is not None:
        (output_dir / "curves.json").write_text(json.dumps(runs, indent=2) + "\n")
