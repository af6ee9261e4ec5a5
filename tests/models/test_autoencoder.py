"""Autoencoder and its dense and convolutional builders."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.autoencoder import (
    Autoencoder,
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from kerastoolkit.testing import run_layer_checks, serving_process


@pytest.fixture(autouse=True)
def _seeded():
    # Weights are random: a fixed seed keeps every check reproducible.
    keras.utils.set_random_seed(0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(size=(3, 8, 8)).astype("float32")


def _dense(noise_stddev=0.0):
    return Autoencoder(
        dense_encoder((8, 8), 3, hidden_units=(6,)),
        dense_decoder(3, (8, 8), hidden_units=(6,), output_activation="sigmoid"),
        noise_stddev=noise_stddev,
        seed=1,
    )


def test_shared_checks_dense_denoising(tmp_path, images):
    run_layer_checks(_dense(noise_stddev=0.3), images, tmp_path)


def test_shared_checks_convolutional(tmp_path, images):
    model = Autoencoder(
        conv_encoder((8, 8), 3, filters=(2, 3)),
        conv_decoder(3, (8, 8), filters=(3, 2)),
    )
    run_layer_checks(model, images, tmp_path)
    assert model(images).shape == (3, 8, 8)


def test_builders_accept_channels():
    encoder = conv_encoder((8, 4, 2), 5, filters=(3,))
    decoder = conv_decoder(5, (8, 4, 2), filters=(3,))
    x = np.zeros((2, 8, 4, 2), "float32")
    assert decoder(encoder(x)).shape == (2, 8, 4, 2)
    assert dense_decoder(5, (3, 2))(np.zeros((1, 5), "float32")).shape == (1, 3, 2)


def test_noise_is_added_only_in_training(images):
    model = _dense(noise_stddev=0.5)
    clean = _numpy(model(images))
    np.testing.assert_array_equal(clean, _numpy(model(images, training=False)))
    np.testing.assert_allclose(
        clean, _numpy(model.decode(model.encode(images))), rtol=1e-6
    )
    assert not np.allclose(clean, _numpy(model(images, training=True)), atol=1e-4)
    plain = _dense(noise_stddev=0.0)
    np.testing.assert_array_equal(
        _numpy(plain(images)), _numpy(plain(images, training=True))
    )


def test_training_lowers_the_reconstruction_error():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # 64 images that live on a 2-D manifold: a blob at a random position.
    grid = np.arange(8)
    centres = rng.uniform(1, 6, size=(64, 2))
    x = np.exp(
        -((grid[None, :, None] - centres[:, 0, None, None]) ** 2)
        - (grid[None, None, :] - centres[:, 1, None, None]) ** 2
    ).astype("float32")
    model = Autoencoder(
        dense_encoder((8, 8), 2, hidden_units=(32,)),
        dense_decoder(2, (8, 8), hidden_units=(32,), output_activation="sigmoid"),
        noise_stddev=0.05,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mean_squared_error")
    before = model.evaluate(x, x, verbose=0)
    repeated = np.tile(x, (20, 1, 1))  # 80 steps per epoch, few epochs
    model.fit(repeated, repeated, epochs=3, batch_size=16, verbose=0)
    after = model.evaluate(x, x, verbose=0)
    assert after < 0.3 * before


def test_named_signatures_serve_without_kerastoolkit(tmp_path, images):
    model = _dense()
    model(images)
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    server = serving_process()
    (code,) = server.serve(path, [images], signature="encode")
    np.testing.assert_allclose(code, _numpy(model.encode(images)), atol=1e-5)
    (decoded,) = server.serve(path, [code], signature="decode")
    np.testing.assert_allclose(decoded, _numpy(model(images)), atol=1e-5)


def test_bad_arguments_are_named():
    encoder, decoder = dense_encoder((4,), 2), dense_decoder(2, (4,))
    with pytest.raises(ValueError, match="`noise_stddev`"):
        Autoencoder(encoder, decoder, noise_stddev=-0.1)
    with pytest.raises(ValueError, match="`encoder` must be a keras.Model"):
        Autoencoder(keras.layers.Dense(2), decoder)
    with pytest.raises(ValueError, match="`seed`"):
        Autoencoder(encoder, decoder, seed="1")
    with pytest.raises(ValueError, match="divisible by 2 \\*\\* len\\(filters\\) = 4"):
        conv_decoder(2, (28, 30), filters=(4, 4))
    with pytest.raises(ValueError, match="`hidden_units entries`"):
        dense_encoder((4,), 2, hidden_units=(0,))
    with pytest.raises(ValueError, match="`output_dim`"):
        dense_encoder((4,), -2)
    with pytest.raises(ValueError, match="`input_shape` must be"):
        conv_encoder((4,), 2)
