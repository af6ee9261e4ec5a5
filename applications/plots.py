"""Plots the demos write: learning curves and confusion matrices (PNG)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_learning_curves(histories, path, metrics=("loss", "accuracy")):
    """Plots training and validation curves of one or more `fit` histories.

    Args:
        histories: dict from label to a `History.history` dict.
        path: the PNG file to write.
        metrics: which logged quantities to plot, one panel each.
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6))
    axes = np.atleast_1d(axes)
    for axis, metric in zip(axes, metrics, strict=True):
        for label, history in histories.items():
            for prefix, style in (("", "-"), ("val_", "--")):
                values = history.get(prefix + metric)
                if values:
                    epochs = np.arange(1, len(values) + 1)
                    split = "validation" if prefix else "train"
                    axis.plot(epochs, values, style, label=f"{label} {split}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion_matrix(labels, predictions, class_names, path):
    """Plots the row-normalised confusion matrix of integer labels.

    Returns:
        The count matrix, `matrix[true, predicted]`.
    """
    n = len(class_names)
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, axis = plt.subplots(figsize=(6.5, 5.5))
    image = axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(n), class_names, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            if matrix[i, j]:
                colour = "white" if rates[i, j] > 0.5 else "black"
                axis.text(
                    j,
                    i,
                    matrix[i, j],
                    ha="center",
                    va="center",
                    fontsize=6,
                    color=colour,
                )
    fig.colorbar(image, ax=axis, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return matrix
