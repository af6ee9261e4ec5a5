"""The image encoder/decoder/VAE builders: exactly the hand-built composition,
mirrored sizes, images in [0, 1], config round trip, named errors."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit.models.autoencoder import (
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from kerastoolkit.models.image_autoencoder_builders import (
    image_decoder,
    image_encoder,
    image_vae,
)
from kerastoolkit.models.vae import VAE
from kerastoolkit.testing import check_config_roundtrip

IMAGES = np.random.default_rng(0).uniform(size=(3, 8, 8)).astype("float32")


def _by_hand(architecture):
    # What the builders stand for, written out.
    if architecture == "dense":
        encoder = dense_encoder((8, 8), 2 * 3, hidden_units=(16, 8))
        decoder = dense_decoder(
            3, (8, 8), hidden_units=(8, 16), output_activation="sigmoid"
        )
    else:
        encoder = conv_encoder((8, 8), 2 * 3, filters=(2, 4))
        decoder = conv_decoder(3, (8, 8), filters=(4, 2), output_activation="sigmoid")
    return VAE(encoder, decoder, likelihood="gaussian", noise_variance=0.1, seed=5)


@pytest.mark.parametrize("architecture", ["dense", "conv"])
def test_image_vae_is_the_hand_built_vae(architecture):
    keras.utils.set_random_seed(0)
    built = image_vae(
        (8, 8),
        3,
        architecture=architecture,
        hidden_units=(16, 8),
        filters=(2, 4),
        noise_variance=0.1,
        seed=5,
        name="vae",
    )
    keras.utils.set_random_seed(0)
    expected = _by_hand(architecture)
    assert built.name == "vae" and built.likelihood == "gaussian"
    assert [w.shape for w in built.weights] == [w.shape for w in expected.weights]
    np.testing.assert_allclose(
        ops.convert_to_numpy(built(IMAGES)), ops.convert_to_numpy(expected(IMAGES))
    )
    decoded = ops.convert_to_numpy(built.decode(np.ones((2, 3), "float32") * 5))
    assert decoded.shape == (2, 8, 8)
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0  # sigmoid images


def _sizes(model, attribute):
    return [
        getattr(layer, attribute) for layer in model.layers if hasattr(layer, attribute)
    ]


def test_decoder_mirrors_the_encoder():
    encoder = image_encoder((8, 8), 4, hidden_units=(16, 8))
    assert _sizes(encoder, "units") == [16, 8, 4]
    decoder = image_decoder(4, (8, 8), hidden_units=(16, 8))
    assert _sizes(decoder, "units") == [8, 16, 64]
    conv = image_decoder(4, (8, 8), architecture="conv", filters=(2, 4))
    assert _sizes(conv, "filters") == [4, 2, 1]


def test_vae_config_roundtrip():
    keras.utils.set_random_seed(0)
    vae = image_vae((8, 8), 2, architecture="conv", filters=(2, 3), seed=1)
    check_config_roundtrip(vae, IMAGES)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: image_encoder((8, 8), 4, architecture="rnn"), "architecture"),
        (lambda: image_decoder(4, (8, 8), architecture="mlp"), "architecture"),
        (lambda: image_vae((8, 8), 0), "latent_dim"),
    ],
)
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()
