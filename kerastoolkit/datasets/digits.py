"""The 8x8 handwritten digits shipped with scikit-learn (UCI optdigits).

Read from `sklearn.datasets.load_digits()`: 1,797 images whose pixels count the
set pixels of a 4x4 block of a 32x32 bitmap, so they are integers 0..16.
"""

import numpy as np

from kerastoolkit.datasets import data_location
from kerastoolkit.utils import argument_checks

NUM_CLASSES = 10
MAX_VALUE = 16


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


def upsample(images, size=28, box=None):
    """8x8 digits to `size` x `size` float images in [0, 1], MNIST-like.

    Each image is scaled by 1/16, resized bilinearly to `box` x `box` and
    centred on a black `size` x `size` canvas. MNIST's digits fill a 20x20
    box of their 28x28 frame, so `box=20` gives the sklearn digits MNIST's
    scale; `box=None` fills the frame.

    Args:
        images: `(n, 8, 8)` values 0..16, as `load_data` returns them.
        size: the side of the output images.
        box: the side of the resized digit, at most `size` (None: `size`).

    Returns:
        float32 `(n, size, size)` in [0, 1].
    """
    import keras

    argument_checks.positive_int("size", size)
    box = size if box is None else box
    argument_checks.int_in_range("box", box, 1, size)
    images = np.asarray(images, dtype="float32")
    if images.ndim != 3 or images.shape[1:] != (8, 8):
        raise ValueError(f"`images` must have shape (n, 8, 8), got {images.shape}.")
    scaled = images[..., None] / MAX_VALUE
    resized = keras.ops.image.resize(scaled, (box, box), interpolation="bilinear")
    resized = np.clip(np.asarray(resized)[..., 0], 0.0, 1.0)
    start = (size - box) // 2
    canvas = np.zeros((len(images), size, size), dtype="float32")
    canvas[:, start : start + box, start : start + box] = resized
    return canvas
