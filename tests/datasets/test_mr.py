"""Tests of the MR (rt-polarity) loader and its fixed split."""

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location, mr


@pytest.fixture(scope="module")
def everything(data_root):
    return mr.load_all(data_dir=data_root)


def _write_fake(folder, positives, negatives):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rt-polarity.pos").write_bytes(
        ("\n".join(positives) + "\n").encode("latin-1")
    )
    (folder / "rt-polarity.neg").write_bytes(
        ("\n".join(negatives) + "\n").encode("latin-1")
    )
    return folder


def test_counts_labels_and_first_sentences(everything):
    sentences, labels = everything
    assert len(sentences) == 10662 and labels.shape == (10662,)
    assert labels.dtype == np.int64
    assert labels[:5331].tolist() == [1] * 5331 and labels[5331:].tolist() == [0] * 5331
    assert sentences[0].startswith("the rock is destined to be the 21st century's new")
    assert sentences[5331] == "simplistic , silly and tedious ."
    assert (
        sentences[-1] == "enigma is well-made , but it's just too dry and too placid ."
    )


def test_latin1_decoding(everything):
    sentences, _ = everything
    assert sentences[355] == "absorbing character study by andré turpin ."
    # 0x85 (a Windows-1252 ellipsis) stays inside its sentence.
    assert "interwoven\x85 [the film]" in sentences[489]


def test_default_split_is_fixed(data_root, everything):
    (x_train, y_train), (x_test, y_test) = mr.load_data(data_dir=data_root)
    assert (len(x_train), len(x_test)) == (9596, 1066)
    assert y_train.dtype == np.int64 and y_train.shape == (9596,)
    assert x_test[0].startswith("it's a smart , solid , kinetically-charged spy flick")
    assert y_test[:5].tolist() == [1, 0, 0, 0, 1]
    assert x_train[0].startswith("what we have is a character faced with")
    all_sentences, _ = everything
    assert sorted(x_train + x_test) == sorted(all_sentences)


def test_split_indices_is_seeded_and_disjoint():
    train, test = mr.split_indices(100, test_fraction=0.25, seed=7)
    assert (len(train), len(test)) == (75, 25)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    again_train, _ = mr.split_indices(100, test_fraction=0.25, seed=7)
    np.testing.assert_array_equal(train, again_train)
    other_train, _ = mr.split_indices(100, test_fraction=0.25, seed=8)
    assert not np.array_equal(train, other_train)
    np.testing.assert_array_equal(test, np.random.default_rng(7).permutation(100)[:25])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"test_fraction": 1.5},
            r"`test_fraction` must be a number in \(0, 1\), got 1.5",
        ),
        ({"test_fraction": 0.001}, "leaves an empty split"),
        ({"seed": -1}, "`seed` must be a non-negative integer, got -1"),
        ({"seed": 1.5}, "`seed` must be a non-negative integer, got 1.5"),
    ],
)
def test_bad_split_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mr.split_indices(100, **kwargs)


def test_data_dir_beats_env_var(isolated_locations, tmp_path, monkeypatch):
    env_root = _write_fake(
        tmp_path / "env" / "sentence-classification", ["env good"], ["env bad"]
    ).parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert mr.load_all()[0] == ["env good", "env bad"]
    arg = _write_fake(tmp_path / "arg", ["caf\xe9 good ", "fine"], ["bad"])
    sentences, labels = mr.load_all(data_dir=arg)
    assert sentences == ["café good", "fine", "bad"]
    assert labels.tolist() == [1, 1, 0]


def test_not_found_lists_places(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        mr.load_data(data_dir=tmp_path / "empty")
    message = str(info.value)
    assert "MR (rt-polarity) data set not found" in message
    assert str(tmp_path / "empty" / "sentence-classification") in message
    assert "$KERASTOOLKIT_DATA_DIR (not set)" in message
    assert str(isolated_locations / "sentence-classification") in message
    assert "rt-polarity.pos, rt-polarity.neg" in message


def test_download_matches_stored_sha256(isolated_locations, data_root, fake_fetch):
    fetched = fake_fetch(data_root / "sentence-classification")
    sentences, _ = mr.load_all(download=True)
    assert len(sentences) == 10662
    assert [url.rsplit("/", 1)[1] for url in fetched] == [
        "rt-polarity.pos",
        "rt-polarity.neg",
    ]
    assert (
        isolated_locations / "sentence-classification" / "rt-polarity.neg"
    ).is_file()


def test_download_sha256_mismatch(isolated_locations, tmp_path, fake_fetch):
    fake_fetch(_write_fake(tmp_path / "server", ["not"], ["the data"]))
    with pytest.raises(ValueError, match="SHA-256 mismatch for MR"):
        mr.load_data(download=True)


def test_as_dataset(data_root):
    import tensorflow as tf

    dataset = mr.as_dataset("test", data_dir=data_root)
    assert dataset.element_spec == {
        "sentence": tf.TensorSpec((), tf.string),
        "label": tf.TensorSpec((), tf.int64),
    }
    assert int(dataset.cardinality()) == 1066
    first = next(iter(dataset))
    assert first["sentence"].numpy().decode().startswith("it's a smart , solid")
    assert int(first["label"]) == 1
    with pytest.raises(ValueError, match="`split` must be one of 'train', 'test'"):
        mr.as_dataset("dev")
