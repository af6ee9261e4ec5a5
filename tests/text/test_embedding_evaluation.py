"""Word-pair similarity, 3CosAdd analogies and neighbours against hand-computed values,
and against gensim's own evaluation on the files it ships."""

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from kerastoolkit.text.embedding_evaluation import (
    analogy_accuracy,
    nearest_neighbours,
    read_analogies,
    read_word_pairs,
    word_pair_similarity,
)

WORDS = ["a", "b", "c", "d"]
# 2-D vectors: cos(a, b) = 1, cos(a, c) = 0, cos(a, d) = -1/sqrt(2), chosen
# so that the similarities of the pairs below are easy to rank by hand.
VECTORS = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [-1.0, 1.0]])


def test_spearman_and_oov_ratio_by_hand():
    # cosines: (a, b) 1, (a, c) 0, (a, d) -0.707, (b, c) 0; the (a, z) pair is OOV.
    pairs = [
        ("A", "b", 9.0),
        ("a", "c", 5.0),
        ("a", "d", 1.0),
        ("c", "b", 6.0),
        ("a", "z", 3.0),
    ]
    result = word_pair_similarity(WORDS, VECTORS, pairs)
    # Ranks of the model: [4, 2.5, 1, 2.5]; of the humans: [4, 2, 1, 3].
    model_ranks, human_ranks = np.array([4, 2.5, 1, 2.5]), np.array([4, 2, 1, 3])
    expected = np.corrcoef(model_ranks, human_ranks)[0, 1]
    assert result["spearman"] == pytest.approx(expected)
    assert expected == pytest.approx(0.9486833)
    assert result["oov_ratio"] == pytest.approx(0.2) and result["pairs"] == 4


def test_analogy_3cosadd_by_hand():
    words = ["man", "woman", "king", "queen", "apple"]
    vectors = np.array(
        [
            [1.0, 0.0, 0.1],
            [1.0, 1.0, 0.1],
            [1.0, 0.0, 1.0],
            [1.0, 1.0, 1.0],
            [0.0, 0.1, 0.0],
        ]
    )
    questions = [
        ("royal", ("man", "woman", "king", "queen")),  # correct
        ("royal", ("woman", "man", "queen", "king")),  # correct
        ("fruit", ("man", "king", "woman", "apple")),  # answers "queen": wrong
        ("fruit", ("man", "pear", "king", "queen")),  # OOV: skipped
    ]
    result = analogy_accuracy(words, vectors, questions)
    assert result["correct"] == 2 and result["questions"] == 3
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["oov_ratio"] == pytest.approx(0.25)
    assert result["sections"] == {"royal": 1.0, "fruit": 0.0}


def test_nearest_neighbours_by_cosine():
    neighbours = nearest_neighbours(WORDS, VECTORS, "a", k=2)
    assert [w for w, _ in neighbours] == ["b", "c"]
    np.testing.assert_allclose([s for _, s in neighbours], [1.0, 0.0], atol=1e-12)
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary"):
        nearest_neighbours(WORDS, VECTORS, "zebra")


def test_matches_gensim_on_the_shipped_files():
    rng = np.random.default_rng(0)
    pairs = read_word_pairs(datapath("wordsim353.tsv"))
    questions = read_analogies(datapath("questions-words.txt"))
    assert len(pairs) == 353 and len(read_word_pairs(datapath("simlex999.txt"))) == 999
    assert len(questions) == 19544
    # A vocabulary with most test words, and random vectors.
    words = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})[:300]
    words += sorted({w.lower() for _, q in questions[:3000] for w in q} - set(words))
    vectors = rng.standard_normal((len(words), 8))
    keyed = KeyedVectors(8)
    keyed.add_vectors(words, vectors)
    ours = word_pair_similarity(words, vectors, datapath("wordsim353.tsv"))
    (_, _), (rho, _), oov_percent = keyed.evaluate_word_pairs(
        datapath("wordsim353.tsv")
    )
    assert ours["spearman"] == pytest.approx(rho, abs=1e-9)
    assert ours["oov_ratio"] == pytest.approx(oov_percent / 100)
    accuracy, _ = keyed.evaluate_word_analogies(datapath("questions-words.txt"))
    ours = analogy_accuracy(words, vectors, datapath("questions-words.txt"))
    assert ours["questions"] > 1000
    assert ours["accuracy"] == pytest.approx(accuracy, abs=1e-9)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"shape \(len\(words\), dim\) = \(4, dim\)"):
        word_pair_similarity(WORDS, VECTORS[:3], [("a", "b", 1.0)])
