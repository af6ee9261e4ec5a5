"""LinearAutoencoder: the shared checks, and it learns PCA's principal subspace."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.linalg import subspace_angles

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.linear_autoencoder import LinearAutoencoder
from kerastoolkit.testing import (
    check_finite_differences,
    run_layer_checks,
    serving_process,
)


@pytest.fixture(autouse=True)
def _seeded():
    # Weights are random: a fixed seed keeps every check reproducible.
    keras.utils.set_random_seed(0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((4, 6)).astype("float32")


def test_shared_checks(tmp_path, x):
    run_layer_checks(LinearAutoencoder(latent_dim=2), x, tmp_path, more_inputs=[x[:3]])


def test_tied_weights_reconstruction(x):
    model = LinearAutoencoder(latent_dim=2)
    reconstruction = _numpy(model(x))
    kernel = _numpy(model.kernel)
    assert len(model.trainable_weights) == 1  # one W, shared by f and g
    np.testing.assert_allclose(_numpy(model.encode(x)), x @ kernel, rtol=1e-5)
    np.testing.assert_allclose(reconstruction, x @ kernel @ kernel.T, rtol=1e-5)
    np.testing.assert_allclose(
        _numpy(model.decode(model.encode(x))), reconstruction, rtol=1e-6
    )


def test_squared_error_gradient_matches_finite_differences(float64):
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((5, 6)))
    model = LinearAutoencoder(latent_dim=2)
    model(x)
    check_finite_differences(
        lambda: ops.sum(ops.square(x - model(x))), model.trainable_variables
    )


def test_learns_the_principal_subspace_of_fashion_mnist(fashion_train):
    x = fashion_train[:2000].astype("float32")
    x -= x.mean(axis=0)
    q = 5
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    principal = vt[:q].T
    keras.utils.set_random_seed(0)
    model = LinearAutoencoder(latent_dim=q)
    model(x[:1])

    def largest_angle():
        return np.degrees(subspace_angles(_numpy(model.kernel), principal).max())

    assert largest_angle() > 45.0  # a random start is far from it
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mean_squared_error")
    full_batch = tf.data.Dataset.from_tensors((x, x)).repeat()
    model.fit(full_batch, steps_per_epoch=300, epochs=1, verbose=0, shuffle=False)
    assert largest_angle() < 5.0
    # At the optimum W W^T = I: the decoder is the encoder's pseudo-inverse.
    kernel = _numpy(model.kernel)
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(q), atol=0.05)


def test_named_signatures_serve_without_kerastoolkit(tmp_path, x):
    model = LinearAutoencoder(latent_dim=2)
    model(x)
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    server = serving_process()
    (encoded,) = server.serve(path, [x], signature="encode")
    np.testing.assert_allclose(encoded, _numpy(model.encode(x)), atol=1e-5)
    (decoded,) = server.serve(path, [encoded], signature="decode")
    np.testing.assert_allclose(decoded, _numpy(model(x)), atol=1e-5)


def test_bad_latent_dim_is_named():
    with pytest.raises(ValueError, match="`latent_dim` must be a positive integer"):
        LinearAutoencoder(latent_dim=-1)
    with pytest.raises(ValueError, match="latent_dim` must be smaller"):
        LinearAutoencoder(latent_dim=6)(np.ones((2, 6), "float32"))
