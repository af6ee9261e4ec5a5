"""Tests of the SST-2 (stsa.binary) loader."""

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location, sst2


@pytest.fixture(scope="module")
def real_data(data_root):
    return sst2.load_data(data_dir=data_root)


def _write_fake(folder, line="1 fake sentence"):
    folder.mkdir(parents=True, exist_ok=True)
    for split in sst2.SPLITS:
        (folder / f"stsa.binary.{split}").write_text(f"{line}\n0 {split} bad\n")
    return folder


def test_counts_and_labels(real_data):
    assert set(real_data) == {"train", "dev", "test"}
    expected = {"train": 6920, "dev": 872, "test": 1821}
    for split, (sentences, labels) in real_data.items():
        assert len(sentences) == expected[split]
        assert labels.shape == (expected[split],) and labels.dtype == np.int64
        assert set(np.unique(labels)) == {0, 1}


def test_first_examples(real_data):
    train_sentences, train_labels = real_data["train"]
    assert train_sentences[0].startswith("a stirring , funny and finally transporting")
    assert train_labels[:2].tolist() == [1, 0]
    assert real_data["dev"][0][0] == "one long string of cliches ."
    assert real_data["test"][0][0] == "no movement , no yuks , not much of anything ."
    assert real_data["test"][0][1].endswith("like rancid crème brûlée .")


def test_data_dir_beats_env_var(isolated_locations, tmp_path, monkeypatch):
    env_root = _write_fake(tmp_path / "env" / "sentence-classification", "1 env").parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert sst2.load_data()["dev"][0] == ["env", "dev bad"]
    data = sst2.load_data(data_dir=_write_fake(tmp_path / "arg", "1 arg"))
    assert data["test"][0] == ["arg", "test bad"]
    assert data["test"][1].tolist() == [1, 0]


def test_malformed_line_names_file_and_line(tmp_path):
    folder = _write_fake(tmp_path / "bad", line="positive great film")
    with pytest.raises(ValueError, match=r"stsa\.binary\.train, line 1: expected"):
        sst2.load_data(data_dir=folder)


def test_not_found_lists_places(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        sst2.load_data(data_dir=tmp_path / "empty")
    message = str(info.value)
    assert "SST-2 (stsa.binary) data set not found" in message
    assert str(tmp_path / "empty" / "sentence-classification") in message
    assert "$KERASTOOLKIT_DATA_DIR (not set)" in message
    assert str(isolated_locations / "sentence-classification") in message


def test_download_matches_stored_sha256(isolated_locations, data_root, fake_fetch):
    fetched = fake_fetch(data_root / "sentence-classification")
    assert len(sst2.load_data(download=True)["train"][0]) == 6920
    assert len(fetched) == 3


def test_download_sha256_mismatch(isolated_locations, tmp_path, fake_fetch):
    fake_fetch(_write_fake(tmp_path / "server"))
    with pytest.raises(ValueError, match="SHA-256 mismatch for SST-2"):
        sst2.load_data(download=True)


def test_as_dataset(data_root):
    import tensorflow as tf

    dataset = sst2.as_dataset("dev", data_dir=data_root)
    assert dataset.element_spec == {
        "sentence": tf.TensorSpec((), tf.string),
        "label": tf.TensorSpec((), tf.int64),
    }
    assert int(dataset.cardinality()) == 872
    first = next(iter(dataset))
    assert first["sentence"].numpy() == b"one long string of cliches ."
    with pytest.raises(
        ValueError, match="`split` must be one of 'train', 'dev', 'test', got 'val'"
    ):
        sst2.as_dataset("val")


def test_as_dataset_from_tfds_says_glue_needs_a_download(tmp_path):
    # GLUE's SST-2 is another data set, which only a download gives.
    with pytest.raises(DatasetNotFoundError) as raised:
        sst2.as_dataset("dev", source="tfds", tfds_data_dir=tmp_path)
    message = str(raised.value)
    assert "glue/sst2 is not prepared in" in message
    assert "pass download=True" in message
    assert 'tfds.load("kerastoolkit_sst2")' in message
    assert not any(tmp_path.iterdir())
