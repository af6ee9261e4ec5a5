"""Vocabulary building: counts, `min_count`, `max_vocab`, the two distributions."""

import numpy as np
import pytest

from kerastoolkit.text.vocabulary import Vocabulary

CORPUS = [["a", "b", "a", "c"], ["d", "a", "b"], ["c", "e", "b", "a"]]


def test_words_are_ranked_by_count_ties_in_first_seen_order():
    vocabulary = Vocabulary.build(CORPUS, min_count=1)
    assert vocabulary.words == ["a", "b", "c", "d", "e"]
    np.testing.assert_array_equal(vocabulary.counts, [4, 3, 2, 1, 1])
    assert "e" in vocabulary and "z" not in vocabulary and len(vocabulary) == 5


def test_min_count_and_max_vocab_drop_rare_words_and_encode_skips_them():
    assert Vocabulary.build(CORPUS, min_count=2).words == ["a", "b", "c"]
    vocabulary = Vocabulary.build(CORPUS, min_count=1, max_vocab=2)
    assert vocabulary.words == ["a", "b"]
    np.testing.assert_array_equal(vocabulary.encode(["c", "b", "z", "a"]), [1, 0])


def test_keep_probabilities_follow_the_word2vec_formula():
    vocabulary = Vocabulary({"the": 810, "sat": 100, "cat": 90}, min_count=1)
    # s T = 0.01 * 1000 = 10: keep = (sqrt(f / 10) + 1) * 10 / f, at most 1.
    expected = [(9 + 1) * 10 / 810, (np.sqrt(10) + 1) / 10, (3 + 1) * 10 / 90]
    np.testing.assert_allclose(vocabulary.keep_probabilities(0.01), expected)
    np.testing.assert_array_equal(vocabulary.keep_probabilities(0), [1, 1, 1])
    assert Vocabulary({"x": 1, "y": 1}, min_count=1).keep_probabilities(1.0)[0] == 1


def test_noise_distribution_is_the_unigram_to_the_three_quarters():
    vocabulary = Vocabulary({"x": 16, "y": 1}, min_count=1)
    np.testing.assert_allclose(vocabulary.noise_distribution(), [8 / 9, 1 / 9])
    np.testing.assert_allclose(vocabulary.noise_distribution(1.0), [16 / 17, 1 / 17])


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="`min_count` must be a positive integer"):
        Vocabulary.build(CORPUS, min_count=0)
    with pytest.raises(ValueError, match="`max_vocab` must be a positive integer"):
        Vocabulary.build(CORPUS, max_vocab=-1)
    with pytest.raises(ValueError, match="No word occurs at least"):
        Vocabulary.build(CORPUS, min_count=10)
    with pytest.raises(TypeError, match="lists of tokens"):
        Vocabulary.build(["a b c"])
