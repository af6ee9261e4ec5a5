"""Offline-first data loaders, one module per data set.

File-based loaders (`fashion_mnist`, `mr`, `sst2`, `multi30k`,
`tinyshakespeare`) look in the `data_dir` argument, `$KERASTOOLKIT_DATA_DIR`,
the operating-system package's folder and the per-user cache, and download
only when called with `download=True` (see `data_location`). The others
(`mnist1d`, `mnist_5k`, `digits`, `sunspots`) read data that ships with a
package of the `kerastoolkit[data]` extra. Importing this package reads nothing:
TensorFlow and the data packages are imported only when a loader runs.
"""

from kerastoolkit.datasets import (
    data_location,
    digits,
    fashion_mnist,
    mnist1d,
    mnist_5k,
    mr,
    multi30k,
    sst2,
    sunspots,
    tinyshakespeare,
)
from kerastoolkit.datasets.data_location import DatasetNotFoundError

__all__ = [
    "DatasetNotFoundError",
    "data_location",
    "digits",
    "fashion_mnist",
    "mnist1d",
    "mnist_5k",
    "mr",
    "multi30k",
    "sst2",
    "sunspots",
    "tinyshakespeare",
]
