"""A word vocabulary with counts: `min_count`, `max_vocab`, subsampling and noise."""

import collections

import numpy as np

from kerastoolkit.utils.argument_checks import positive_int


class Vocabulary:
    """Words and their corpus counts, most frequent first (ties: first seen first).

    Built as gensim's `Word2Vec.build_vocab`: words seen fewer than
    `min_count` times are dropped; `max_vocab`, when given, then keeps the
    `max_vocab` most frequent words (gensim's `max_final_vocab`). Dropped words
    are skipped by `encode`, as gensim skips them when training.

    The two word2vec distributions are read from the counts:

        keep(w)  = min(1, (sqrt(f(w) / (s T)) + 1) (s T) / f(w))    subsampling
        noise(w) = f(w)^0.75 / sum_v f(v)^0.75                      negatives

    with `f(w)` the count of `w`, `T` the total count of kept words and `s`
    the `sample` threshold (word2vec.c and gensim use these formulas).

    Args:
        counts: a mapping from word to count, or an iterable of `(word, count)`.
        min_count: positive integer, the fewest occurrences a word needs.
        max_vocab: positive integer or None, the most words kept.

    Example:

    >>> vocabulary = Vocabulary.build([["a", "b", "a"], ["a", "c"]], min_count=1)
    >>> vocabulary.words, vocabulary.encode(["a", "z", "c"])
    (['a', 'b', 'c'], array([0, 2], dtype=int32))

    References:
        Mikolov et al., "Distributed Representations of Words and Phrases and
        their Compositionality", NeurIPS 2013.
    """

    def __init__(self, counts, min_count=5, max_vocab=None):
        self.min_count = positive_int("min_count", min_count)
        self.max_vocab = (
            None if max_vocab is None else positive_int("max_vocab", max_vocab)
        )
        items = counts.items() if hasattr(counts, "items") else counts
        # A stable sort keeps first-seen order among equal counts.
        ranked = sorted(
            ((w, int(c)) for w, c in items if int(c) >= self.min_count),
            key=lambda item: -item[1],
        )
        if self.max_vocab is not None:
            ranked = ranked[: self.max_vocab]
        if not ranked:
            raise ValueError(
                f"No word occurs at least `min_count`={self.min_count} times."
            )
        self.words = [w for w, _ in ranked]
        self.counts = np.array([c for _, c in ranked], dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, sentences, min_count=5, max_vocab=None):
        """Counts the words of `sentences` (lists of tokens) and builds a vocabulary."""
        counter = collections.Counter()
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError(
                    "`sentences` must hold lists of tokens, got a string: "
                    f"{sentence[:40]!r}."
                )
            counter.update(sentence)
        return cls(counter, min_count=min_count, max_vocab=max_vocab)

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    def encode(self, sentence):
        """The indices of the words of `sentence` in the vocabulary, others dropped."""
        index = self.index
        return np.array([index[w] for w in sentence if w in index], dtype=np.int32)

    def keep_probabilities(self, sample=1e-3):
        """`keep(w)`, the probability that subsampling keeps an occurrence of `w`.

        `sample=0` (or None) turns subsampling off: every word is kept.
        """
        if not sample:
            return np.ones(len(self), dtype=np.float64)
        if sample < 0:
            raise ValueError(f"`sample` must be non-negative, got {sample!r}.")
        threshold = sample * self.counts.sum()
        f = self.counts.astype(np.float64)
        return np.minimum(1.0, (np.sqrt(f / threshold) + 1.0) * threshold / f)

    def noise_distribution(self, power=0.75):
        """`noise(w)`: the unigram distribution raised to `power`, normalised."""
        weights = self.counts.astype(np.float64) ** power
        return weights / weights.sum()
