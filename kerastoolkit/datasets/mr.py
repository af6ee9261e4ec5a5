"""MR: Pang and Lee's movie-review sentence polarity data set.

5,331 positive and 5,331 negative sentences, one per line in
`sentence-classification/rt-polarity.{pos,neg}`, Latin-1 encoded, found as
described in `kerastoolkit.datasets.data_location`. The data set has no
official split (10-fold cross-validation is customary); `load_data` makes a
fixed, seeded one, and `load_all` gives everything for cross-validation.

References:
    Pang and Lee, "Seeing stars: Exploiting class relationships for sentiment
    categorization with respect to rating scales", ACL 2005.
"""

import numpy as np

from kerastoolkit.datasets import data_location
from kerastoolkit.utils.argument_checks import non_negative_int

SPLITS = ("train", "test")

DEFAULT_TEST_FRACTION = 0.1
"""Share of the sentences `load_data` puts in the test split by default."""

DEFAULT_SEED = 1337
"""Seed of the default train/test split."""

_FILES = {"rt-polarity.pos": 1, "rt-polarity.neg": 0}
_ENCODING = "latin-1"
# The checksums are those of harvardnlp/sent-conv-torch@d61ded0 data/raw/, the
# copy the project's shared data folder holds.
_URL = "https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/master/data/raw/"
_SHA256 = {
    "rt-polarity.pos": (
        "2da124ec187a9d5a29c9f04e91c540e02baed5af8868f550a26bd6fd4dbf8bf0"
    ),
    "rt-polarity.neg": (
        "4ace77d558c3714723843f1d65b60c01e3417b208180f0728808d76ad0eeeaca"
    ),
}

DATA_FILES = data_location.DataFiles(
    name="MR (rt-polarity)",
    folder="sentence-classification",
    files={
        name: data_location.RemoteFile(_URL + name, sha256)
        for name, sha256 in _SHA256.items()
    },
)


def _read_lines(path):
    # Split on "\n" only: str.splitlines() would also split on "\x85", which
    # Latin-1 decoding produces from the files' Windows-1252 ellipses.
    lines = path.read_bytes().decode(_ENCODING).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def load_all(data_dir=None, download=False):
    """Loads every MR sentence, unsplit, for cross-validation.

    Args:
        data_dir: Optional data root holding `sentence-classification/`, or
            that folder itself. See `data_location` for the search order.
        download: Whether to download the files into the per-user cache when
            they are nowhere on disk (checked against stored SHA-256s).

    Returns:
        `(sentences, labels)`: `sentences` a `list` of 10,662 `str`, Latin-1
        decoded with surrounding whitespace removed, the 5,331 positive ones
        first, then the 5,331 negative ones, each in file order; `labels`
        `int64` of shape `(10662,)`, 1 for positive and 0 for negative.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.
    """
    folder = data_location.find_data_dir(
        DATA_FILES, data_dir=data_dir, download=download
    )
    sentences, labels = [], []
    for name, label in _FILES.items():
        lines = [line.strip() for line in _read_lines(folder / name)]
        sentences.extend(lines)
        labels.extend([label] * len(lines))
    return sentences, np.array(labels, dtype=np.int64)


def split_indices(num_examples, test_fraction=DEFAULT_TEST_FRACTION, seed=DEFAULT_SEED):
    """Returns the fixed train/test split of `load_data` as index arrays.

    The examples are permuted with `numpy.random.default_rng(seed)
    .permutation(num_examples)`; the first `round(test_fraction *
    num_examples)` permuted indices are the test split, the rest the train
    split.

    Args:
        num_examples: Number of examples to split.
        test_fraction: Share of the examples in the test split, in (0, 1).
        seed: Non-negative integer seed of the permutation.

    Returns:
        `(train_indices, test_indices)`, `int64` arrays in permuted order.
    """
    if isinstance(test_fraction, bool) or not 0 < test_fraction < 1:
        raise ValueError(
            f"`test_fraction` must be a number in (0, 1), got {test_fraction!r}"
        )
    non_negative_int("seed", seed)
    num_test = int(round(test_fraction * num_examples))
    if not 0 < num_test < num_examples:
        raise ValueError(
            f"`test_fraction`={test_fraction!r} leaves an empty split of "
            f"{num_examples} examples"
        )
    permutation = np.random.default_rng(seed).permutation(num_examples)
    return permutation[num_test:], permutation[:num_test]


def load_data(
    data_dir=None,
    download=False,
    test_fraction=DEFAULT_TEST_FRACTION,
    seed=DEFAULT_SEED,
):
    """Loads MR with a fixed, seeded train/test split.

    The split is `split_indices(10662, test_fraction, seed)` over the
    sentences in `load_all` order, so the defaults (`test_fraction=0.1`,
    `seed=DEFAULT_SEED`) always give the same 9,596 / 1,066 split.

    Args:
        data_dir: Optional data root holding `sentence-classification/`, or
            that folder itself.
        download: Whether to download the files into the per-user cache when
            they are nowhere on disk.
        test_fraction: Share of the sentences in the test split, in (0, 1).
        seed: Non-negative integer seed of the split.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: `x_train` and `x_test`
        `list`s of `str` (9,596 and 1,066 with the defaults), in shuffled
        order; `y_train` and `y_test` `int64` arrays of matching length, 1 for
        positive and 0 for negative.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = mr.load_data()
    >>> len(x_train), len(x_test)
    (9596, 1066)
    """
    sentences, labels = load_all(data_dir, download)
    train_indices, test_indices = split_indices(len(sentences), test_fraction, seed)
    return (
        ([sentences[i] for i in train_indices], labels[train_indices]),
        ([sentences[i] for i in test_indices], labels[test_indices]),
    )


def as_dataset(
    split="train",
    data_dir=None,
    download=False,
    test_fraction=DEFAULT_TEST_FRACTION,
    seed=DEFAULT_SEED,
    as_supervised=False,
):
    """Returns one split of `load_data` as an unbatched `tf.data.Dataset`.

    Args:
        split: `"train"` or `"test"`.
        data_dir: As in `load_data`.
        download: As in `load_data`.
        test_fraction: As in `load_data`.
        seed: As in `load_data`.
        as_supervised: Whether elements are `(sentence, label)` tuples instead
            of dicts.

    Returns:
        A `tf.data.Dataset` of `{"sentence": string, "label": int64}` (the
        tensorflow-datasets `glue/sst2` feature names), or of
        `(sentence, label)` tuples with `as_supervised=True`.
    """
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of 'train', 'test', got {split!r}")
    import tensorflow as tf

    train, test = load_data(data_dir, download, test_fraction, seed)
    sentences, labels = train if split == "train" else test
    sentences = tf.constant(sentences, dtype=tf.string)
    if as_supervised:
        return tf.data.Dataset.from_tensor_slices((sentences, labels))
    return tf.data.Dataset.from_tensor_slices({"sentence": sentences, "label": labels})
