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
import hashlib
import pathlib
import shutil
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

SPLIT_SIZES = {"train": 60000, "test": 10000}
"""Images in each split."""

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

# Debian's copies hold upstream's compressed data and gzip trailer byte for
# byte; only their gzip header differs: it drops the original file name
# (FNAME) and records the time of repacking. Writing upstream's header back
# (the name without ".gz" and these modification times, 2017-08-31 10:50:06
# and 10:50:27 UTC, the ones whose header gives the SHA-256s above) gives
# upstream's bytes.
_UPSTREAM_GZIP_MTIMES = {
    "train-images-idx3-ubyte.gz": 1504176606,
    "train-labels-idx1-ubyte.gz": 1504176606,
    "t10k-images-idx3-ubyte.gz": 1504176627,
    "t10k-labels-idx1-ubyte.gz": 1504176627,
}
_GZIP_FNAME_FLAG = 0x08

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


def _with_upstream_gzip_header(data, name):
    """Returns `data` with upstream's gzip header, or None if it has options."""
    if len(data) < 10 or data[:3] != b"\x1f\x8b\x08" or data[3] != 0:
        return None
    mtime = _UPSTREAM_GZIP_MTIMES[name].to_bytes(4, "little")
    original_name = name.removesuffix(".gz").encode("ascii") + b"\x00"
    # ID1 ID2 CM, FLG = FNAME, MTIME, XFL OS (kept), the name, then the
    # unchanged deflate stream and trailer.
    return (
        data[:3]
        + bytes([_GZIP_FNAME_FLAG])
        + mtime
        + data[8:10]
        + original_name
        + data[10:]
    )


def upstream_files_dir(destination, data_dir=None, download=False):
    """Returns a folder holding the four idx files with upstream's exact bytes.

    tensorflow-datasets' `fashion_mnist` builder accepts a file from its manual
    folder only when its SHA-256 is upstream's. Upstream files (the per-user
    cache, a copy of upstream's `data/fashion/`) are used where they are.
    Debian's `dataset-fashion-mnist` repacks them with another gzip header but
    the same compressed data, so its files are written to `destination` with
    upstream's header back, which gives upstream's bytes; every file is checked
    against upstream's SHA-256.

    Args:
        destination: Folder to write restored files into (created if needed);
            untouched when the files found are upstream's already.
        data_dir: As in `load_data`: where to look for the idx files.
        download: As in `load_data`.

    Returns:
        `pathlib.Path` of the folder holding the four files: the folder the
        files were found in, or `destination`.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.
        ValueError: if a file is neither upstream's nor Debian's copy of it.
    """
    folder = data_location.find_data_dir(
        DATA_FILES, data_dir=data_dir, download=download
    )
    restored = {}
    for name, expected in _SHA256.items():
        if data_location.sha256_of(folder / name) == expected:
            continue
        upstream = _with_upstream_gzip_header((folder / name).read_bytes(), name)
        if upstream is None or hashlib.sha256(upstream).hexdigest() != expected:
            raise ValueError(
                f"{folder / name} is neither upstream's Fashion-MNIST file nor "
                f"Debian's copy of it (upstream's SHA-256 is {expected}). "
                "tensorflow-datasets' fashion_mnist builder needs upstream's "
                "bytes: use source='local', which reads any valid idx file, or "
                "pass download=True to fetch upstream's files into the cache."
            )
        restored[name] = upstream
    if not restored:
        return folder
    destination = pathlib.Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for name in _SHA256:
        if name in restored:
            (destination / name).write_bytes(restored[name])
        else:
            shutil.copyfile(folder / name, destination / name)
    return destination


def as_dataset(
    split="train",
    data_dir=None,
    download=False,
    as_supervised=False,
    source="local",
    tfds_data_dir=None,
):
    """Returns one split as an unbatched `tf.data.Dataset`.

    Elements follow the tensorflow-datasets `fashion_mnist` features.

    Args:
        split: `"train"` (60,000 examples) or `"test"` (10,000).
        data_dir: As in `load_data`: where to look for the idx files.
        download: Whether the idx files may be downloaded into the per-user
            cache when they are not on disk.
        as_supervised: Whether elements are `(image, label)` tuples instead of
            dicts.
        source: `"local"` reads the idx files (file order, fast);
            `"tfds"` loads through tensorflow-datasets' own `fashion_mnist`
            builder (its order: shuffled when written), which it prepares
            offline the first time from the same files (see
            `upstream_files_dir`): about 40 s for the 70,000 images.
        tfds_data_dir: With `source="tfds"`, the tensorflow-datasets data
            directory where the prepared data set is kept; `None` for its
            default, `$TFDS_DATA_DIR` or `~/tensorflow_datasets`.

    Returns:
        A `tf.data.Dataset` of `{"image": uint8 (28, 28, 1), "label": int64}`,
        or of `(image, label)` tuples with `as_supervised=True`.

    Example:

    >>> dataset = fashion_mnist.as_dataset("test", source="tfds")
    >>> int(dataset.cardinality())
    10000
    """
    data_location.check_split(split, SPLITS)
    data_location.check_source(source)
    if source == "tfds":
        return data_location.load_tfds(
            "fashion_mnist",
            split=split,
            data_dir=tfds_data_dir,
            as_supervised=as_supervised,
            manual_files=lambda scratch: upstream_files_dir(
                scratch, data_dir, download
            ),
        )
    import tensorflow as tf

    images, labels = _load_split(split, data_dir, download)
    images = images[..., np.newaxis]
    labels = labels.astype(np.int64)
    if as_supervised:
        return tf.data.Dataset.from_tensor_slices((images, labels))
    return tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})
