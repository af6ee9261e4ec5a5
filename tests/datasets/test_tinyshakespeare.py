"""Tests of the Tiny Shakespeare loader."""

import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location, tinyshakespeare


@pytest.fixture(scope="module")
def text(data_root):
    return tinyshakespeare.load_data(data_dir=data_root)


def _write_fake(folder, content="To be, or not to be.\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.txt").write_text(content)
    return folder


def test_length_and_first_lines(text):
    assert isinstance(text, str) and len(text) == 1115394
    assert text.startswith(
        "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    )
    assert text.endswith("Whiles thou art waking.\n")


def test_splits_follow_tensorflow_datasets(text, data_root):
    parts = tinyshakespeare.split_text(text)
    assert {name: len(part) for name, part in parts.items()} == {
        "train": 1003854,
        "validation": 55770,
        "test": 55770,
    }
    assert "".join(parts[name] for name in tinyshakespeare.SPLITS) == text
    assert parts["validation"].startswith("?\n\nGREMIO:\nGood morrow, neighb")
    test_part = tinyshakespeare.load_data(data_dir=data_root, split="test")
    assert test_part == parts["test"]
    with pytest.raises(
        ValueError, match="`split` must be one of 'train', 'validation'"
    ):
        tinyshakespeare.load_data(data_dir=data_root, split="valid")


def test_data_dir_beats_env_var(isolated_locations, tmp_path, monkeypatch):
    env_root = _write_fake(tmp_path / "env" / "tinyshakespeare", "env\n").parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert tinyshakespeare.load_data() == "env\n"
    arg = _write_fake(tmp_path / "arg", "arg\r\nkept\n")
    assert tinyshakespeare.load_data(data_dir=arg) == "arg\r\nkept\n"


def test_not_found_lists_places(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        tinyshakespeare.load_data(data_dir=tmp_path / "empty")
    message = str(info.value)
    assert "Tiny Shakespeare data set not found. Looked for input.txt in:" in message
    assert str(tmp_path / "empty" / "tinyshakespeare") in message
    assert "$KERASTOOLKIT_DATA_DIR (not set)" in message
    assert str(isolated_locations / "tinyshakespeare") in message
    assert "raw.githubusercontent.com/karpathy/char-rnn" in message


def test_download_matches_stored_sha256(isolated_locations, data_root, fake_fetch):
    fetched = fake_fetch(data_root / "tinyshakespeare")
    assert len(tinyshakespeare.load_data(download=True)) == 1115394
    assert fetched == [tinyshakespeare.DATA_FILES.files["input.txt"].url]
    assert (isolated_locations / "tinyshakespeare" / "input.txt").is_file()


def test_download_sha256_mismatch(isolated_locations, tmp_path, fake_fetch):
    fake_fetch(_write_fake(tmp_path / "server"))
    with pytest.raises(ValueError, match="SHA-256 mismatch for Tiny Shakespeare"):
        tinyshakespeare.load_data(download=True)
    assert not (isolated_locations / "tinyshakespeare" / "input.txt").exists()


def test_as_dataset(tmp_path):
    import tensorflow as tf

    folder = _write_fake(tmp_path / "fake", "x" * 100)
    dataset = tinyshakespeare.as_dataset("validation", data_dir=folder)
    assert dataset.element_spec == {"text": tf.TensorSpec((), tf.string)}
    assert list(dataset.as_numpy_iterator()) == [{"text": b"x" * 5}]


def test_as_dataset_from_tfds_prepares_offline(text, data_root, tmp_path):
    # tensorflow-datasets' own tiny_shakespeare builder, prepared from the local
    # file (it checks the file against the SHA-256 it registered).
    tfds_data_dir = tmp_path / "tfds"
    splits = tinyshakespeare.split_text(text)
    for split in tinyshakespeare.SPLITS:
        dataset = tinyshakespeare.as_dataset(
            split, data_dir=data_root, source="tfds", tfds_data_dir=tfds_data_dir
        )
        assert [
            example["text"].decode() for example in dataset.as_numpy_iterator()
        ] == [splits[split]]
    assert (tfds_data_dir / "tiny_shakespeare" / "1.0.0").is_dir()
