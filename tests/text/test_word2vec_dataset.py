"""The word2vec pipeline: subsampling, dynamic window and negative sampling,
checked statistically with fixed seeds."""

import numpy as np
import pytest
from scipy import stats

from kerastoolkit.text.vocabulary import Vocabulary
from kerastoolkit.text.word2vec_dataset import (
    alias_table,
    steps_per_epoch,
    word2vec_dataset,
)


def _collect(dataset):
    words, targets, labels = [], [], []
    for inputs, batch_labels in dataset:
        words.append(inputs["words"].numpy())
        targets.append(inputs["targets"].numpy())
        labels.append(batch_labels.numpy())
    return np.concatenate(words), np.concatenate(targets), np.concatenate(labels)


def test_subsampling_keeps_a_frequent_word_at_the_formula_rate():
    # "the" is 5000 of 10000 words; with s = 0.01, keep = (sqrt(50) + 1) / 50.
    # Each sentence is ("the", a rare word that is always kept), so CBOW with
    # window 1 gives one example centred on "the" per kept occurrence.
    sentences = [["the", f"w{i % 100}"] for i in range(5000)]
    vocabulary = Vocabulary.build(sentences, min_count=1)
    keep = vocabulary.keep_probabilities(0.01)
    assert keep[0] == pytest.approx((np.sqrt(50) + 1) / 50)
    assert np.all(keep[1:] == 1.0)
    encoded = [vocabulary.encode(s) for s in sentences]
    dataset = word2vec_dataset(
        encoded,
        vocabulary,
        architecture="cbow",
        window=1,
        sample=0.01,
        sentences_per_batch=500,
        seed=3,
    )
    _, targets, _ = _collect(dataset)
    rate = np.mean(targets[:, 0] == 0) * len(targets) / 5000
    sd = np.sqrt(keep[0] * (1 - keep[0]) / 5000)
    assert abs(rate - keep[0]) < 4 * sd, (rate, keep[0])
    # Rare words are all kept, and have a context exactly when "the" was kept.
    assert np.sum(targets[:, 0] != 0) == np.sum(targets[:, 0] == 0)


def test_negatives_follow_the_unigram_to_the_0_75_and_skip_the_true_word():
    rng = np.random.default_rng(0)
    sentences = [
        list(rng.choice(list("abcdef"), 30, p=[0.4, 0.25, 0.15, 0.1, 0.06, 0.04]))
        for _ in range(200)
    ]
    vocabulary = Vocabulary.build(sentences, min_count=1)
    encoded = [vocabulary.encode(s) for s in sentences]
    dataset = word2vec_dataset(
        encoded, vocabulary, window=2, negatives=5, sample=0, seed=1
    )
    _, targets, labels = _collect(dataset)
    noise = targets[:, 1:].ravel()
    observed = np.bincount(noise, minlength=len(vocabulary))
    expected = vocabulary.noise_distribution(0.75) * noise.size
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    # Under the plain unigram distribution the same draws are far off.
    unigram = vocabulary.counts / vocabulary.counts.sum() * noise.size
    assert stats.chisquare(observed, unigram).pvalue < 1e-6
    np.testing.assert_array_equal(labels[:, 0], 1.0)
    np.testing.assert_array_equal(labels[:, 1:] == -1, targets[:, 1:] == targets[:, :1])
    assert set(np.unique(labels[:, 1:])) == {-1.0, 0.0}


def _alias_probabilities(accept, alias):
    n = len(accept)
    probabilities = np.asarray(accept, dtype=np.float64) / n
    np.add.at(probabilities, alias, (1.0 - np.asarray(accept)) / n)
    return probabilities


def test_alias_table_gives_back_the_distribution_exactly():
    # (0.5, 0.3, 0.2) x 3 = (1.5, 0.9, 0.6): word 2 keeps 0.6 of its bucket and
    # lends 0.4 to word 0; word 1 keeps 0.9 and lends 0.1 to word 0.
    accept, alias = alias_table([0.5, 0.3, 0.2])
    np.testing.assert_allclose(accept, [1.0, 0.9, 0.6])
    assert alias[1] == 0 and alias[2] == 0
    p = np.random.default_rng(0).random(500) ** 4
    p /= p.sum()
    np.testing.assert_allclose(_alias_probabilities(*alias_table(p)), p, atol=1e-15)


def test_dynamic_window_weights_distance_d_by_window_minus_d_plus_one():
    words = [f"w{i}" for i in range(600)]
    vocabulary = Vocabulary.build([words], min_count=1)
    encoded = [vocabulary.encode(words)]
    dataset = word2vec_dataset(
        encoded, vocabulary, window=3, negatives=1, sample=0, seed=2
    )
    inputs, targets, _ = _collect(dataset)
    distance = np.abs(inputs - targets[:, 0])
    counts = np.bincount(distance, minlength=4)[1:]
    assert counts.sum() == len(distance) and distance.min() == 1
    # P(b >= d) = (3 - d + 1) / 3, so distances 1, 2, 3 come as 3 : 2 : 1.
    expected = np.array([3, 2, 1]) / 6 * counts.sum()
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_pairs_stay_inside_sentences_and_cbow_pads_with_minus_one():
    sentences = [["a", "b"], ["c", "d", "e"]]
    vocabulary = Vocabulary.build(sentences, min_count=1)
    encoded = [vocabulary.encode(s) for s in sentences]
    pairs = set()
    for seed in range(5):
        inputs, targets, _ = _collect(
            word2vec_dataset(encoded, vocabulary, window=1, sample=0, seed=seed)
        )
        pairs |= set(zip(inputs.tolist(), targets[:, 0].tolist(), strict=True))
    # Window 1: neighbours only, never across the sentence boundary (b, c).
    assert pairs == {(0, 1), (1, 0), (2, 3), (3, 2), (3, 4), (4, 3)}
    inputs, targets, _ = _collect(
        word2vec_dataset(
            encoded, vocabulary, architecture="cbow", window=2, sample=0, seed=0
        )
    )
    assert inputs.shape == (5, 4)
    row = inputs[targets[:, 0] == 0][0]
    assert sorted(row.tolist()) == [-1, -1, -1, 1]


def test_seed_makes_the_epoch_reproducible_and_steps_are_counted():
    sentences = [["a", "b", "c", "a"]] * 10
    vocabulary = Vocabulary.build(sentences, min_count=1)
    encoded = [vocabulary.encode(s) for s in sentences]
    first = _collect(word2vec_dataset(encoded, vocabulary, sentences_per_batch=3))
    second = _collect(word2vec_dataset(encoded, vocabulary, sentences_per_batch=3))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    batches = list(word2vec_dataset(encoded, vocabulary, sentences_per_batch=3))
    assert len(batches) == steps_per_epoch(10, 3) == 4


def test_each_epoch_draws_new_windows_and_negatives():
    sentences = [["a", "b", "c", "d", "e", "f"]] * 4
    vocabulary = Vocabulary.build(sentences, min_count=1)
    encoded = [vocabulary.encode(s) for s in sentences]
    dataset = word2vec_dataset(
        encoded, vocabulary, sample=0, shuffle=False, sentences_per_batch=4, seed=0
    )
    (first, _), (second, _) = list(dataset.repeat(2))
    assert not np.array_equal(first["targets"].numpy(), second["targets"].numpy())


def test_bad_arguments_are_rejected():
    vocabulary = Vocabulary.build([["a", "b"]], min_count=1)
    encoded = [vocabulary.encode(["a", "b"])]
    with pytest.raises(ValueError, match="`architecture` must be one of"):
        word2vec_dataset(encoded, vocabulary, architecture="glove")
    with pytest.raises(ValueError, match="`window` must be a positive integer"):
        word2vec_dataset(encoded, vocabulary, window=0)
    with pytest.raises(ValueError, match=r"indices in \[0, len\(vocabulary\)=2\)"):
        word2vec_dataset([np.array([0, 5])], vocabulary)
