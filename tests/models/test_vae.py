"""VAE: the shared checks, the ELBO against references, fit/evaluate, save, serve."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.stats import norm

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.autoencoder import (
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA
from kerastoolkit.models.vae import VAE
from kerastoolkit.testing import (
    check_finite_differences,
    check_gradients,
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
def images():
    return np.random.default_rng(0).uniform(size=(3, 8, 8)).astype("float32")


def _dense_vae(likelihood="bernoulli", latent_dim=2, seed=1):
    return VAE(
        dense_encoder((8, 8), 2 * latent_dim, hidden_units=(6,)),
        dense_decoder(latent_dim, (8, 8), hidden_units=(6,)),
        likelihood=likelihood,
        seed=seed,
    )


def _negative_elbo(model, x):
    def loss(outputs):
        reconstruction, kl = model.loss_terms(x, training=True)
        return ops.mean(reconstruction + kl)

    return loss


def test_shared_checks_bernoulli_dense(tmp_path, images):
    run_layer_checks(_dense_vae("bernoulli"), images, tmp_path)


def test_shared_checks_gaussian_convolutional(tmp_path, images):
    model = VAE(
        conv_encoder((8, 8), 4, filters=(4,)),
        conv_decoder(2, (8, 8), filters=(4,), output_activation="sigmoid"),
        likelihood="gaussian",
        seed=1,
    )
    run_layer_checks(model, images, tmp_path, gradients=False)
    # The noise variance only enters the ELBO, so the gradient check uses it.
    check_gradients(model, images, loss_fn=_negative_elbo(model, images))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_loss_terms_match_numpy_and_scipy(float64, images, likelihood):
    x = images.astype("float64")
    model = _dense_vae(likelihood)
    model(x)
    if likelihood == "gaussian":
        model.log_noise_variance.assign(np.log(0.3))
    epsilon = np.random.default_rng(2).standard_normal((3, 2))
    reconstruction, kl = model.loss_terms(x, latent_noise=epsilon)
    mean, log_variance = (_numpy(t) for t in model.encode(x))
    z = mean + np.exp(0.5 * log_variance) * epsilon
    decoded = _numpy(model.decoder(z)).reshape(3, -1)
    flat = x.reshape(3, -1)
    if likelihood == "bernoulli":
        p = 1.0 / (1.0 + np.exp(-decoded))
        expected = -np.sum(flat * np.log(p) + (1 - flat) * np.log(1 - p), axis=1)
    else:
        expected = -norm.logpdf(flat, decoded, np.sqrt(0.3)).sum(axis=1)
    np.testing.assert_allclose(_numpy(reconstruction), expected, rtol=1e-10)
    variance = np.exp(log_variance)
    expected_kl = 0.5 * np.sum(variance + mean**2 - 1.0 - np.log(variance), axis=1)
    np.testing.assert_allclose(_numpy(kl), expected_kl, rtol=1e-10)


def test_elbo_is_the_exact_likelihood_when_the_encoder_is_the_posterior(float64):
    """With PPCA's decoder and its exact posterior as encoder, ELBO = log p(x)."""
    rng = np.random.default_rng(0)
    d, q = 5, 2
    data = rng.standard_normal((400, q)) @ (rng.standard_normal((q, d)) * 2.0)
    data += 0.5 * rng.standard_normal((400, d))
    ppca = ProbabilisticPCA(latent_dim=q, dtype="float64")
    ppca.fit_closed_form(data)
    kernel, mu, s = _numpy(ppca.kernel), _numpy(ppca.mean), ppca.noise_variance
    m = kernel.T @ kernel + s * np.eye(q)  # diagonal: W's columns are orthogonal
    assert np.allclose(m, np.diag(np.diag(m)))
    gain = kernel @ np.linalg.inv(m)  # E[z|x] = (x - mu) @ gain

    encoder = keras.Sequential([keras.Input((d,)), keras.layers.Dense(2 * q)])
    encoder.layers[-1].set_weights(
        [
            np.concatenate([gain, np.zeros((d, q))], axis=1),
            np.concatenate([-mu @ gain, np.log(s / np.diag(m))]),
        ]
    )
    decoder = keras.Sequential([keras.Input((q,)), keras.layers.Dense(d)])
    decoder.layers[-1].set_weights([kernel.T, mu])
    model = VAE(encoder, decoder, likelihood="gaussian", seed=0)
    model(data[:1])
    model.log_noise_variance.assign(np.log(s))

    draws = 20000
    x = np.repeat(data[:4], draws, axis=0)
    reconstruction, kl = model.loss_terms(x)
    elbo = -(_numpy(reconstruction) + _numpy(kl)).reshape(4, draws).mean(axis=1)
    np.testing.assert_allclose(elbo, _numpy(ppca.log_likelihood(data[:4])), atol=0.03)


def test_elbo_gradient_matches_finite_differences(float64, images):
    x = tf.constant(images.astype("float64"))
    epsilon = tf.constant(np.random.default_rng(3).standard_normal((3, 2)))
    for likelihood in ("bernoulli", "gaussian"):
        model = _dense_vae(likelihood)
        model(x)

        def negative_elbo(model=model):
            reconstruction, kl = model.loss_terms(x, latent_noise=epsilon)
            return ops.sum(reconstruction + kl)

        check_finite_differences(
            negative_elbo, model.trainable_variables, rtol=1e-5, max_entries=8
        )


def _blobs(count=256, seed=0):
    rng = np.random.default_rng(seed)
    grid = np.arange(8)
    centres = rng.uniform(1, 6, size=(count, 2))
    return np.exp(
        -((grid[None, :, None] - centres[:, 0, None, None]) ** 2) / 2
        - (grid[None, None, :] - centres[:, 1, None, None]) ** 2 / 2
    ).astype("float32")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    keras.utils.set_random_seed(0)
    x = _blobs()
    model = VAE(
        dense_encoder((8, 8), 4, hidden_units=(32,)),
        dense_decoder(2, (8, 8), hidden_units=(32,)),
        likelihood="bernoulli",
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    before = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    history = model.fit(x, epochs=15, batch_size=32, validation_split=0.25, verbose=0)
    path = tmp_path_factory.mktemp("vae") / "vae.keras"
    model.save(path)
    return model, x, before, history, path


def test_fit_tracks_the_elbo_terms(trained):
    model, x, before, history, _ = trained
    for name in ("loss", "reconstruction_loss", "kl_loss"):
        assert name in history.history and f"val_{name}" in history.history
    after = model.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    assert after["loss"] == pytest.approx(
        after["reconstruction_loss"] + after["kl_loss"], rel=1e-5
    )
    assert after["kl_loss"] > 0.1  # the code is used, not collapsed
    assert after["loss"] < before["loss"] - 5.0


def test_saved_and_loaded_model_keeps_outputs_and_trains_on(trained):
    model, x, _, _, path = trained
    loaded = keras.saving.load_model(path)
    assert type(loaded) is VAE
    np.testing.assert_allclose(_numpy(loaded(x[:8])), _numpy(model(x[:8])), atol=1e-6)
    history = loaded.fit(x, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["kl_loss"][0])


def test_sample_decodes_prior_draws(trained):
    model = trained[0]
    samples = _numpy(model.sample(6, seed=4))
    assert samples.shape == (6, 8, 8)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    np.testing.assert_allclose(samples, _numpy(model.sample(6, seed=4)))


def test_named_signatures_serve_without_kerastoolkit(tmp_path, trained):
    model, x, _, _, _ = trained
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    server = serving_process()
    # Outputs come sorted by name.
    log_variance, mean = server.serve(path, [x[:5]], signature="encode")
    expected_mean, expected_log_variance = model.encode(x[:5])
    np.testing.assert_allclose(mean, _numpy(expected_mean), atol=1e-5)
    np.testing.assert_allclose(log_variance, _numpy(expected_log_variance), atol=1e-5)
    noise = np.random.default_rng(0).standard_normal((7, 2)).astype("float32")
    for name in ("decode", "sample"):
        (images,) = server.serve(path, [noise], signature=name)
        np.testing.assert_allclose(images, _numpy(model.decode(noise)), atol=1e-5)
    (reconstruction,) = server.serve(path, [x[:5]])
    np.testing.assert_allclose(reconstruction, _numpy(model(x[:5])), atol=1e-5)


def test_bad_arguments_are_named():
    encoder, decoder = dense_encoder((4,), 4), dense_decoder(2, (4,))
    with pytest.raises(ValueError, match="`likelihood` must be one of"):
        VAE(encoder, decoder, likelihood="poisson")
    with pytest.raises(ValueError, match="2 \\* latent_dim = 6"):
        VAE(encoder, dense_decoder(3, (4,)))
    with pytest.raises(ValueError, match="`noise_variance` must be a positive"):
        VAE(encoder, decoder, likelihood="gaussian", noise_variance=0.0)
    model = VAE(encoder, decoder, likelihood="gaussian", noise_variance=0.04)
    model(np.zeros((2, 4), "float32"))
    assert float(_numpy(model.log_noise_variance)) == pytest.approx(np.log(0.04))
    with pytest.raises(ValueError, match="`decoder` must be a keras.Model"):
        VAE(encoder, "decoder")
