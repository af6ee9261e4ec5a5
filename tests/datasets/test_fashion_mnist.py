"""Tests of the Fashion-MNIST loader: real data, idx parsing, search, download."""

import dataclasses
import gzip
import hashlib

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location, fashion_mnist

_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(
        dim.to_bytes(4, "big") for dim in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def _write_fake(folder, fill=0, num_train=3, num_test=2):
    """Writes tiny idx files whose images are all `fill` and labels 0, 1, 2, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", num_train), ("t10k", num_test)):
        images = np.full((count, 28, 28), fill, dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) % 10
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx_bytes(images, fashion_mnist.IMAGES_MAGIC))
        )
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(_idx_bytes(labels, fashion_mnist.LABELS_MAGIC))
        )
    return folder


@pytest.fixture(scope="module")
def real_data(data_root):
    # `make test` installs Debian's dataset-fashion-mnist; without it this fails
    # with the loader's own DatasetNotFoundError, which says how to get the data.
    return fashion_mnist.load_data(data_dir=data_root)


def test_real_shapes_dtypes_and_counts(real_data):
    (x_train, y_train), (x_test, y_test) = real_data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    assert fashion_mnist.SPLIT_SIZES == {"train": len(x_train), "test": len(x_test)}
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert x_train.flags.writeable


def test_real_first_examples(real_data):
    (x_train, y_train), (x_test, y_test) = real_data
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"
    assert x_train[0, 14, 10:14].tolist() == [0, 0, 237, 226]
    assert x_test[0, 14, 10:14].tolist() == [0, 0, 98, 136]
    assert int(x_train.sum(dtype=np.int64)) == 3431114169
    assert int(x_test.sum(dtype=np.int64)) == 573469082


def test_data_dir_beats_env_var_and_debian(isolated_locations, tmp_path, monkeypatch):
    monkeypatch.setattr(
        fashion_mnist,
        "DATA_FILES",
        dataclasses.replace(
            fashion_mnist.DATA_FILES,
            system_dirs=((str(_write_fake(tmp_path / "debian", fill=3)), "Debian"),),
        ),
    )
    (x_train, _), _ = fashion_mnist.load_data()
    assert x_train[0, 0, 0] == 3
    env_root = _write_fake(tmp_path / "env" / "fashion-mnist", fill=2).parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    (x_train, _), _ = fashion_mnist.load_data()
    assert x_train[0, 0, 0] == 2
    arg_folder = _write_fake(tmp_path / "arg", fill=1, num_train=4)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(data_dir=arg_folder)
    assert x_train.shape == (4, 28, 28) and x_train[0, 0, 0] == 1
    assert y_train.tolist() == [0, 1, 2, 3] and x_test.shape == (2, 28, 28)


def test_not_found_lists_places_and_remedies(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist.load_data(data_dir=tmp_path / "empty")
    message = str(info.value)
    assert "Fashion-MNIST data set not found" in message
    for place in (
        str(tmp_path / "empty" / "fashion-mnist"),
        "$KERASTOOLKIT_DATA_DIR (not set)",
        f"{tmp_path / 'no-debian'} (Debian package",
        str(isolated_locations / "fashion-mnist"),
        "apt-get install dataset-fashion-mnist",
        "pass download=True",
    ):
        assert place in message


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda data: data[: len(data) // 2], "truncated or corrupt"),
        (lambda data: b"not gzip at all", "truncated or corrupt"),
        (
            lambda data: gzip.compress(gzip.decompress(data)[:-5]),
            r"announces shape \(3, 28, 28\)",
        ),
        (
            lambda data: gzip.compress(b"\x00\x00\x08\x01" + gzip.decompress(data)[4:]),
            "magic number 2049, expected 2051",
        ),
    ],
)
def test_corrupt_file_raises_value_error_naming_it(tmp_path, damage, match):
    folder = _write_fake(tmp_path / "fake")
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=match) as info:
        fashion_mnist.load_data(data_dir=folder)
    assert str(path) in str(info.value)


def test_download_checks_sha256(isolated_locations, tmp_path, fake_fetch, monkeypatch):
    server = _write_fake(tmp_path / "server", fill=7)
    files = {
        name: data_location.RemoteFile(
            f"https://example.org/{name}",
            hashlib.sha256((server / name).read_bytes()).hexdigest(),
        )
        for name in _FILES
    }
    monkeypatch.setattr(
        fashion_mnist,
        "DATA_FILES",
        dataclasses.replace(fashion_mnist.DATA_FILES, files=files),
    )
    fetched = fake_fetch(server)
    (x_train, _), _ = fashion_mnist.load_data(download=True)
    assert x_train[0, 0, 0] == 7 and len(fetched) == 4
    assert (isolated_locations / "fashion-mnist" / _FILES[0]).is_file()

    (isolated_locations / "fashion-mnist" / _FILES[3]).unlink()
    (server / _FILES[3]).write_bytes(b"corrupted")
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        fashion_mnist.load_data(download=True)


def test_as_dataset_elements(tmp_path):
    import tensorflow as tf

    folder = _write_fake(tmp_path / "fake", fill=5)
    dataset = fashion_mnist.as_dataset("test", data_dir=folder)
    assert dataset.element_spec == {
        "image": tf.TensorSpec((28, 28, 1), tf.uint8),
        "label": tf.TensorSpec((), tf.int64),
    }
    examples = list(dataset.as_numpy_iterator())
    assert len(examples) == 2 and examples[1]["label"] == 1
    assert examples[0]["image"].max() == 5
    image, label = next(
        iter(fashion_mnist.as_dataset("train", folder, as_supervised=True))
    )
    assert image.shape == (28, 28, 1) and label.dtype == tf.int64


def test_as_dataset_validates_split_and_source():
    with pytest.raises(
        ValueError, match="`split` must be one of 'train', 'test', got 'foo'"
    ):
        fashion_mnist.as_dataset("foo")
    with pytest.raises(ValueError, match="`source` must be one of"):
        fashion_mnist.as_dataset("train", source="web")


# tensorflow-datasets' own fashion_mnist builder, prepared offline from the real
# files. Encoding all 70,000 images takes about 40 s, so the module prepares the
# first _TFDS_EXAMPLES of each split (DownloadConfig.max_examples_per_split,
# tensorflow-datasets' knob for tests); the files are still checked whole against
# its registered checksums.
_TFDS_EXAMPLES = 1000


def _tfds_registered_sha256():
    import tensorflow_datasets as tfds

    url_infos = tfds.builder_cls("fashion_mnist").url_infos
    return {url.rsplit("/", 1)[-1]: info.checksum for url, info in url_infos.items()}


@pytest.fixture(scope="module")
def tfds_data_dir(tmp_path_factory, data_root):
    import tensorflow_datasets as tfds

    root = tmp_path_factory.mktemp("tfds-fashion-mnist")
    manual_dir = fashion_mnist.upstream_files_dir(root / "manual", data_dir=data_root)
    builder = tfds.builder("fashion_mnist", data_dir=root / "data")
    builder.download_and_prepare(
        download_dir=root / "downloads",
        download_config=tfds.download.DownloadConfig(
            manual_dir=str(manual_dir), max_examples_per_split=_TFDS_EXAMPLES
        ),
    )
    return root / "data"


def test_upstream_files_dir_gives_the_files_tfds_registered(tmp_path, data_root):
    folder = fashion_mnist.upstream_files_dir(tmp_path / "manual", data_dir=data_root)
    assert {
        name: data_location.sha256_of(folder / name) for name in _FILES
    } == _tfds_registered_sha256()
    # Files that are upstream's already are used where they are.
    assert fashion_mnist.upstream_files_dir(tmp_path / "unused", folder) == folder
    assert not (tmp_path / "unused").exists()


def test_upstream_files_dir_rejects_other_files(tmp_path):
    folder = _write_fake(tmp_path / "fake")
    with pytest.raises(ValueError, match="neither upstream's Fashion-MNIST file"):
        fashion_mnist.upstream_files_dir(tmp_path / "manual", data_dir=folder)
    assert not (tmp_path / "manual").exists()


@pytest.mark.parametrize("split", ["train", "test"])
def test_as_dataset_from_tfds_holds_the_local_examples(split, tfds_data_dir, real_data):
    import tensorflow_datasets as tfds

    dataset = fashion_mnist.as_dataset(
        split, source="tfds", tfds_data_dir=tfds_data_dir, as_supervised=True
    )
    images, labels = tfds.as_numpy(next(iter(dataset.batch(2 * _TFDS_EXAMPLES))))
    assert images.shape == (_TFDS_EXAMPLES, 28, 28, 1) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    x, y = real_data[0 if split == "train" else 1]
    # tensorflow-datasets shuffles the examples it writes: compare as multisets.
    got = sorted(
        zip(labels.tolist(), (image.tobytes() for image in images), strict=True)
    )
    x, y = x[:_TFDS_EXAMPLES], y[:_TFDS_EXAMPLES]
    want = sorted(zip(y.tolist(), (image.tobytes() for image in x), strict=True))
    assert got == want
