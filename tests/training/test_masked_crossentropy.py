"""MaskedCrossentropy against Keras' own cross-entropy on the real tokens, its
indifference to padding, and its save/load round trip."""

import keras
import numpy as np
import pytest

from kerastoolkit.testing import check_serialization
from kerastoolkit.training.masked_crossentropy import MaskedCrossentropy

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(3, 5, 7)).astype("float32")
TARGETS = np.array(
    [[4, 2, 6, 0, 0], [1, 1, 3, 5, 2], [6, 0, 0, 0, 0]], dtype="int32"
)  # 0 is padding


def _reference(label_smoothing):
    # Keras' dense cross-entropy over the non-padding tokens, averaged.
    real = TARGETS != 0
    onehot = np.eye(7, dtype="float32")[TARGETS[real]]
    loss = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=label_smoothing
    )
    return float(loss(onehot, LOGITS[real]))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
def test_matches_keras_crossentropy_over_the_real_tokens(label_smoothing):
    loss = MaskedCrossentropy(pad_id=0, label_smoothing=label_smoothing)
    np.testing.assert_allclose(
        float(loss(TARGETS, LOGITS)), _reference(label_smoothing), rtol=1e-5
    )


def test_padding_positions_do_not_count():
    loss = MaskedCrossentropy(pad_id=0, label_smoothing=0.1)
    changed = LOGITS.copy()
    changed[TARGETS == 0] = RNG.normal(size=changed[TARGETS == 0].shape) * 10
    assert float(loss(TARGETS, changed)) == pytest.approx(float(loss(TARGETS, LOGITS)))
    # Another pad id makes token 0 real (and the loss different).
    assert float(MaskedCrossentropy(pad_id=6)(TARGETS, LOGITS)) != pytest.approx(
        float(MaskedCrossentropy(pad_id=0)(TARGETS, LOGITS))
    )


def test_all_padding_gives_zero_not_nan():
    loss = MaskedCrossentropy(pad_id=0)
    assert float(loss(np.zeros((2, 3), "int32"), LOGITS[:2, :3])) == 0.0


def test_config_roundtrip_and_keras_file(tmp_path):
    loss = MaskedCrossentropy(pad_id=3, label_smoothing=0.2, name="masked")
    again = check_serialization(loss)
    assert float(again(TARGETS, LOGITS)) == pytest.approx(float(loss(TARGETS, LOGITS)))
    model = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(7, 7)])
    model.compile(optimizer="adam", loss=loss)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert isinstance(restored.loss, MaskedCrossentropy)
    assert restored.loss.get_config() == loss.get_config()


@pytest.mark.parametrize(
    "kwargs, name",
    [({"pad_id": -1}, "pad_id"), ({"label_smoothing": 1.0}, "label_smoothing")],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        MaskedCrossentropy(**kwargs)
