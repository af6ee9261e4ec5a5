"""Multi30k task 1: English-German descriptions of Flickr30k images.

29,000 / 1,014 / 1,000 aligned sentence pairs in
`multi30k/{train,val,test_2016_flickr}.{en,de}.gz`, one sentence a line,
UTF-8, found as described in `kerastoolkit.datasets.data_location`.

References:
    Elliott, Frank, Sima'an and Specia, "Multi30K: Multilingual
    English-German Image Descriptions", VL@ACL 2016.
"""

import gzip
import zlib

from kerastoolkit.datasets import data_location

SPLITS = ("train", "val", "test")
LANGUAGES = ("en", "de")

SPLIT_SIZES = {"train": 29000, "val": 1014, "test": 1000}
"""Sentence pairs in each split."""

_FILE_STEMS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
# multi30k/dataset@a3d2e0d data/task1/raw/.
_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
_SHA256 = {
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "test_2016_flickr.en.gz": (
        "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9"
    ),
    "test_2016_flickr.de.gz": (
        "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8"
    ),
}

DATA_FILES = data_location.DataFiles(
    name="Multi30k (task 1, en-de)",
    folder="multi30k",
    files={
        name: data_location.RemoteFile(_URL + name, sha256)
        for name, sha256 in _SHA256.items()
    },
)


def _filenames(split):
    return tuple(f"{_FILE_STEMS[split]}.{language}.gz" for language in LANGUAGES)


def _read_gz_lines(path):
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is truncated or corrupt (not gzip-compressed UTF-8 text: "
            f"{err}). Delete it and get the data again."
        ) from err
    # Only the line terminator is removed; some sentences end in spaces.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_split(folder, split):
    en_name, de_name = _filenames(split)
    english = _read_gz_lines(folder / en_name)
    german = _read_gz_lines(folder / de_name)
    if len(english) != len(german):
        raise ValueError(
            f"{folder / en_name} has {len(english)} lines but {folder / de_name} "
            f"has {len(german)}; the two sides of a split must be aligned."
        )
    return english, german


def load_data(data_dir=None, download=False):
    """Loads the three Multi30k En-De splits as aligned sentence lists.

    Args:
        data_dir: Optional data root holding `multi30k/`, or that folder
            itself. See `data_location` for the search order.
        download: Whether to download the files into the per-user cache when
            they are nowhere on disk (checked against stored SHA-256s).

    Returns:
        A `dict` mapping `"train"` (29,000 pairs), `"val"` (1,014) and
        `"test"` (the 2016 Flickr test set, 1,000) to `(english, german)`:
        two aligned `list`s of `str`, untokenized, with only the trailing
        newline removed.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.
        ValueError: if a file is corrupt or the two sides are not aligned.

    Example:

    >>> english, german = multi30k.load_data()["train"]
    >>> english[0]
    'Two young, White males are outside near many bushes.'
    """
    folder = data_location.find_data_dir(
        DATA_FILES, data_dir=data_dir, download=download
    )
    return {split: _read_split(folder, split) for split in SPLITS}


def as_dataset(split="train", data_dir=None, download=False):
    """Returns one split as an unbatched, unshuffled `tf.data.Dataset`.

    Args:
        split: `"train"`, `"val"` or `"test"`.
        data_dir: As in `load_data`.
        download: As in `load_data`.

    Returns:
        A `tf.data.Dataset` of `{"en": string, "de": string}` sentence pairs
        (the language codes are the feature names, as in tensorflow-datasets'
        translation data sets).
    """
    data_location.check_split(split, SPLITS)
    import tensorflow as tf

    folder = data_location.find_data_dir(
        DATA_FILES, filenames=_filenames(split), data_dir=data_dir, download=download
    )
    english, german = _read_split(folder, split)
    return tf.data.Dataset.from_tensor_slices(
        {
            "en": tf.constant(english, dtype=tf.string),
            "de": tf.constant(german, dtype=tf.string),
        }
    )
