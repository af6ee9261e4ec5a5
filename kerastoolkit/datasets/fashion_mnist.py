"""Fashion-MNIST: 70,000 28x28 grayscale images of clothing in 10 classes.

Read from the upstream idx files (`{train,t10k}-{images-idx3,labels-idx1}-
ubyte.gz`), found as described in `kerastoolkit.datasets.data_location`; the
operating-system location is Debian's `dataset-fashion-mnist` package,
`/usr/share/datasets/fashion-mnist/`.

References:
    Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
    Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.
"""

import gzip
import zlib

import numpy as np

from kerastoolkit.datasets import data_location

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Class names, indexed by label."""

SPLITS = ("train", "test")

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
"""Where `apt-get install dataset-fashion-mnist` puts the idx files."""

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_IMAGE_SHAPE = (28, 28)
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# SHA-256s of the upstream .gz files (those whose MD5s the upstream README
# lists, also served at http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/).
# Debian recompresses the files, so its .gz bytes differ from these; the loader
# reads either.
_URL = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
_SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
    ),
}


DATA_FILES = data_location.DataFiles(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    files={
        name: data_location.RemoteFile(_URL + name, sha256)
        for name, sha256 in _SHA256.items()
    },
    system_dirs=((DEBIAN_DIR, "Debian package dataset-fashion-mnist"),),
    install_hints=(
        "apt-get install dataset-fashion-mnist (Debian/Ubuntu; installs into "
        f"{DEBIAN_DIR})",
    ),
)


def read_idx(path, magic):
    """Reads a gzip-compressed idx file of unsigned bytes into an array.

    Args:
        path: Path of the `.gz` idx file.
        magic: The expected magic number: 2051 (`IMAGES_MAGIC`) for an
            `(N, rows, cols)` image file, 2049 (`LABELS_MAGIC`) for an `(N,)`
            label file.

    Returns:
        A writable `uint8` array with the shape the header gives.

    Raises:
        ValueError: if the file is not gzip, has another magic number, or
            holds more or fewer bytes than its header announces (truncated or
            corrupt).
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(
            f"{path} is truncated or corrupt (not a readable gzip file: {err}). "
            "Delete it and get the data again."
        ) from err
    if len(data) < 4:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, no idx header.")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise ValueError(
            f"{path} is not the expected idx file: magic number {found}, "
            f"expected {magic}."
        )
    ndim = data[3]
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise ValueError(f"{path} is truncated: its idx header is incomplete.")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape))
    if len(data) - header_bytes != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header announces shape {shape} "
            f"({expected} bytes of data) but it holds {len(data) - header_bytes}."
        )
    return np.frombuffer(data, np.uint8, offset=header_bytes).reshape(shape).copy()


def _load_split(split, data_dir, download):
    images_name, labels_name = _SPLIT_FILES[split]
    folder = data_location.find_data_dir(
        DATA_FILES,
        filenames=(images_name, labels_name),
        data_dir=data_dir,
        download=download,
    )
    images = read_idx(folder / images_name, IMAGES_MAGIC)
    labels = read_idx(folder / labels_name, LABELS_MAGIC)
    if images.ndim != 3 or images.shape[1:] != _IMAGE_SHAPE:
        raise ValueError(
            f"{folder / images_name} holds images of shape {images.shape[1:]}, "
            f"expected {_IMAGE_SHAPE}."
        )
    if labels.shape != (len(images),):
        raise ValueError(
            f"{folder / labels_name} holds {labels.shape} labels for "
            f"{len(images)} images in {folder / images_name}."
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise ValueError(
            f"{folder / labels_name} holds label {labels.max()}, expected 0..9."
        )
    return images, labels


def load_data(data_dir=None, download=False):
    """Loads Fashion-MNIST as NumPy arrays (the `keras.datasets` convention).

    Args:
        data_dir: Optional data root holding `fashion-mnist/`, or the folder
            holding the idx files itself. See `data_location` for the search
            order.
        download: Whether to download the files into the per-user cache when
            they are nowhere on disk (checked against stored SHA-256s).

    Returns:
        `((x_train, y_train), (x_test, y_test))`: `x_train` `uint8` of shape
        `(60000, 28, 28)` and `x_test` `uint8` of shape `(10000, 28, 28)`,
        pixel values 0..255; `y_train` `uint8` of shape `(60000,)` and
        `y_test` `uint8` of shape `(10000,)`, labels 0..9 indexing
        `CLASS_NAMES`.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.
        ValueError: if a file is truncated or corrupt.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    >>> x_train.shape, CLASS_NAMES[y_train[0]]
    ((60000, 28, 28), 'Ankle boot')
    """
    return (
        _load_split("train", data_dir, download),
        _load_split("test", data_dir, download),
    )


def as_dataset(
    split="train", data_dir=None, download=False, as_supervised=False, source="local"
):
    """Returns one split as an unbatched, unshuffled `tf.data.Dataset`.

    Elements follow the tensorflow-datasets `fashion_mnist` features.

    Args:
        split: `"train"` (60,000 examples) or `"test"` (10,000).
        data_dir: With `source="local"`, as in `load_data`; with
            `source="tfds"`, the tensorflow-datasets data directory.
        download: Whether the data may be downloaded when it is not on disk.
        as_supervised: Whether elements are `(image, label)` tuples instead of
            dicts.
        source: `"local"` reads the idx files; `"tfds"` loads through
            `tfds.load("fashion_mnist")` (needs tensorflow-datasets).

    Returns:
        A `tf.data.Dataset` of `{"image": uint8 (28, 28, 1), "label": int64}`,
        or of `(image, label)` tuples with `as_supervised=True`.
    """
    data_location.check_split(split, SPLITS)
    data_location.check_source(source)
    if source == "tfds":
        return data_location.load_tfds(
            "fashion_mnist",
            split=split,
            data_dir=data_dir,
            download=download,
            as_supervised=as_supervised,
        )
    import tensorflow as tf

    images, labels = _load_split(split, data_dir, download)
    images = images[..., np.newaxis]
    labels = labels.astype(np.int64)
    if as_supervised:
        return tf.data.Dataset.from_tensor_slices((images, labels))
    return tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})
