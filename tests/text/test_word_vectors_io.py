"""word2vec text format (gensim round trip) and the TensorBoard projector folder."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from kerastoolkit.text.word_vectors_io import (
    load_word2vec_format,
    save_projector,
    save_word2vec_format,
)

WORDS = ["the", "cat", "sat", "über"]


def _vectors():
    return np.random.default_rng(0).standard_normal((4, 5)).astype("float32")


def test_gensim_reads_what_we_write_and_we_read_what_gensim_writes(tmp_path):
    vectors = _vectors()
    save_word2vec_format(tmp_path / "ours.txt", WORDS, vectors)
    keyed = KeyedVectors.load_word2vec_format(str(tmp_path / "ours.txt"))
    assert keyed.index_to_key == WORDS
    np.testing.assert_array_equal(keyed.vectors, vectors)
    keyed.save_word2vec_format(str(tmp_path / "gensim.txt"))
    words, loaded = load_word2vec_format(tmp_path / "gensim.txt")
    assert words == WORDS
    np.testing.assert_allclose(loaded, vectors, rtol=1e-5)


def test_projector_folder(tmp_path):
    vectors = _vectors()
    folder = save_projector(tmp_path / "projector", WORDS, vectors)
    np.testing.assert_allclose(
        np.loadtxt(folder / "vectors.tsv", delimiter="\t"), vectors, rtol=1e-5
    )
    metadata = (folder / "metadata.tsv").read_text(encoding="utf-8")
    assert metadata.splitlines() == WORDS
    config = (folder / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "vectors.tsv"' in config
    assert 'metadata_path: "metadata.tsv"' in config


def test_words_with_spaces_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="without whitespace"):
        save_word2vec_format(tmp_path / "v.txt", ["a b"], np.zeros((1, 2)))
