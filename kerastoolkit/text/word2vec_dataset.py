"""The word2vec input pipeline in `tf.data`: skip-gram or CBOW pairs with negatives."""

import math

import numpy as np
import tensorflow as tf

from kerastoolkit.utils.argument_checks import positive_int

_ARCHITECTURES = ("skipgram", "cbow")


def alias_table(probabilities):
    """Walker's alias table of a discrete distribution (Vose's construction).

    Drawing a bucket `i` uniformly from `0..n-1` and `u ~ U(0, 1)`, the word
    `i if u < accept[i] else alias[i]` has exactly the probabilities given:
    bucket `i` holds `accept[i] / n` of word `i` and the rest of its `1 / n`
    for `alias[i]`. One draw costs two lookups instead of a binary search.

    Returns:
        `(accept, alias)`: float64 and int32 arrays of length `n`.

    References:
        Walker, "An Efficient Method for Generating Discrete Random Variables
        with General Distributions", ACM TOMS 1977.
        Vose, "A Linear Algorithm for Generating Random Numbers with a Given
        Distribution", IEEE TSE 1991.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    n = p.size
    scaled = p / p.sum() * n
    accept = np.ones(n)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    # What is left is 1 up to rounding: those buckets keep their own word.
    return accept, alias


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
    sentences_per_batch=1024,
    shuffle=True,
    seed=0,
):
    """One epoch of word2vec training batches, built on the fly from sentences.

    Only the encoded sentences are held in memory (as one ragged tensor);
    the pipeline shuffles sentence indices, gathers each batch of
    `sentences_per_batch` sentences and turns it into pairs with vectorised
    TensorFlow ops in a parallel `map`, in the order of gensim's `Word2Vec`
    (and word2vec.c):

    1. Subsampling: each occurrence of word `w` is kept with probability
       `keep(w) = min(1, (sqrt(f(w) / (s T)) + 1) (s T) / f(w))`
       (`Vocabulary.keep_probabilities(sample)`), before the windows are taken.
    2. Dynamic window: every centre position `i` draws `b_i` uniformly from
       `1..window`; its context is the words at distance `1..b_i` in the same
       sentence, so near words are seen more often than far ones.
    3. Pairs: skip-gram gives one example per (context word, centre word)
       pair, the context word's input vector predicting the centre word
       (centre by centre, as gensim walks a sentence);
       CBOW gives one example per centre word, its context words (padded
       with -1 to `2 window`) predicting it.
    4. Negative sampling: `negatives` words per example drawn from
       `noise(w) ~ f(w)^ns_exponent` (0.75 in the paper), by Walker's alias
       method (`alias_table`: the same distribution as gensim's cumulative
       table and binary search, in two lookups). A negative equal to the
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
            Large batches keep the per-step overhead of `fit` small; the
            model's fast step splits them into SGD updates of
            `Word2Vec.pairs_per_update` pairs.
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
    window = positive_int("window", window)
    negatives = positive_int("negatives", negatives)
    sentences_per_batch = positive_int("sentences_per_batch", sentences_per_batch)
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
    accept, alias = alias_table(vocabulary.noise_distribution(ns_exponent))
    accept = tf.constant(accept, tf.float32)
    alias = tf.constant(alias, tf.int32)
    ragged = tf.RaggedTensor.from_row_lengths(flat, lengths)

    offsets = tf.constant([o for o in range(-window, window + 1) if o != 0])

    def pairs(indices, seeds):
        seeds = tf.reshape(seeds, (4, 2))
        batch = tf.gather(ragged, indices)
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
        # One row per centre position, one column per offset -window..window:
        # a context is valid inside the sentence and within the drawn radius.
        positions = tf.range(n)[:, None] + offsets[None, :]
        clipped = tf.clip_by_value(positions, 0, tf.maximum(n - 1, 0))
        valid = (
            (positions >= 0)
            & (positions < n)
            & (tf.gather(sentence, clipped) == sentence[:, None])
            & (radius[:, None] >= tf.abs(offsets)[None, :])
        )
        if architecture == "skipgram":
            # Centre-major order, as gensim walks a sentence.
            where = tf.cast(tf.where(valid), tf.int32)
            centre = tf.gather(ids, where[:, 0])
            words = tf.gather(ids, where[:, 0] + tf.gather(offsets, where[:, 1]))
        else:
            context = tf.where(valid, tf.gather(ids, clipped), -1)
            has_context = tf.reduce_any(valid, axis=1)
            words = tf.boolean_mask(context, has_context)
            centre = tf.boolean_mask(ids, has_context)
        m = tf.size(centre)
        bucket = tf.random.stateless_uniform(
            [m, negatives], seeds[2], maxval=len(vocabulary), dtype=tf.int32
        )
        coin = tf.random.stateless_uniform([m, negatives], seeds[3])
        noise_words = tf.where(
            coin < tf.gather(accept, bucket), bucket, tf.gather(alias, bucket)
        )
        targets = tf.concat([centre[:, None], noise_words], axis=1)
        labels = tf.concat(
            [
                tf.ones([m, 1]),
                tf.where(noise_words == centre[:, None], -1.0, 0.0),
            ],
            axis=1,
        )
        return {"words": words, "targets": targets}, labels

    # Batches of sentence indices, gathered from the ragged corpus in the map:
    # slicing and re-batching the ragged sentences one by one in tf.data
    # costs more than building the pairs.
    dataset = tf.data.Dataset.range(len(sentences))
    if shuffle:
        dataset = dataset.shuffle(
            len(sentences), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.batch(sentences_per_batch)
    # New draws every time the dataset is iterated (every epoch of `repeat`).
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(8)
    dataset = tf.data.Dataset.zip((dataset, seeds))
    return dataset.map(pairs, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )
