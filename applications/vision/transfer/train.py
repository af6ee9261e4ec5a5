"""Pretrain on Fashion-MNIST, then learn MNIST digits from 10-100 labels per
class: fine-tuned from the pretrained backbone versus trained from scratch."""

import json
import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from applications.plots import plot_learning_curves
from applications.vision.label_budget import (
    DIGIT_NAMES,
    mean_and_std,
    mnist_5k_split,
    sample_per_class,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.transfer import copy_weights, fine_tune, load_backbone

# The metric the demo suite's index shows for this demo.
HEADLINE = "transfer_accuracy_10"
PUBLISHED = {}


def _epochs(steps, examples, batch_size):
    # Whole epochs giving at least `steps` gradient steps.
    return max(1, math.ceil(steps / math.ceil(examples / batch_size)))


def _cosine(learning_rate, epochs, examples, batch_size):
    # Decays to zero over the phase, so that each run ends on settled weights
    # (and BatchNormalization statistics) rather than wherever Adam last
    # stepped.
    steps = epochs * math.ceil(examples / batch_size)
    return keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps))


def classifier(backbone, class_names, augmentation, config):
    """An `ImageClassifier` of raw (28, 28) uint8 images with a new head."""
    return ImageClassifier(
        backbone,
        num_classes=len(class_names),
        image_shape=(28, 28),
        class_names=class_names,
        augmentation=augmentation,
        pooling="flatten",
        dropout=config.head_dropout,
    )


def _shift(config):
    return [
        keras.layers.RandomTranslation(
            config.translation, config.translation, fill_mode="constant"
        )
    ]


def pretrain(config, output_dir):
    """Trains the Fashion-MNIST classifier (task A), or takes the given one.

    Returns:
        `(path of the .keras model, its Fashion-MNIST test accuracy, history)`.
    """
    if config.pretrained_model:
        return Path(config.pretrained_model), None, None
    keras.utils.set_random_seed(config.seed)
    (x, y), (x_test, y_test) = fashion_mnist.load_data(data_dir=config.data_dir or None)
    if config.pretrain_size:
        order = np.random.default_rng(config.seed).permutation(len(x))
        x, y = x[order[: config.pretrain_size]], y[order[: config.pretrain_size]]
    backbone = plain_cnn(
        (28, 28, 1), filters=config.filters, convs_per_block=config.convs_per_block
    )
    # As the fashion_mnist demo trains: flips only, a cosine-decayed rate.
    model = classifier(
        backbone,
        fashion_mnist.CLASS_NAMES,
        [keras.layers.RandomFlip("horizontal")],
        config,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            _cosine(1e-3, config.pretrain_epochs, len(x), 128)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x, y, batch_size=128, epochs=config.pretrain_epochs, verbose=config.verbose
    )
    _, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    path = output_dir / "pretrained_fashion_mnist.keras"
    model.save(path)
    return path, float(accuracy), history.history


def transfer_run(pretrained_backbone, x, y, seed, config):
    """Task B from the pretrained backbone: a new head, then the top blocks.

    Returns:
        The trained classifier.
    """
    keras.utils.set_random_seed(seed)
    # The same network, fresh, then seeded with the task-A weights.
    backbone = keras.models.clone_model(pretrained_backbone)
    copy_weights(pretrained_backbone, backbone)
    model = classifier(backbone, DIGIT_NAMES, _shift(config), config)
    head_epochs = _epochs(config.head_steps, len(x), config.batch_size)
    fine_tune_epochs = (
        _epochs(config.fine_tune_steps, len(x), config.batch_size)
        if config.fine_tune_steps
        else 0
    )
    fine_tune(
        model,
        backbone,
        x,
        y,
        head_epochs=head_epochs,
        fine_tune_epochs=fine_tune_epochs,
        head_learning_rate=_cosine(
            config.head_learning_rate, head_epochs, len(x), config.batch_size
        ),
        fine_tune_learning_rate=_cosine(
            config.fine_tune_learning_rate,
            fine_tune_epochs,
            len(x),
            config.batch_size,
        ),
        unfreeze_blocks=config.unfreeze_blocks,
        keep_batchnorm_frozen=not config.fine_tune_batchnorm,
        batch_size=config.batch_size,
        verbose=config.verbose,
    )
    return model


def scratch_run(pretrained_backbone, x, y, seed, config):
    """Task B from random weights: the same network, as many steps.

    Returns:
        The trained classifier.
    """
    keras.utils.set_random_seed(seed)
    backbone = keras.models.clone_model(pretrained_backbone)
    model = classifier(backbone, DIGIT_NAMES, _shift(config), config)
    epochs = _epochs(
        config.head_steps + config.fine_tune_steps, len(x), config.batch_size
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            _cosine(config.scratch_learning_rate, epochs, len(x), config.batch_size)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=config.batch_size, epochs=epochs, verbose=config.verbose)
    return model


def write_table(summary, path):
    """The results as a Markdown table: accuracy mean +- std over seeds."""
    lines = [
        "| labels per class | fine-tuned from Fashion-MNIST | from scratch | gain |",
        "|---|---|---|---|",
    ]
    for row in summary:
        lines.append(
            f"| {row['labels_per_class']} "
            f"| {row['transfer_mean']:.4f} ± {row['transfer_std']:.4f} "
            f"| {row['scratch_mean']:.4f} ± {row['scratch_std']:.4f} "
            f"| {row['transfer_mean'] - row['scratch_mean']:+.4f} |"
        )
    Path(path).write_text("\n".join(lines) + "\n")
    return lines


def plot_budgets(summary, seeds, path):
    """Test accuracy against labels per class, transfer versus scratch."""
    budgets = [row["labels_per_class"] for row in summary]
    fig, axis = plt.subplots(figsize=(5.5, 3.8))
    for key, label in (
        ("transfer", "fine-tuned from Fashion-MNIST"),
        ("scratch", "from scratch"),
    ):
        axis.errorbar(
            budgets,
            [row[f"{key}_mean"] for row in summary],
            yerr=[row[f"{key}_std"] for row in summary],
            marker="o",
            capsize=3,
            label=label,
        )
    axis.set_xscale("log")
    axis.set_xticks(budgets, [str(b) for b in budgets])
    axis.set_xlabel("labelled MNIST images per digit")
    axis.set_ylabel("test accuracy")
    axis.set_title(
        f"MNIST 5k test set, mean ± std over {len(seeds)} seed(s)", fontsize=9
    )
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_and_evaluate(config):
    """Pretrains, then runs every (labels per class, seed) both ways.

    Returns:
        Metrics: for each budget n, `transfer_accuracy_n`, `scratch_accuracy_n`
        (means over seeds) and their standard deviations; the pretrained
        model's Fashion-MNIST test accuracy; the SavedModel path.
    """
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    pretrained_path, pretrain_accuracy, pretrain_history = pretrain(config, output_dir)
    if pretrain_history:
        plot_learning_curves(
            {"pretraining on Fashion-MNIST": pretrain_history},
            output_dir / "pretraining_curves.png",
        )
    pretrained_backbone = load_backbone(pretrained_path)

    (x_pool, y_pool), (x_test, y_test) = mnist_5k_split(config.test_per_class)
    runs, summary, exported = [], [], None
    for per_class in config.labels_per_class:
        row = {"labels_per_class": per_class, "transfer": [], "scratch": []}
        for seed in config.seeds:
            chosen = sample_per_class(y_pool, per_class, seed)
            x, y = x_pool[chosen], y_pool[chosen]
            for kind, run in (("transfer", transfer_run), ("scratch", scratch_run)):
                model = run(pretrained_backbone, x, y, seed, config)
                _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
                row[kind].append(float(accuracy))
                runs.append(
                    {
                        "labels_per_class": per_class,
                        "seed": seed,
                        "kind": kind,
                        "test_accuracy": float(accuracy),
                    }
                )
                if kind == "transfer":
                    exported = model
        for kind in ("transfer", "scratch"):
            row[f"{kind}_mean"], row[f"{kind}_std"] = mean_and_std(row[kind])
        summary.append(row)

    write_table(summary, output_dir / "transfer_table.md")
    plot_budgets(summary, config.seeds, output_dir / "transfer_vs_scratch.png")
    (output_dir / "runs.json").write_text(json.dumps(runs, indent=2) + "\n")
    saved_model = export_saved_model(
        exported,
        config.export_dir,
        endpoints=exported.serving_endpoints(),
        examples={"serving_default": x_test[:4]},  # raw uint8 digits
    )
    metrics = {}
    if pretrain_accuracy is not None:
        metrics["pretrain_fashion_test_accuracy"] = pretrain_accuracy
    for row in summary:
        n = row["labels_per_class"]
        metrics[f"transfer_accuracy_{n}"] = row["transfer_mean"]
        metrics[f"transfer_std_{n}"] = row["transfer_std"]
        metrics[f"scratch_accuracy_{n}"] = row["scratch_mean"]
        metrics[f"scratch_std_{n}"] = row["scratch_std"]
    metrics["seeds"] = len(config.seeds)
    metrics["test_images"] = int(len(y_test))
    metrics["saved_model"] = str(saved_model)
    return metrics
