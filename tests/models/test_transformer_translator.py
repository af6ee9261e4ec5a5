"""TransformerTranslator: the shared helpers, masking, causality and the cache."""

import keras
import numpy as np
import pytest

from kerastoolkit.models.transformer_translator import TransformerTranslator
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
        max_length=12,
        num_layers=2,
        hidden_dim=16,
        num_heads=2,
        intermediate_dim=24,
        dropout=0.1,
    )
    arguments.update(kwargs)
    return TransformerTranslator(**arguments)


def _inputs(batch=3, source_length=6, target_length=5, seed=0):
    rng = np.random.default_rng(seed)
    source = rng.integers(4, 23, (batch, source_length)).astype("int32")
    source[0, -2:] = 0  # trailing padding
    target = rng.integers(4, 29, (batch, target_length)).astype("int32")
    return {"source": source, "target": target}


def test_shared_helpers(tmp_path):
    model = _model()
    inputs = _inputs()
    assert model(inputs).shape == (3, 5, 29)
    check_config_roundtrip(model, inputs)
    check_keras_saving(model, inputs, tmp_path)
    check_gradients(model, inputs)
    check_saved_model_export(
        model, inputs, tmp_path, more_inputs=[_inputs(2, 4, 7, seed=1)]
    )


def test_source_padding_is_masked():
    # Appending padding to the source must not change any target logit.
    model = _model()
    inputs = _inputs()
    padded = dict(inputs, source=np.pad(inputs["source"], [(0, 0), (0, 3)]))
    np.testing.assert_allclose(model(inputs), model(padded), atol=1e-5)


def test_decoder_is_causal():
    # Changing target token t changes the logits at t and later only.
    model = _model()
    inputs = _inputs()
    changed = dict(inputs, target=inputs["target"].copy())
    changed["target"][:, 3] = 4 + (changed["target"][:, 3] - 3) % 25
    before, after = np.asarray(model(inputs)), np.asarray(model(changed))
    np.testing.assert_allclose(before[:, :3], after[:, :3], atol=1e-5)
    assert np.abs(before[:, 3:] - after[:, 3:]).max() > 1e-3


def test_cached_steps_equal_the_full_forward_pass():
    model = _model()
    inputs = _inputs()
    full = np.asarray(model(inputs))
    cache = model.initial_cache(inputs["source"], max_length=8)
    uncached_cache = cache
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
        ("num_layers", 0, "`num_layers` must be a positive integer"),
        ("num_heads", 3, "`num_heads` must divide `hidden_dim`"),
        ("dropout", 1.5, "`dropout` must be in"),
        ("pad_id", -1, "`pad_id` must be a non-negative integer"),
    ],
)
def test_bad_arguments(argument, value, message):
    with pytest.raises(ValueError, match=message):
        _model(**{argument: value})
