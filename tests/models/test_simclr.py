"""SimCLR and its NT-Xent loss: the loss against a NumPy reference, the model's
shared checks, and one training step that moves the encoder and the head."""

import keras
import numpy as np
import pytest

from kerastoolkit.models import SimCLR, nt_xent_loss
from kerastoolkit.testing import check_config_roundtrip, check_keras_saving


def nt_xent_reference(z1, z2, temperature):
    """NT-Xent written out anchor by anchor, as in Chen et al. (2020), Alg. 1."""
    u = np.concatenate([z1, z2]).astype(np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        similarities = [u[i] @ u[k] / temperature for k in range(2 * n) if k != i]
        total += -u[i] @ u[positive] / temperature + np.log(
            np.sum(np.exp(similarities))
        )
    return total / (2 * n)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_nt_xent_matches_the_numpy_reference(temperature):
    rng = np.random.default_rng(0)
    z1 = rng.normal(size=(6, 4)).astype("float32")
    z2 = rng.normal(size=(6, 4)).astype("float32")
    loss = float(nt_xent_loss(z1, z2, temperature=temperature))
    assert loss == pytest.approx(nt_xent_reference(z1, z2, temperature), rel=1e-5)


def test_nt_xent_is_low_when_views_agree_and_high_when_they_do_not():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(8, 16)).astype("float32")
    agreeing = float(nt_xent_loss(z, z + 0.01, temperature=0.1))
    shuffled = float(nt_xent_loss(z, z[::-1], temperature=0.1))
    assert agreeing < 0.1 < np.log(15) < shuffled
    with pytest.raises(ValueError, match="`temperature` must be a positive"):
        nt_xent_loss(z, z, temperature=0.0)


def tiny_simclr(seed=0):
    keras.utils.set_random_seed(seed)
    encoder = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
        ]
    )
    head = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    augmenter = keras.Sequential([keras.layers.RandomTranslation(0.2, 0.2, seed=seed)])
    return SimCLR(encoder, head, augmenter, temperature=0.2)


def test_simclr_passes_the_shared_checks(tmp_path):
    x = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
    model = tiny_simclr()
    assert model(x).shape == (4, 4)  # the encoder's features, no augmentation
    np.testing.assert_allclose(model(x), model.encoder(x), atol=1e-6)
    check_config_roundtrip(model, x)
    check_keras_saving(model, x, tmp_path)


def test_a_training_step_lowers_nothing_it_should_not_and_moves_the_encoder():
    x = np.random.default_rng(0).uniform(size=(16, 8, 8, 1)).astype("float32")
    model = tiny_simclr()
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    encoder = [np.array(w) for w in model.encoder.get_weights()]
    head = [np.array(w) for w in model.projection_head.get_weights()]
    history = model.fit(x, batch_size=8, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # 8 images per batch: chance is log(15), the loss of unrelated views.
    assert history.history["loss"][0] < np.log(15) + 0.5
    for before, after in ((encoder, model.encoder), (head, model.projection_head)):
        assert any(
            not np.allclose(b, a)
            for b, a in zip(before, after.get_weights(), strict=True)
        )


def test_bad_parts_are_named():
    model = tiny_simclr()
    with pytest.raises(ValueError, match="`encoder` must be a keras.Model"):
        SimCLR("conv", model.projection_head, model.augmenter)
    with pytest.raises(ValueError, match="`augmenter` must be a keras layer"):
        SimCLR(model.encoder, model.projection_head, None)
