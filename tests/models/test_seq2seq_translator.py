"""Seq2SeqTranslator: the shared helpers, masking, the LSTM reference and the cache."""

import keras
import numpy as np
import pytest

from kerastoolkit.models.seq2seq_translator import Seq2SeqTranslator
from kerastoolkit.testing import (
    check_config_roundtrip,
    check_gradients,
    check_keras_saving,
    check_saved_model_export,
)


def _model(**kwargs):
    keras.utils.set_random_seed(0)
    arguments = dict(
        source_vocabulary_size=23,
        target_vocabulary_size=29,
        embedding_dim=8,
        units=12,
        dropout=0.1,
    )
    arguments.update(kwargs)
    return Seq2SeqTranslator(**arguments)


def _inputs(batch=3, source_length=6, target_length=5, seed=0):
    rng = np.random.default_rng(seed)
    source = rng.integers(4, 23, (batch, source_length)).astype("int32")
    source[0, -2:] = 0  # trailing padding
    target = rng.integers(4, 29, (batch, target_length)).astype("int32")
    return {"source": source, "target": target}


@pytest.mark.parametrize("attention", ["additive", "multiplicative"])
def test_shared_helpers(attention, tmp_path):
    model = _model(attention=attention)
    inputs = _inputs()
    assert model(inputs).shape == (3, 5, 29)
    check_config_roundtrip(model, inputs)
    check_keras_saving(model, inputs, tmp_path)
    check_gradients(model, inputs)
    if attention == "additive":
        check_saved_model_export(
            model, inputs, tmp_path, more_inputs=[_inputs(2, 4, 7, seed=1)]
        )


def test_source_padding_is_masked():
    model = _model()
    inputs = _inputs()
    padded = dict(inputs, source=np.pad(inputs["source"], [(0, 0), (0, 3)]))
    np.testing.assert_allclose(model(inputs), model(padded), atol=1e-5)


def test_decoder_lstm_matches_keras_lstm():
    # The decoder is this package's LSTM with the Keras weight layout: with the
    # same weights, keras.layers.LSTM gives the same sequence.
    model = _model()
    model(_inputs())
    x = np.random.default_rng(1).normal(size=(2, 5, 8)).astype("float32")
    h0 = np.random.default_rng(2).normal(size=(2, 12)).astype("float32")
    reference = keras.layers.LSTM(12, return_sequences=True)
    reference(x, initial_state=[h0, h0])
    reference.set_weights(model.decoder.get_weights())
    ours = model.decoder(x, initial_state=[h0, h0])[0]
    np.testing.assert_allclose(ours, reference(x, initial_state=[h0, h0]), atol=1e-5)


@pytest.mark.parametrize("attention", ["additive", "multiplicative"])
def test_cached_steps_equal_the_full_forward_pass(attention):
    model = _model(attention=attention)
    inputs = _inputs()
    full = np.asarray(model(inputs))
    cache = uncached_cache = model.initial_cache(inputs["source"], max_length=8)
    for index in range(inputs["target"].shape[1]):
        logits, cache = model.next_token_logits(inputs["target"], index, cache)
        np.testing.assert_allclose(logits, full[:, index], atol=1e-4)
        logits, uncached_cache = model.next_token_logits_uncached(
            inputs["target"], index, uncached_cache
        )
        np.testing.assert_allclose(logits, full[:, index], atol=1e-4)


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("units", 0, "`units` must be a positive integer"),
        ("attention", "dot", "`attention` must be one of"),
        ("dropout", -0.1, "`dropout` must be in"),
    ],
)
def test_bad_arguments(argument, value, message):
    with pytest.raises(ValueError, match=message):
        _model(**{argument: value})
