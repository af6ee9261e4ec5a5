"""Train Fashion-MNIST classes and MNIST digits jointly through one trunk, and
each task alone, from the same few labels; compare test accuracy."""

import json
import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from applications.plots import plot_learning_curves
from applications.vision.label_budget import (
    mean_and_std,
    mnist_5k_split,
    sample_per_class,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.multitask_model import MultiTaskModel

# The metric the demo suite's index shows for this demo.
HEADLINE = "fashion_joint_accuracy"

# No published figure matches this setup (a few labels per class of two data
# sets, one trunk); each task trained alone in the same run is the reference.
PUBLISHED = {}

TASKS = ("fashion", "digits")
MISSING = -1


def build_trunk(config):
    """Raw uint8 (28, 28) images to features: scaling, random shifts, the CNN."""
    images = keras.Input((28, 28), dtype="uint8", name="images")
    x = keras.layers.Rescaling(1.0 / 255.0)(images)
    x = keras.layers.Reshape((28, 28, 1))(x)
    if config.translation:
        x = keras.layers.RandomTranslation(
            config.translation, config.translation, fill_mode="constant"
        )(x)
    x = plain_cnn(
        (28, 28, 1), filters=config.filters, convs_per_block=config.convs_per_block
    )(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(config.dropout)(x)
    return keras.Model(images, x, name="trunk")


def build_model(tasks, config, steps):
    """A `MultiTaskModel` with a softmax head of 10 classes per task, compiled
    with Adam at a learning rate decaying to zero over `steps` steps."""
    heads = {
        task: keras.layers.Dense(10, activation="softmax", name=f"{task}_head")
        for task in tasks
    }
    model = MultiTaskModel(build_trunk(config), heads, missing_label=MISSING)
    weights = {
        "fashion": config.fashion_loss_weight,
        "digits": config.digits_loss_weight,
    }
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)
        ),
        loss=dict.fromkeys(tasks, "sparse_categorical_crossentropy"),
        loss_weights={task: weights[task] for task in tasks},
        metrics={task: ["accuracy"] for task in tasks},
    )
    return model


def joint_data(fashion, digits, seed):
    """Both tasks' images in one set; each image lacks the other task's label."""
    (xf, yf), (xd, yd) = fashion, digits
    x = np.concatenate([xf, xd])
    y = {
        "fashion": np.concatenate([yf, np.full(len(xd), MISSING)]).astype("int64"),
        "digits": np.concatenate([np.full(len(xf), MISSING), yd]).astype("int64"),
    }
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], {task: labels[order] for task, labels in y.items()}


def train(tasks, x, y, seed, config):
    """Builds and trains a model for `tasks` for `config.epochs` epochs."""
    keras.utils.set_random_seed(seed)
    steps = config.epochs * math.ceil(len(x) / config.batch_size)
    model = build_model(tasks, config, max(1, steps))
    history = model.fit(
        x, y, batch_size=config.batch_size, epochs=config.epochs, verbose=config.verbose
    )
    return model, history.history


def write_table(summary, path):
    """The results as a Markdown table: accuracy mean +- std over seeds."""
    lines = [
        "| task | joint (one trunk, both tasks) | task alone | gain |",
        "|---|---|---|---|",
    ]
    for task in TASKS:
        joint, alone = summary[task]["joint"], summary[task]["alone"]
        lines.append(
            f"| {task} | {joint[0]:.4f} ± {joint[1]:.4f} "
            f"| {alone[0]:.4f} ± {alone[1]:.4f} | {joint[0] - alone[0]:+.4f} |"
        )
    Path(path).write_text("\n".join(lines) + "\n")
    return lines


def plot_summary(summary, seeds, path):
    """Bars of test accuracy per task, joint versus alone, with std error bars."""
    fig, axis = plt.subplots(figsize=(5.0, 3.6))
    positions = np.arange(len(TASKS))
    for offset, kind in ((-0.18, "joint"), (0.18, "alone")):
        axis.bar(
            positions + offset,
            [summary[t][kind][0] for t in TASKS],
            width=0.36,
            yerr=[summary[t][kind][1] for t in TASKS],
            capsize=3,
            label=kind,
        )
    low = min(summary[t][k][0] for t in TASKS for k in ("joint", "alone"))
    axis.set_ylim(max(0.0, low - 0.1), 1.0)
    axis.set_xticks(positions, TASKS)
    axis.set_ylabel("test accuracy")
    axis.set_title(f"mean ± std over {len(seeds)} seed(s)", fontsize=9)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_and_evaluate(config):
    """Runs, for every seed, the joint model and each task alone.

    Returns:
        Metrics: for each task, `<task>_joint_accuracy` and
        `<task>_alone_accuracy` (means over seeds) with standard deviations,
        and the SavedModel path of the first seed's joint model.
    """
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (xf_pool, yf_pool), (xf_test, yf_test) = fashion_mnist.load_data(
        data_dir=config.data_dir or None
    )
    if config.fashion_test_size:
        xf_test = xf_test[: config.fashion_test_size]
        yf_test = yf_test[: config.fashion_test_size]
    (xd_pool, yd_pool), (xd_test, yd_test) = mnist_5k_split(config.test_per_class)
    tests = {"fashion": (xf_test, yf_test), "digits": (xd_test, yd_test)}

    def accuracy(model, task):
        x, y = tests[task]
        predictions = model.predict(x, batch_size=500, verbose=0)[task]
        return float(np.mean(predictions.argmax(axis=-1) == y))

    results = {task: {"joint": [], "alone": []} for task in TASKS}
    runs, exported, curves = [], None, {}
    for seed in config.seeds:
        f = sample_per_class(yf_pool, config.per_class, seed)
        d = sample_per_class(yd_pool, config.per_class, seed + 1000)
        fashion = (xf_pool[f], yf_pool[f].astype("int64"))
        digits = (xd_pool[d], yd_pool[d])
        x, y = joint_data(fashion, digits, seed)
        joint, history = train(TASKS, x, y, seed, config)
        if exported is None:
            exported, curves["joint"] = joint, history
        for task, data in (("fashion", fashion), ("digits", digits)):
            alone, history = train((task,), data[0], {task: data[1]}, seed, config)
            curves.setdefault(f"{task} alone", history)
            for kind, model in (("joint", joint), ("alone", alone)):
                value = accuracy(model, task)
                results[task][kind].append(value)
                runs.append(
                    {"seed": seed, "task": task, "kind": kind, "test_accuracy": value}
                )

    summary = {
        task: {kind: mean_and_std(values) for kind, values in kinds.items()}
        for task, kinds in results.items()
    }
    write_table(summary, output_dir / "multitask_table.md")
    plot_summary(summary, config.seeds, output_dir / "multitask_accuracy.png")
    plot_learning_curves(
        curves,
        output_dir / "training_curves.png",
        metrics=("fashion_loss", "digits_loss"),
    )
    (output_dir / "runs.json").write_text(json.dumps(runs, indent=2) + "\n")
    endpoints = exported.serving_endpoints()
    saved_model = export_saved_model(
        exported,
        config.export_dir,
        input_signature=endpoints["serving_default"][1],
        endpoints=endpoints,
        examples={"serving_default": np.concatenate([xf_test[:2], xd_test[:2]])},
    )
    metrics = {}
    for task in TASKS:
        for kind in ("joint", "alone"):
            mean, std = summary[task][kind]
            metrics[f"{task}_{kind}_accuracy"] = mean
            metrics[f"{task}_{kind}_std"] = std
    metrics["labelled_per_class"] = config.per_class
    metrics["seeds"] = len(config.seeds)
    metrics["saved_model"] = str(saved_model)
    return metrics
