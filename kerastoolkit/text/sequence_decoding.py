"""Batched greedy and beam-search decoding with a cache of decoder states.

A decoder is given as a step function

    logits, cache = step_fn(tokens, index, cache)

where `tokens` is the `(batch, max_length + 1)` buffer of ids decoded so far
(`tokens[:, 0]` is the start id), `index` the position whose token is fed,
`logits` the `(batch, vocabulary)` scores of the token at `index + 1`, and
`cache` any nest of tensors with the batch on the first axis (the decoder's
states, keys and values of the prefix), so that a step does not recompute the
prefix. The loops are `keras.ops.while_loop`s, so they run inside a
`tf.function` and an exported SavedModel, and stop as soon as every sequence
has produced the end id.

Models with `initial_cache(source, max_length)`, `next_token_logits` and
`next_token_logits_uncached` (`TransformerTranslator`, `Seq2SeqTranslator`)
are decoded with `translate_ids`.

keras-hub's `GreedySampler`/`BeamSampler` are not used: they decode a fixed
prompt tensor in place and the beam sampler has no length penalty.

References:
    Wu et al., "Google's neural machine translation system", 2016 (the
    length penalty lp(Y) = ((5 + |Y|) / 6)^alpha).
    Lecture notes, section 3.2 "Machine translation".
"""

import keras
from keras import ops

from kerastoolkit.utils.argument_checks import non_negative_int, positive_int

_NEG_INF = -1e9


def _check(batch_size, start_id, end_id, pad_id, max_length):
    for name, value in (("start_id", start_id), ("end_id", end_id), ("pad_id", pad_id)):
        non_negative_int(name, value)
    positive_int("max_length", max_length)


def _start_buffer(rows, start_id, pad_id, max_length):
    return ops.concatenate(
        [
            ops.full((rows, 1), start_id, dtype="int32"),
            ops.full((rows, max_length), pad_id, dtype="int32"),
        ],
        axis=1,
    )


def greedy_search(step_fn, cache, batch_size, start_id, end_id, max_length, pad_id=0):
    """Picks the most probable token at every step.

    y_{t+1} = argmax_v p(v | y_0..y_t, x); after the end id, the padding id.

    Args:
        step_fn: `(tokens, index, cache) -> (logits, cache)` (module docstring).
        cache: the initial cache (a nest of tensors, batch first).
        batch_size: the number of sequences (an int or a scalar tensor).
        start_id: the id fed first.
        end_id: the id that ends a sequence.
        max_length: the most tokens to generate.
        pad_id: the id written after the end id.

    Returns:
        `(batch_size, max_length)` int32 ids (without the start id).
    """
    _check(batch_size, start_id, end_id, pad_id, max_length)
    tokens = _start_buffer(batch_size, start_id, pad_id, max_length)
    finished = ops.zeros((batch_size,), dtype="bool")

    def cond(index, tokens, finished, cache):
        return ops.logical_and(index < max_length, ops.logical_not(ops.all(finished)))

    def body(index, tokens, finished, cache):
        logits, cache = step_fn(tokens, index, cache)
        next_ids = ops.cast(ops.argmax(logits, axis=-1), "int32")
        next_ids = ops.where(finished, pad_id, next_ids)
        tokens = ops.slice_update(tokens, (0, index + 1), next_ids[:, None])
        finished = ops.logical_or(finished, ops.equal(next_ids, end_id))
        return index + 1, tokens, finished, cache

    _, tokens, _, _ = ops.while_loop(
        cond, body, (ops.convert_to_tensor(0, "int32"), tokens, finished, cache)
    )
    return tokens[:, 1:]


def length_penalty_factor(lengths, alpha):
    """The GNMT length penalty lp = ((5 + length) / 6) ** alpha."""
    return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, alpha)


def beam_search(
    step_fn,
    cache,
    batch_size,
    start_id,
    end_id,
    max_length,
    beam_size=4,
    length_penalty=0.0,
    pad_id=0,
    return_scores=False,
):
    """Keeps the `beam_size` most probable prefixes of every sequence.

    At each step every live beam is extended by every token, and the
    `beam_size` extensions with the largest log-probability
    log p(y_1..y_{t+1} | x) are kept per sequence; a finished beam (one that
    produced the end id) is carried on unchanged with padding. At the end the
    beam with the largest log p(Y | x) / lp(|Y|) is returned, with
    lp(|Y|) = ((5 + |Y|) / 6)^length_penalty (|Y| counts the end id), so
    `length_penalty = 0` picks the most probable beam and larger values
    favour longer translations. With `beam_size=1` this is `greedy_search`.

    Args:
        step_fn: `(tokens, index, cache) -> (logits, cache)` (module docstring).
        cache: the initial cache for `batch_size` rows; it is repeated for
            every beam (rows b * beam_size .. b * beam_size + beam_size - 1).
        batch_size: the number of sequences (an int or a scalar tensor).
        start_id: the id fed first.
        end_id: the id that ends a sequence.
        max_length: the most tokens to generate.
        beam_size: beams kept per sequence (>= 1).
        length_penalty: alpha >= 0 of the length penalty.
        pad_id: the id written after the end id.
        return_scores: also return the length-normalised log-probabilities.

    Returns:
        `(batch_size, max_length)` int32 ids, and with `return_scores` the
        `(batch_size,)` scores.
    """
    _check(batch_size, start_id, end_id, pad_id, max_length)
    positive_int("beam_size", beam_size)
    if (
        isinstance(length_penalty, bool)
        or not isinstance(length_penalty, (int, float))
        or length_penalty < 0
    ):
        raise ValueError(
            f"`length_penalty` must be a non-negative number, got {length_penalty!r}."
        )
    k = beam_size
    rows = batch_size * k
    cache = keras.tree.map_structure(lambda x: ops.repeat(x, k, axis=0), cache)
    tokens = _start_buffer(rows, start_id, pad_id, max_length)
    # All beams start as the same prefix: only beam 0 may be extended first.
    first = ops.convert_to_tensor([0.0] + [_NEG_INF] * (k - 1), "float32")
    log_probs = ops.tile(first[None], (batch_size, 1))
    finished = ops.zeros((batch_size, k), dtype="bool")
    lengths = ops.zeros((batch_size, k), dtype="int32")
    batch_offsets = ops.arange(batch_size, dtype="int32")[:, None] * k

    def cond(index, tokens, log_probs, finished, lengths, cache):
        return ops.logical_and(index < max_length, ops.logical_not(ops.all(finished)))

    def body(index, tokens, log_probs, finished, lengths, cache):
        logits, cache = step_fn(tokens, index, cache)
        step_log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
        vocabulary = ops.shape(step_log_probs)[-1]
        step_log_probs = ops.reshape(step_log_probs, (batch_size, k, vocabulary))
        # A finished beam continues with padding only, at no cost.
        pad_only = ops.where(
            ops.equal(ops.arange(vocabulary, dtype="int32"), pad_id), 0.0, _NEG_INF
        )
        step_log_probs = ops.where(finished[..., None], pad_only, step_log_probs)
        candidates = ops.reshape(
            log_probs[..., None] + step_log_probs, (batch_size, k * vocabulary)
        )
        log_probs, flat_index = ops.top_k(candidates, k)
        flat_index = ops.cast(flat_index, "int32")
        beam = flat_index // vocabulary
        next_ids = ops.reshape(flat_index % vocabulary, (-1,))
        rows_kept = ops.reshape(batch_offsets + beam, (-1,))
        cache = keras.tree.map_structure(
            lambda x: ops.take(x, rows_kept, axis=0), cache
        )
        tokens = ops.take(tokens, rows_kept, axis=0)
        tokens = ops.slice_update(tokens, (0, index + 1), next_ids[:, None])
        finished = ops.take_along_axis(finished, beam, axis=1)
        lengths = ops.take_along_axis(lengths, beam, axis=1)
        lengths = lengths + ops.cast(ops.logical_not(finished), "int32")
        finished = ops.logical_or(
            finished, ops.equal(ops.reshape(next_ids, (batch_size, k)), end_id)
        )
        return index + 1, tokens, log_probs, finished, lengths, cache

    _, tokens, log_probs, finished, lengths, _ = ops.while_loop(
        cond,
        body,
        (
            ops.convert_to_tensor(0, "int32"),
            tokens,
            log_probs,
            finished,
            lengths,
            cache,
        ),
    )
    scores = log_probs / length_penalty_factor(lengths, float(length_penalty))
    best = ops.cast(ops.argmax(scores, axis=1), "int32")
    tokens = ops.reshape(tokens, (batch_size, k, max_length + 1))
    tokens = ops.take_along_axis(tokens, best[:, None, None], axis=1)[:, 0, 1:]
    if return_scores:
        return tokens, ops.take_along_axis(scores, best[:, None], axis=1)[:, 0]
    return tokens


def translate_ids(
    model,
    source,
    max_length,
    start_id,
    end_id,
    beam_size=1,
    length_penalty=0.0,
    pad_id=0,
    use_cache=True,
):
    """Decodes a batch of source ids with a translator model.

    Args:
        model: a model with `initial_cache(source, max_length)`,
            `next_token_logits` and `next_token_logits_uncached`.
        source: `(batch, S)` source ids.
        max_length: the most target tokens to generate.
        start_id: the target start id.
        end_id: the target end id.
        beam_size: 1 for greedy search, more for beam search.
        length_penalty: alpha of the beam-search length penalty.
        pad_id: the padding id.
        use_cache: whether each step reuses the cached prefix states; if
            False every step recomputes the prefix (slow, for checking).

    Returns:
        `(batch, max_length)` int32 target ids without the start id.
    """
    cache = model.initial_cache(source, max_length + 1)
    step_fn = model.next_token_logits if use_cache else model.next_token_logits_uncached
    batch_size = ops.shape(source)[0]
    if beam_size == 1:
        return greedy_search(
            step_fn, cache, batch_size, start_id, end_id, max_length, pad_id
        )
    return beam_search(
        step_fn,
        cache,
        batch_size,
        start_id,
        end_id,
        max_length,
        beam_size=beam_size,
        length_penalty=length_penalty,
        pad_id=pad_id,
    )
