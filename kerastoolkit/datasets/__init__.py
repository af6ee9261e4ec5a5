"""Offline-first data loaders, one module per data set.

File-based loaders (`fashion_mnist`, `mr`, `sst2`, `multi30k`,
`tinyshakespeare`) look in the `data_dir` argument, `$KERASTOOLKIT_DATA_DIR`,
the operating-system package's folder and the per-user cache, and download
only when called with `download=True` (see `data_location`). The others
(`mnist1d`, `mnist_5k`, `digits`, `sunspots`) read data that ships with a
package of the `kerastoolkit[data]` extra. Importing this package reads nothing:
the data packages are imported only when a loader runs.

`evaluation_overlap` keeps the sentiment evaluation sentences (SST-2 dev/test,
MR test) out of training and pretraining text: SST-2 and MR share most of
their sentences.

`tfds_builders` (imported on first use, as it loads tensorflow-datasets)
registers every local data set as a tensorflow-datasets builder, so
`tfds.load("kerastoolkit_mr", data_dir=...)` works offline.
"""

from kerastoolkit.datasets import (
    data_location,
    digits,
    evaluation_overlap,
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
from kerastoolkit.utils.lazy_imports import lazy_attributes

_LAZY = {"tfds_builders": "kerastoolkit.datasets.tfds_builders"}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())

__all__ = [
    "DatasetNotFoundError",
    "data_location",
    "digits",
    "evaluation_overlap",
    "fashion_mnist",
    "mnist1d",
    "mnist_5k",
    "mr",
    "multi30k",
    "sst2",
    "sunspots",
    "tfds_builders",
    "tinyshakespeare",
]
