"""Image figures the generative demos share: rows of reconstructions, sample
grids, and the 2-D latent map of a VAE."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_reconstructions(rows, path):
    """One row of images per model, the originals first.

    Args:
        rows: dict from row label (e.g. "original", "PCA") to images of shape
            `(n, height, width)`, values in [0, 1]; every row has the same `n`.
        path: the PNG file to write.
    """
    count = len(next(iter(rows.values())))
    fig, axes = plt.subplots(
        len(rows), count, figsize=(1.1 * count + 1.4, 1.15 * len(rows)), squeeze=False
    )
    for row, (label, images) in zip(axes, rows.items(), strict=True):
        for axis, image in zip(row, images, strict=True):
            axis.imshow(np.clip(image, 0, 1), cmap="gray_r", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sample_grids(panels, path, columns=8):
    """Side-by-side grids of samples, one panel per model.

    Args:
        panels: dict from panel title to images of shape `(n, height, width)`.
        path: the PNG file to write.
        columns: images per grid row.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.6))
    for axis, (title, images) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        axis.imshow(
            _tile(np.clip(images, 0, 1), columns), cmap="gray_r", vmin=0, vmax=1
        )
        axis.set_title(title, fontsize=10)
        axis.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _tile(images, columns):
    count, height, width = images.shape
    rows = -(-count // columns)
    canvas = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), 0.15)
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + 1), (index % columns) * (width + 1)
        canvas[top : top + height, left : left + width] = image
    return canvas


def plot_latent_space(codes, labels, class_names, path, title):
    """A scatter plot of 2-D codes, coloured by class.

    Args:
        codes: array of shape `(n, 2)`.
        labels: integer labels of shape `(n,)`, indexing `class_names`.
        class_names: the class names.
        path: the PNG file to write.
        title: the plot's title.
    """
    fig, axis = plt.subplots(figsize=(7.5, 6.2))
    colours = plt.get_cmap("tab10")
    for label, name in enumerate(class_names):
        chosen = labels == label
        axis.scatter(
            codes[chosen, 0],
            codes[chosen, 1],
            s=3,
            alpha=0.6,
            color=colours(label),
            label=name,
        )
    axis.set_xlabel("z1")
    axis.set_ylabel("z2")
    axis.set_title(title, fontsize=10)
    axis.legend(markerscale=4, fontsize=8, loc="best")
    axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
