"""The word2vec input pipeline in `tf.data`: skip-gram or CBOW pairs with negatives."""

import math

import numpy as np
import tensorflow as tf

_ARCHITECTURES = ("skipgram", "cbow")
# gensim draws negatives from a cumulative table over [0, 2^31 - 1].
_TABLE_DOMAIN = 2**31 - 1


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def steps_per_epoch(num_sentences, sentences_per_batch):
    """The number of batches `word2vec_dataset` yields in one pass."""
    return math.ceil(num_sentences / sentences_per_batch)


def word2vec_dataset(
    sentences,
    vocabulary,
    *,
    architecture="skipgram",
    window=5,
    negatives=5,
    sample=1e-3,
    ns_exponent=0.75,
    sentences_per_batch=16,
    shuffle=True,
    seed=0,
):
    """One epoch of word2vec training batches, built on the fly from sentences.

    Only the encoded sentences are held in memory; each batch of
    `sentences_per_batch` sentences is turned into pairs inside the pipeline,
    in the order of gensim's `Word2Vec` (and word2vec.c):

    1. Subsampling: each occurrence of word `w` is kept with probability
       `keep(w) = min(1, (sqrt(f(w) / (s T)) + 1) (s T) / f(w))`
       (`Vocabulary.keep_probabilities(sample)`), before the windows are taken.
    2. Dynamic window: every centre position `i` draws `b_i` uniformly from
       `1..window`; its context is the words at distance `1..b_i` in the same
       sentence, so near words are seen more often than far ones.
    3. Pairs: skip-gram gives one example per (context word, centre word)
       pair, the context word's input vector predicting the centre word;
       CBOW gives one example per centre word, its context words (padded
       with -1 to `2 window`) predicting it.
    4. Negative sampling: `negatives` words per example drawn from
       `noise(w) ~ f(w)^ns_exponent` (0.75 in the paper) by a cumulative
       table and binary search, as gensim does. A negative equal to the
       centre word is masked (label -1), as gensim skips it.

    Args:
        sentences: a sequence of int arrays, the vocabulary indices of each
            sentence (`Vocabulary.encode`).
        vocabulary: the `Vocabulary` the indices refer to.
        architecture: "skipgram" or "cbow".
        window: positive integer, the largest window radius.
        negatives: positive integer, noise words per example.
        sample: the subsampling threshold `s` (0 turns it off).
        ns_exponent: the power of the noise distribution.
        sentences_per_batch: positive integer, sentences per training step.
        shuffle: whether to shuffle the sentence order (every epoch anew).
        seed: integer seed of the shuffling, subsampling, windows and negatives.

    Returns:
        A `tf.data.Dataset` of `({"words": w, "targets": t}, labels)`: `w` is
        `(n,)` (skip-gram) or `(n, 2 window)` (CBOW) int32 word indices, `t`
        `(n, 1 + negatives)` int32 (the true centre word first) and `labels`
        `(n, 1 + negatives)` float32, 1 for the true word, 0 for a negative,
        -1 for a masked one. `n` varies from batch to batch.

    Example:

    >>> vocabulary = Vocabulary.build(corpus, min_count=5)
    >>> encoded = [vocabulary.encode(s) for s in corpus]
    >>> dataset = word2vec_dataset(encoded, vocabulary, window=5, negatives=5)
    """
    if architecture not in _ARCHITECTURES:
        raise ValueError(
            f"`architecture` must be one of {_ARCHITECTURES}, got {architecture!r}."
        )
    window = _positive("window", window)
    negatives = _positive("negatives", negatives)
    sentences_per_batch = _positive("sentences_per_batch", sentences_per_batch)
    if not len(sentences):
        raise ValueError("`sentences` is empty.")
    lengths = np.array([len(s) for s in sentences], dtype=np.int64)
    flat = (
        np.concatenate([np.asarray(s, dtype=np.int32) for s in sentences])
        if lengths.sum()
        else np.zeros((0,), np.int32)
    )
    if flat.size and (flat.min() < 0 or flat.max() >= len(vocabulary)):
        raise ValueError(
            "`sentences` must hold indices in [0, len(vocabulary)="
            f"{len(vocabulary)}), got values in [{flat.min()}, {flat.max()}]."
        )
    keep = tf.constant(vocabulary.keep_probabilities(sample), tf.float32)
    noise = vocabulary.noise_distribution(ns_exponent)
    table = tf.constant(
        np.round(np.cumsum(noise) * _TABLE_DOMAIN).astype(np.int64), tf.int64
    )
    ragged = tf.RaggedTensor.from_row_lengths(flat, lengths)

    def pairs(batch, seeds):
        seeds = tf.reshape(seeds, (3, 2))
        ids = batch.flat_values
        sentence = tf.cast(batch.value_rowids(), tf.int32)
        kept = tf.random.stateless_uniform(tf.shape(ids), seeds[0]) < tf.gather(
            keep, ids
        )
        ids = tf.boolean_mask(ids, kept)
        sentence = tf.boolean_mask(sentence, kept)
        n = tf.size(ids)
        radius = tf.random.stateless_uniform(
            [n], seeds[1], minval=1, maxval=window + 1, dtype=tf.int32
        )
        offsets = [o for o in range(-window, window + 1) if o != 0]
        if architecture == "skipgram":
            inputs, centres = [], []
            for o in offsets:
                i = tf.range(max(0, -o), tf.maximum(n - max(0, o), max(0, -o)))
                j = i + o
                valid = (tf.gather(sentence, i) == tf.gather(sentence, j)) & (
                    tf.gather(radius, i) >= abs(o)
                )
                inputs.append(tf.gather(ids, tf.boolean_mask(j, valid)))
                centres.append(tf.gather(ids, tf.boolean_mask(i, valid)))
            words = tf.concat(inputs, 0)
            centre = tf.concat(centres, 0)
        else:
            positions = tf.range(n)[:, None] + tf.constant(offsets)[None, :]
            inside = (positions >= 0) & (positions < n)
            clipped = tf.clip_by_value(positions, 0, tf.maximum(n - 1, 0))
            valid = (
                inside
                & (tf.gather(sentence, clipped) == sentence[:, None])
                & (radius[:, None] >= tf.abs(tf.constant(offsets))[None, :])
            )
            context = tf.where(valid, tf.gather(ids, clipped), -1)
            has_context = tf.reduce_any(valid, axis=1)
            words = tf.boolean_mask(context, has_context)
            centre = tf.boolean_mask(ids, has_context)
        m = tf.size(centre)
        draws = tf.random.stateless_uniform(
            [m, negatives], seeds[2], maxval=_TABLE_DOMAIN, dtype=tf.int64
        )
        noise_words = tf.reshape(
            tf.searchsorted(table, tf.reshape(draws, [-1]), side="right"),
            [m, negatives],
        )
        noise_words = tf.cast(noise_words, tf.int32)
        noise_words = tf.minimum(noise_words, len(vocabulary) - 1)
        targets = tf.concat([centre[:, None], noise_words], axis=1)
        labels = tf.concat(
            [
                tf.ones([m, 1]),
                tf.where(noise_words == centre[:, None], -1.0, 0.0),
            ],
            axis=1,
        )
        return {"words": words, "targets": targets}, labels

    dataset = tf.data.Dataset.from_tensor_slices(ragged)
    if shuffle:
        dataset = dataset.shuffle(
            len(sentences), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.ragged_batch(sentences_per_batch)
    # New draws every time the dataset is iterated (every epoch of `repeat`).
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(6)
    dataset = tf.data.Dataset.zip((dataset, seeds))
    return dataset.map(pairs, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )
