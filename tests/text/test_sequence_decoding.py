"""Greedy and beam search: beam 1 is greedy, a wide beam is exhaustive search,
the length penalty favours longer outputs, and cached equals uncached decoding."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.models.seq2seq_translator import Seq2SeqTranslator
from kerastoolkit.models.transformer_translator import TransformerTranslator
from kerastoolkit.text.sequence_decoding import (
    beam_search,
    greedy_search,
    translate_ids,
)

PAD, START, END = 0, 1, 2
WORDS = (3, 4)
VOCABULARY = 5


def _markov_step(table):
    """A toy decoder: the logits depend on the sequence row, the last token and
    the position (`table[row, position, last_token]`); the cache carries the
    row index, so beam search must reorder it with the beams."""

    table = tf.constant(table, tf.float32)

    def step_fn(tokens, index, cache):
        last = tf.gather(tokens, index, axis=1)
        rows = cache["row"]
        logits = tf.gather_nd(
            table, tf.stack([rows, tf.fill(tf.shape(rows), index), last], 1)
        )
        return logits, cache

    return step_fn


def _table(batch, length, seed):
    rng = np.random.default_rng(seed)
    table = rng.normal(scale=2.0, size=(batch, length, VOCABULARY, VOCABULARY))
    table[..., PAD] = table[..., START] = -1e4  # only words and END are generated
    return table


def _cache(batch):
    return {"row": tf.range(batch, dtype=tf.int32)}


def _log_softmax(x):
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def _exhaustive(table, row, max_length, alpha):
    """The best complete sequence by log p(Y) / ((5 + |Y|) / 6)^alpha."""
    best, best_score = None, -np.inf
    for n in range(1, max_length + 1):
        endings = [(END,)] if n <= max_length else []
        if n == max_length:
            endings = [(END,), *[(w,) for w in WORDS]]
        for prefix in itertools.product(WORDS, repeat=n - 1):
            for last in endings:
                sequence = (*prefix, *last)
                log_prob, previous = 0.0, START
                for position, token in enumerate(sequence):
                    log_prob += _log_softmax(table[row, position, previous])[token]
                    previous = token
                score = log_prob / ((5 + len(sequence)) / 6) ** alpha
                if score > best_score:
                    best, best_score = sequence, score
    return list(best) + [PAD] * (max_length - len(best))


def test_beam_size_one_equals_greedy():
    table = _table(6, 5, seed=0)
    step = _markov_step(table)
    greedy = greedy_search(step, _cache(6), 6, START, END, 5, PAD)
    beam = beam_search(step, _cache(6), 6, START, END, 5, beam_size=1, pad_id=PAD)
    np.testing.assert_array_equal(greedy, beam)
    # Greedy is the argmax chain, padded after END.
    for row in range(6):
        previous, expected = START, []
        for position in range(5):
            token = int(np.argmax(table[row, position, previous]))
            expected.append(token)
            previous = token
            if token == END:
                break
        expected += [PAD] * (5 - len(expected))
        np.testing.assert_array_equal(greedy[row], expected)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_wide_beam_is_exhaustive_search(alpha):
    # 31 sequences of at most 4 tokens: a beam of 32 can never drop the best.
    batch, max_length = 5, 4
    table = _table(batch, max_length, seed=1)
    found = beam_search(
        _markov_step(table),
        _cache(batch),
        batch,
        START,
        END,
        max_length,
        beam_size=32,
        length_penalty=alpha,
        pad_id=PAD,
    )
    for row in range(batch):
        np.testing.assert_array_equal(
            found[row], _exhaustive(table, row, max_length, alpha)
        )


def test_length_penalty_favours_longer_outputs():
    batch, max_length = 32, 6
    table = _table(batch, max_length, seed=2)
    lengths = []
    for alpha in (0.0, 0.5, 1.0, 2.0, 4.0):
        tokens = np.asarray(
            beam_search(
                _markov_step(table),
                _cache(batch),
                batch,
                START,
                END,
                max_length,
                beam_size=4,
                length_penalty=alpha,
                pad_id=PAD,
            )
        )
        lengths.append((tokens != PAD).sum(axis=1))
    lengths = np.stack(lengths)
    # The beams do not depend on alpha, only the final pick: it never gets
    # shorter as alpha grows, and it does get longer for some sentences.
    assert (np.diff(lengths, axis=0) >= 0).all()
    assert (lengths[-1] > lengths[0]).any()


def _tiny_models():
    keras.utils.set_random_seed(3)
    transformer = TransformerTranslator(
        20,
        20,
        max_length=12,
        num_layers=2,
        hidden_dim=16,
        num_heads=2,
        intermediate_dim=16,
    )
    seq2seq = Seq2SeqTranslator(20, 20, embedding_dim=8, units=8, attention="additive")
    return {"transformer": transformer, "seq2seq": seq2seq}


@pytest.mark.parametrize("beam_size", [1, 3])
def test_cached_equals_uncached_decoding(beam_size):
    source = np.array([[5, 6, 7, 8, 9], [10, 11, 12, 0, 0]], "int32")
    for name, model in _tiny_models().items():
        decoded = {
            use_cache: np.asarray(
                translate_ids(
                    model,
                    source,
                    8,
                    START,
                    END,
                    beam_size=beam_size,
                    length_penalty=0.6,
                    use_cache=use_cache,
                )
            )
            for use_cache in (True, False)
        }
        np.testing.assert_array_equal(decoded[True], decoded[False], err_msg=name)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beam_size": 0}, "`beam_size` must be a positive integer"),
        ({"length_penalty": -1.0}, "`length_penalty` must be a non-negative"),
        ({"max_length": 0}, "`max_length` must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message):
    arguments = dict(
        step_fn=_markov_step(_table(1, 3, 0)),
        cache=_cache(1),
        batch_size=1,
        start_id=START,
        end_id=END,
        max_length=3,
    )
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        beam_search(**arguments)
