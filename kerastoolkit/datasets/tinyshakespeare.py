"""Tiny Shakespeare: 1.1 MB of Shakespeare's plays as one plain-text string.

Karpathy's char-rnn corpus, `tinyshakespeare/input.txt` (1,115,394
characters, ASCII), found as described in
`kerastoolkit.datasets.data_location`. The splits are tensorflow-datasets'
`tiny_shakespeare` ones: the first 90% of the characters for training, then
5% for validation and the last 5% for test.

References:
    Karpathy, "The Unreasonable Effectiveness of Recurrent Neural Networks",
    2015, https://github.com/karpathy/char-rnn.
"""

from kerastoolkit.datasets import data_location

SPLITS = ("train", "validation", "test")

_FILENAME = "input.txt"

DATA_FILES = data_location.DataFiles(
    name="Tiny Shakespeare",
    folder="tinyshakespeare",
    files={
        _FILENAME: data_location.RemoteFile(
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
            "tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        )
    },
)


def split_text(text):
    """Splits a text as tensorflow-datasets' `tiny_shakespeare` does.

    Args:
        text: The whole corpus.

    Returns:
        A `dict` mapping `"train"` to the first `int(0.9 * len(text))`
        characters, `"validation"` to the first half (rounded down) of the
        rest, and `"test"` to what remains: 1,003,854 / 55,770 / 55,770
        characters for the real corpus.
    """
    train_end = int(len(text) * 0.9)
    validation_end = train_end + int((len(text) - train_end) * 0.5)
    return {
        "train": text[:train_end],
        "validation": text[train_end:validation_end],
        "test": text[validation_end:],
    }


def load_data(data_dir=None, download=False, split=None):
    """Loads Tiny Shakespeare as one string.

    Args:
        data_dir: Optional data root holding `tinyshakespeare/`, or that
            folder itself. See `data_location` for the search order.
        download: Whether to download the file into the per-user cache when
            it is nowhere on disk (checked against a stored SHA-256).
        split: `None` for the whole corpus, or `"train"`, `"validation"` or
            `"test"` for the slice `split_text` gives.

    Returns:
        The text as a `str`, exactly as in the file (UTF-8 decoded, newlines
        kept): 1,115,394 characters for the whole corpus.

    Raises:
        DatasetNotFoundError: if the file is not found and `download` is
            false.

    Example:

    >>> text = tinyshakespeare.load_data()
    >>> len(text), text[:14]
    (1115394, 'First Citizen:')
    """
    if split is not None:
        data_location.check_split(split, SPLITS)
    folder = data_location.find_data_dir(
        DATA_FILES, data_dir=data_dir, download=download
    )
    path = folder / _FILENAME
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text: {err}") from err
    return text if split is None else split_text(text)[split]


def as_dataset(
    split="train", data_dir=None, download=False, source="local", tfds_data_dir=None
):
    """Returns one split as a `tf.data.Dataset` with a single element.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: As in `load_data`: where to look for `input.txt`.
        download: Whether the file may be downloaded into the per-user cache
            when it is not on disk.
        source: `"local"` reads the file above; `"tfds"` loads through
            tensorflow-datasets' own `tiny_shakespeare` builder, which it
            prepares offline the first time from the same file (its manual
            folder; the builder checks the file's SHA-256).
        tfds_data_dir: With `source="tfds"`, the tensorflow-datasets data
            directory where the prepared data set is kept; `None` for its
            default, `$TFDS_DATA_DIR` or `~/tensorflow_datasets`.

    Returns:
        A `tf.data.Dataset` of one `{"text": string}` element holding the
        whole split, as tensorflow-datasets' `tiny_shakespeare` gives it.
    """
    data_location.check_split(split, SPLITS)
    data_location.check_source(source)
    if source == "tfds":
        return data_location.load_tfds(
            "tiny_shakespeare",
            split=split,
            data_dir=tfds_data_dir,
            manual_files=lambda scratch: data_location.find_data_dir(
                DATA_FILES, data_dir=data_dir, download=download
            ),
        )
    import tensorflow as tf

    text = load_data(data_dir, download, split)
    return tf.data.Dataset.from_tensors({"text": tf.constant(text, dtype=tf.string)})
