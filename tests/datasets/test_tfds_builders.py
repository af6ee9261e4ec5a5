"""Tests of the tensorflow-datasets builders: tfds.load against the NumPy loaders.

Each builder is prepared once per session (offline, from the shared data folder
given as tensorflow-datasets' manual folder) and each split it serves is compared,
element for element, with what the NumPy loader returns.
"""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from kerastoolkit.datasets import (
    DatasetNotFoundError,
    digits,
    mnist1d,
    mnist_5k,
    mr,
    multi30k,
    sst2,
    sunspots,
    tfds_builders,
    tinyshakespeare,
)


def _mr(data_root):
    (x_train, y_train), (x_test, y_test) = mr.load_data(data_dir=data_root)
    return {
        "train": {"sentence": x_train, "label": y_train},
        "test": {"sentence": x_test, "label": y_test},
    }


def _sst2(data_root):
    data = sst2.load_data(data_dir=data_root)
    return {
        tfds_split: {"sentence": data[split][0], "label": data[split][1]}
        for split, tfds_split in (
            ("train", "train"),
            ("dev", "validation"),
            ("test", "test"),
        )
    }


def _multi30k(data_root):
    data = multi30k.load_data(data_dir=data_root)
    return {
        tfds_split: {"en": data[split][0], "de": data[split][1]}
        for split, tfds_split in (
            ("train", "train"),
            ("val", "validation"),
            ("test", "test"),
        )
    }


def _mnist1d(data_root):
    (x_train, y_train), (x_test, y_test) = mnist1d.load_data()
    return {
        "train": {"signal": x_train, "label": y_train},
        "test": {"signal": x_test, "label": y_test},
    }


def _tinyshakespeare(data_root):
    text = tinyshakespeare.load_data(data_dir=data_root)
    return {
        split: {"text": [split_text]}
        for split, split_text in tinyshakespeare.split_text(text).items()
    }


def _sunspots(data_root):
    years, values = sunspots.load_data()
    return {"train": {"year": years, "value": values}}


def _digits(data_root):
    images, labels = digits.load_data()
    return {"train": {"image": images[..., np.newaxis], "label": labels}}


def _mnist_5k(data_root):
    images, labels = mnist_5k.load_data()
    return {"train": {"image": images[..., np.newaxis], "label": labels}}


EXPECTED = {
    "kerastoolkit_mr": _mr,
    "kerastoolkit_sst2": _sst2,
    "kerastoolkit_multi30k": _multi30k,
    "kerastoolkit_mnist1d": _mnist1d,
    "kerastoolkit_tinyshakespeare": _tinyshakespeare,
    "kerastoolkit_sunspots": _sunspots,
    "kerastoolkit_digits": _digits,
    "kerastoolkit_mnist_5k": _mnist_5k,
}

SPLIT_SIZES = {
    "kerastoolkit_mr": {"train": 9596, "test": 1066},
    "kerastoolkit_sst2": {"train": 6920, "validation": 872, "test": 1821},
    "kerastoolkit_multi30k": {"train": 29000, "validation": 1014, "test": 1000},
    "kerastoolkit_mnist1d": {"train": 4000, "test": 1000},
    "kerastoolkit_tinyshakespeare": {"train": 1, "validation": 1, "test": 1},
    "kerastoolkit_sunspots": {"train": 309},
    "kerastoolkit_digits": {"train": 1797},
    "kerastoolkit_mnist_5k": {"train": 5000},
}


@pytest.fixture(scope="session")
def tfds_load(tmp_path_factory, data_root):
    """`tfds.load` into one session data dir, the shared data as manual folder.

    The first call for a builder prepares it; later calls read that copy.
    """
    data_dir = tmp_path_factory.mktemp("tfds")
    config = tfds.download.DownloadConfig(manual_dir=str(data_root))

    def load(name, split, **kwargs):
        return tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            download_and_prepare_kwargs={"download_config": config},
            **kwargs,
        )

    load.data_dir = data_dir
    return load


def _columns(dataset):
    """Returns the whole dataset as one batch of NumPy arrays."""
    return tfds.as_numpy(next(iter(dataset.batch(1 << 20))))


def _assert_column_equal(name, got, expected):
    if got.dtype == object:  # tfds.features.Text gives UTF-8 bytes
        assert [value.decode("utf-8") for value in got] == list(expected), name
    else:
        assert got.dtype == np.asarray(expected).dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_every_builder_is_registered():
    assert [builder.name for builder in tfds_builders.BUILDERS] == list(EXPECTED)
    for name in EXPECTED:
        assert name in tfds.list_builders(with_community_datasets=False)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_tfds_load_equals_the_numpy_loader(name, tfds_load, data_root):
    expected = EXPECTED[name](data_root)
    assert list(expected) == list(SPLIT_SIZES[name])
    for split, columns in expected.items():
        got = _columns(tfds_load(name, split))
        assert sorted(got) == sorted(columns)
        for key, values in columns.items():
            assert len(got[key]) == SPLIT_SIZES[name][split]
            _assert_column_equal(f"{name}/{split}/{key}", got[key], values)
    info = tfds.builder(name, data_dir=tfds_load.data_dir).info
    assert str(info.version) == "1.0.0"
    assert {split: info.splits[split].num_examples for split in info.splits} == (
        SPLIT_SIZES[name]
    )


@pytest.mark.parametrize(
    "name", [name for name in EXPECTED if name != "kerastoolkit_tinyshakespeare"]
)
def test_as_supervised_gives_the_first_pair(name, tfds_load, data_root):
    expected = EXPECTED[name](data_root)
    split = next(iter(expected))
    info = tfds.builder(name, data_dir=tfds_load.data_dir).info
    input_key, target_key = info.supervised_keys
    inputs, targets = next(iter(tfds_load(name, split, as_supervised=True)))
    for got, key in ((inputs, input_key), (targets, target_key)):
        want = expected[split][key][0]
        if isinstance(want, str):
            assert got.numpy().decode("utf-8") == want
        else:
            np.testing.assert_array_equal(got.numpy(), want)


def test_features_and_class_names(tfds_load):
    tfds_load("kerastoolkit_sst2", "validation")
    info = tfds.builder("kerastoolkit_sst2", data_dir=tfds_load.data_dir).info
    assert isinstance(info.features["sentence"], tfds.features.Text)
    assert info.features["label"].names == ["negative", "positive"]
    tfds_load("kerastoolkit_digits", "train")
    info = tfds.builder("kerastoolkit_digits", data_dir=tfds_load.data_dir).info
    assert info.features["image"].shape == (8, 8, 1)
    assert info.features["label"].num_classes == 10


def test_tinyshakespeare_has_no_supervised_pair(tfds_load):
    with pytest.raises(ValueError, match="supervised"):
        tfds_load("kerastoolkit_tinyshakespeare", "test", as_supervised=True)


def test_manual_folder_is_read_before_the_search(tmp_path):
    # A made-up corpus in the manual folder wins over $KERASTOOLKIT_DATA_DIR.
    manual = tmp_path / "manual" / tinyshakespeare.DATA_FILES.folder
    manual.mkdir(parents=True)
    (manual / "input.txt").write_text("abcdefghij" * 10)
    dataset = tfds.load(
        "kerastoolkit_tinyshakespeare",
        split="validation",
        data_dir=tmp_path / "tfds",
        download_and_prepare_kwargs={
            "download_config": tfds.download.DownloadConfig(
                manual_dir=str(tmp_path / "manual")
            )
        },
    )
    assert [example["text"] for example in tfds.as_numpy(dataset)] == [b"abcde"]


def test_missing_files_say_how_to_get_them(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        tfds.load("kerastoolkit_mr", split="train", data_dir=tmp_path / "tfds")
    message = str(raised.value)
    assert "MR (rt-polarity) data set not found" in message
    assert "tfds.load('kerastoolkit_mr')" in message
    assert "DownloadConfig(manual_dir=...)" in message
    assert "kerastoolkit.datasets.mr.load_all(download=True)" in message
