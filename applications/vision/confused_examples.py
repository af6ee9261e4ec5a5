"""The report figure of a classifier's worst mistakes: the most confused class
pairs, with the test images it got most confidently wrong for each."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def most_confused_pairs(matrix, top=4):
    """The `top` largest off-diagonal cells of a confusion matrix.

    Args:
        matrix: counts, `matrix[true, predicted]`.
        top: how many pairs.

    Returns:
        A list of `(true, predicted, count)`, largest count first, counts > 0.
    """
    matrix = np.asarray(matrix).copy()
    np.fill_diagonal(matrix, 0)
    # Largest first; ties in row-major order.
    order = np.argsort(-matrix, axis=None, kind="stable")[:top]
    pairs = []
    for flat in order:
        true, predicted = np.unravel_index(flat, matrix.shape)
        if matrix[true, predicted] > 0:
            pairs.append((int(true), int(predicted), int(matrix[true, predicted])))
    return pairs


def plot_confused_examples(
    images, labels, probabilities, class_names, path, pairs=4, per_pair=8
):
    """Draws, for each of the most confused pairs, the misclassified images
    with the highest probability given to the wrong class.

    Args:
        images: `(n, height, width)` or `(n, height, width, channels)` images.
        labels: `(n,)` integer labels.
        probabilities: `(n, num_classes)` predicted probabilities.
        class_names: names indexed by label.
        path: the PNG file to write.
        pairs: how many confused pairs (rows).
        per_pair: how many images per pair (columns).

    Returns:
        The pairs drawn, as `most_confused_pairs` gives them.
    """
    labels = np.asarray(labels).astype(int)
    probabilities = np.asarray(probabilities)
    predictions = probabilities.argmax(axis=-1)
    n = len(class_names)
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    chosen = most_confused_pairs(matrix, top=pairs)
    rows = max(1, len(chosen))
    fig, axes = plt.subplots(
        rows, per_pair, figsize=(1.3 * per_pair, 1.6 * rows), squeeze=False
    )
    for axis in axes.ravel():
        axis.axis("off")
    for row, (true, predicted, count) in enumerate(chosen):
        wrong = np.flatnonzero((labels == true) & (predictions == predicted))
        wrong = wrong[np.argsort(-probabilities[wrong, predicted])][:per_pair]
        for column, index in enumerate(wrong):
            axis = axes[row, column]
            image = np.squeeze(images[index])
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None)
            axis.set_title(f"p={probabilities[index, predicted]:.2f}", fontsize=7)
        axes[row, 0].text(
            -0.15,
            0.5,
            f"{class_names[true]}\nas {class_names[predicted]}\n({count})",
            transform=axes[row, 0].transAxes,
            ha="right",
            va="center",
            fontsize=8,
        )
    fig.suptitle("Most confused test images: true class, taken as (count)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return chosen
