"""The 8x8 handwritten digits shipped with scikit-learn (UCI optdigits).

Read from `sklearn.datasets.load_digits()`: 1,797 images whose pixels count the
set pixels of a 4x4 block of a 32x32 bitmap, so they are integers 0..16.
"""

import numpy as np

from kerastoolkit.datasets import data_location

NUM_CLASSES = 10


def load_data():
    """Loads the 8x8 digits as NumPy arrays.

    Returns:
        `(x, y)`: `x` `uint8` of shape `(1797, 8, 8)`, pixel values 0..16
        (scikit-learn's float values, which are all integers); `y` `int64` of
        shape `(1797,)`, digits 0..9. There is no predefined train/test split.

    Raises:
        DatasetNotFoundError: if scikit-learn is not installed.

    Example:

    >>> x, y = digits.load_data()
    >>> x.shape, int(x.max())
    ((1797, 8, 8), 16)
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise data_location.DatasetNotFoundError(
            "The 8x8 digits ship with scikit-learn, which could not be imported "
            f"({err}). Install the data extra: {data_location.DATA_EXTRA_HINT}"
        ) from err
    bunch = load_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.int64)
