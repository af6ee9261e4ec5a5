"""Tests of the Multi30k En-De loader."""

import gzip

import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location, multi30k


@pytest.fixture(scope="module")
def real_data(data_root):
    return multi30k.load_data(data_dir=data_root)


def _write_fake(folder, english=("A dog runs.",), german=("Ein Hund rennt. ",)):
    folder.mkdir(parents=True, exist_ok=True)
    for stem in ("train", "val", "test_2016_flickr"):
        for language, lines in (("en", english), ("de", german)):
            text = "".join(f"{line}\n" for line in lines)
            (folder / f"{stem}.{language}.gz").write_bytes(gzip.compress(text.encode()))
    return folder


def test_counts_and_alignment(real_data):
    assert set(real_data) == {"train", "val", "test"}
    expected = {"train": 29000, "val": 1014, "test": 1000}
    assert multi30k.SPLIT_SIZES == expected
    for split, (english, german) in real_data.items():
        assert len(english) == len(german) == expected[split]
        assert all(isinstance(line, str) for line in english[:10] + german[:10])


def test_first_pairs(real_data):
    english, german = real_data["train"]
    assert english[0] == "Two young, White males are outside near many bushes."
    assert (
        german[0] == "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche."
    )
    assert real_data["val"][0][0] == "A group of men are loading cotton onto a truck"
    assert real_data["test"][0][0] == "A man in an orange hat starring at something."
    assert real_data["test"][1][0] == (
        "Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt."
    )


def test_only_the_newline_is_stripped(real_data):
    _, german = real_data["train"]
    assert not any(line.endswith("\n") for line in german)
    # 40 German training sentences end in a space in the files; it is kept.
    assert sum(line.endswith(" ") for line in german) == 40
    assert german[5279].endswith("pfirsichfarben-weißen Kleid ")


def test_data_dir_beats_env_var(isolated_locations, tmp_path, monkeypatch):
    env_root = _write_fake(tmp_path / "env" / "multi30k", english=("env",)).parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert multi30k.load_data()["val"][0] == ["env"]
    data = multi30k.load_data(data_dir=_write_fake(tmp_path / "arg"))
    assert data["test"] == (["A dog runs."], ["Ein Hund rennt. "])


def test_misaligned_and_corrupt_files(tmp_path):
    folder = _write_fake(tmp_path / "bad", german=("eins", "zwei"))
    with pytest.raises(ValueError, match="has 1 lines but .*train.de.gz has 2"):
        multi30k.load_data(data_dir=folder)
    folder = _write_fake(tmp_path / "corrupt")
    (folder / "val.en.gz").write_bytes(b"\x1f\x8b\x08 truncated")
    with pytest.raises(ValueError, match="val.en.gz is truncated or corrupt"):
        multi30k.load_data(data_dir=folder)


def test_not_found_lists_places(isolated_locations, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        multi30k.load_data(data_dir=tmp_path / "empty")
    message = str(info.value)
    assert "Multi30k (task 1, en-de) data set not found" in message
    assert str(tmp_path / "empty" / "multi30k") in message
    assert "$KERASTOOLKIT_DATA_DIR (not set)" in message
    assert str(isolated_locations / "multi30k") in message
    assert "<root>/multi30k/test_2016_flickr.de.gz" in message


def test_download_matches_stored_sha256(isolated_locations, data_root, fake_fetch):
    fetched = fake_fetch(data_root / "multi30k")
    assert len(multi30k.load_data(download=True)["train"][0]) == 29000
    assert len(fetched) == 6


def test_download_sha256_mismatch(isolated_locations, tmp_path, fake_fetch):
    fake_fetch(_write_fake(tmp_path / "server"))
    with pytest.raises(ValueError, match="SHA-256 mismatch for Multi30k"):
        multi30k.load_data(download=True)


def test_as_dataset(tmp_path):
    import tensorflow as tf

    folder = _write_fake(tmp_path / "fake", ("One.", "Two."), ("Eins.", "Zwei."))
    dataset = multi30k.as_dataset("val", data_dir=folder)
    assert dataset.element_spec == {
        "en": tf.TensorSpec((), tf.string),
        "de": tf.TensorSpec((), tf.string),
    }
    assert list(dataset.as_numpy_iterator()) == [
        {"en": b"One.", "de": b"Eins."},
        {"en": b"Two.", "de": b"Zwei."},
    ]
    with pytest.raises(
        ValueError, match="`split` must be one of 'train', 'val', 'test', got 'dev'"
    ):
        multi30k.as_dataset("dev")
