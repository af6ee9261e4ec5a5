"""ProbabilisticPCA: the shared checks, scikit-learn's likelihood, EM, gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.stats import multivariate_normal
from sklearn.decomposition import PCA

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA
from kerastoolkit.testing import (
    check_finite_differences,
    run_layer_checks,
    serving_process,
)


@pytest.fixture(autouse=True)
def _seeded():
    # Weights are random: a fixed seed keeps every check reproducible.
    keras.utils.set_random_seed(0)


def _low_rank_data(n, d, q, seed=0, noise=0.5):
    """Gaussian data near a q-dimensional subspace, with a clear eigengap."""
    rng = np.random.default_rng(seed)
    loadings = rng.standard_normal((q, d)) * np.linspace(3.0, 1.5, q)[:, None]
    return (
        rng.standard_normal((n, q)) @ loadings
        + noise * rng.standard_normal((n, d))
        + rng.uniform(-2.0, 2.0, d)
    )


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


def _covariance(model):
    kernel = _numpy(model.kernel)
    return kernel @ kernel.T + model.noise_variance * np.eye(len(kernel))


@pytest.fixture(scope="module")
def data():
    return _low_rank_data(2000, 12, 3)


def test_shared_checks(tmp_path, data):
    model = ProbabilisticPCA(latent_dim=3)
    model.fit_closed_form(data)
    x = data[:4].astype("float32")
    run_layer_checks(model, x, tmp_path, more_inputs=[x[:3]], atol=1e-4)


def test_custom_maths_matches_finite_differences(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    model.fit_closed_form(data)
    # Away from the maximum, where every gradient is far from zero.
    rng = np.random.default_rng(1)
    model.kernel.assign(_numpy(model.kernel) + 0.3 * rng.standard_normal((12, 3)))
    model.log_noise_variance.assign(0.4)
    x = tf.constant(data[:20])
    check_finite_differences(
        lambda: ops.sum(model(x)), model.trainable_variables, rtol=1e-6
    )


def test_log_likelihood_equals_scikit_learn(data):
    n = len(data)
    model = ProbabilisticPCA(latent_dim=3)
    average = model.fit_closed_form(data)
    reference = PCA(n_components=3, svd_solver="full").fit(data)
    expected = reference.score(data)
    ours = float(np.mean(_numpy(model.log_likelihood(data))))
    assert ours == pytest.approx(expected, rel=1e-6)
    assert average == pytest.approx(expected, rel=1e-6)
    # scikit-learn's covariance divides by n - 1, the likelihood's by n.
    assert model.noise_variance == pytest.approx(
        reference.noise_variance_ * (n - 1) / n, rel=1e-6
    )
    # The float32 forward pass (what fit and the export use) is close too.
    assert float(np.mean(_numpy(model(data.astype("float32"))))) == pytest.approx(
        expected, rel=1e-5
    )


def test_log_likelihood_equals_scikit_learn_on_fashion_mnist(fashion_train):
    x = fashion_train[:3000]
    model = ProbabilisticPCA(latent_dim=20)
    model.fit_closed_form(x)
    # An exact solver (the default for 60,000 x 784): for this shape the
    # default is the randomized SVD, whose likelihood is about 1e-5
    # (relative) below the maximum.
    reference = PCA(n_components=20, svd_solver="covariance_eigh").fit(x)
    ours = float(np.mean(_numpy(model.log_likelihood(x))))
    assert ours == pytest.approx(reference.score(x), rel=1e-6)
    assert model.noise_variance == pytest.approx(
        reference.noise_variance_ * (len(x) - 1) / len(x), rel=1e-6
    )


def test_log_likelihood_equals_the_dense_gaussian_density(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    model.fit_closed_form(data)
    # Away from the maximum, with the d x d covariance formed explicitly.
    model.log_noise_variance.assign(np.log(2.0))
    density = multivariate_normal(_numpy(model.mean), _covariance(model))
    np.testing.assert_allclose(
        _numpy(model.log_likelihood(data[:50])), density.logpdf(data[:50]), rtol=1e-12
    )


def _perturbed_averages(model, x, scale=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    kernel, mean = _numpy(model.kernel), _numpy(model.mean)
    log_s = float(_numpy(model.log_noise_variance))
    averages = []
    for _ in range(6):
        model.kernel.assign(kernel + scale * rng.standard_normal(kernel.shape))
        model.mean.assign(mean + scale * rng.standard_normal(mean.shape))
        model.log_noise_variance.assign(log_s + scale * rng.standard_normal())
        averages.append(float(np.mean(_numpy(model.log_likelihood(x)))))
    model.kernel.assign(kernel)
    model.mean.assign(mean)
    model.log_noise_variance.assign(log_s)
    return averages


def test_closed_form_is_a_maximum(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    best = model.fit_closed_form(data)
    assert max(_perturbed_averages(model, data)) < best


def test_wide_data_uses_the_gram_matrix_and_is_exact():
    n, d, q = 15, 40, 4
    x = _low_rank_data(n, d, q, seed=3)
    model = ProbabilisticPCA(latent_dim=q, dtype="float64")
    best = model.fit_closed_form(x)
    # Reference: the eigendecomposition of the d x d covariance.
    centred = x - x.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / n)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    noise_variance = eigenvalues[q:].sum() / (d - q)
    top = eigenvectors[:, :q]
    expected = top @ np.diag(eigenvalues[:q] - noise_variance) @ top.T
    assert model.noise_variance == pytest.approx(noise_variance, rel=1e-10)
    kernel = _numpy(model.kernel)
    np.testing.assert_allclose(kernel @ kernel.T, expected, atol=1e-10)
    density = multivariate_normal(x.mean(axis=0), _covariance(model))
    assert best == pytest.approx(density.logpdf(x).mean(), rel=1e-10)
    assert max(_perturbed_averages(model, x)) < best


def test_em_never_decreases_the_likelihood_and_reaches_the_closed_form(data):
    closed = ProbabilisticPCA(latent_dim=3, dtype="float64")
    best = closed.fit_closed_form(data)
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    history = model.fit_em(data, max_iter=5000, tol=1e-12, seed=0)
    curve = np.asarray(history["log_likelihood"])
    assert history["converged"]
    assert len(curve) > 5  # it started away from the maximum
    assert curve[0] < best - 1.0
    assert np.all(np.diff(curve) >= -1e-12 * abs(best))
    assert curve[-1] == pytest.approx(best, rel=1e-9)
    assert curve[-1] <= best + 1e-9
    assert model.noise_variance == pytest.approx(closed.noise_variance, rel=1e-6)
    # The likelihood is flat to second order at the maximum: 1e-9 in it is
    # about 1e-4 (relative) in the parameters.
    np.testing.assert_allclose(_covariance(model), _covariance(closed), atol=1e-2)


def test_em_on_wide_data_reaches_the_closed_form():
    x = _low_rank_data(15, 40, 4, seed=3)
    best = ProbabilisticPCA(latent_dim=4).fit_closed_form(x)
    # EM converges slowly here (about 12,000 iterations): small noise variance.
    history = ProbabilisticPCA(latent_dim=4).fit_em(x, max_iter=30000, tol=1e-13)
    curve = history["log_likelihood"]
    assert history["converged"]
    assert np.all(np.diff(curve) >= -1e-12 * abs(best))
    assert curve[-1] == pytest.approx(best, rel=1e-8)


def test_gradient_fit_reaches_the_maximum():
    x = _low_rank_data(500, 8, 2, seed=4)
    best = ProbabilisticPCA(latent_dim=2).fit_closed_form(x)
    keras.utils.set_random_seed(0)
    model = ProbabilisticPCA(latent_dim=2)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    batches = tf.data.Dataset.from_tensors(x.astype("float32")).repeat()
    start = float(np.mean(_numpy(model.log_likelihood(x))))
    model.fit(batches, steps_per_epoch=800, epochs=1, verbose=0, shuffle=False)
    reached = float(np.mean(_numpy(model.log_likelihood(x))))
    assert start < best - 1.0
    # The loss is the mean negative log-likelihood.
    loss = model.evaluate(x.astype("float32"), batch_size=len(x), verbose=0)
    assert loss == pytest.approx(-reached, rel=1e-5)
    assert reached <= best + 1e-9
    assert reached == pytest.approx(best, rel=1e-3)


def test_posterior_is_the_conditional_gaussian(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    model.fit_closed_form(data)
    model.kernel.assign(
        _numpy(model.kernel) @ np.array([[1, 0.5, 0], [0, 1, 0], [0.3, 0, 1]])
    )
    kernel, mean, s = _numpy(model.kernel), _numpy(model.mean), model.noise_variance
    # Bayes for z ~ N(0, I), x|z ~ N(W z + mu, s I), via d x d matrices.
    covariance = _covariance(model)
    gain = kernel.T @ np.linalg.inv(covariance)
    expected_mean = (data[:7] - mean) @ gain.T
    expected_covariance = np.eye(3) - gain @ kernel
    posterior_mean, posterior_covariance = model.posterior(data[:7])
    np.testing.assert_allclose(_numpy(posterior_mean), expected_mean, atol=1e-10)
    np.testing.assert_allclose(
        _numpy(posterior_covariance), expected_covariance, atol=1e-10
    )
    np.testing.assert_allclose(
        _numpy(model.transform(data[:7])), expected_mean, atol=1e-10
    )
    assert s > 0


def test_reconstruct_is_pca_reconstruction(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    model.fit_closed_form(data)
    reference = PCA(n_components=3).fit(data)
    np.testing.assert_allclose(
        _numpy(model.reconstruct(data[:20])),
        reference.inverse_transform(reference.transform(data[:20])),
        atol=1e-8,
    )


def test_samples_follow_the_marginal(data):
    model = ProbabilisticPCA(latent_dim=3, dtype="float64")
    model.fit_closed_form(data)
    samples = _numpy(model.sample(20000, seed=1))
    assert samples.shape == (20000, 12)
    np.testing.assert_allclose(samples.mean(axis=0), _numpy(model.mean), atol=0.15)
    covariance = _covariance(model)
    error = np.abs(np.cov(samples.T) - covariance).max()
    assert error < 0.05 * np.abs(covariance).max()
    np.testing.assert_array_equal(samples, _numpy(model.sample(20000, seed=1)))
    assert not np.allclose(samples[:5], _numpy(model.sample(5, seed=2)))


def test_named_signatures_serve_without_kerastoolkit(tmp_path, data):
    model = ProbabilisticPCA(latent_dim=3)
    model.fit_closed_form(data)
    x = data[:5].astype("float32")
    model(x)
    path = export_saved_model(
        model, tmp_path / "ppca", endpoints=model.serving_endpoints()
    )
    server = serving_process()
    (encoded,) = server.serve(path, [x], signature="encode")
    np.testing.assert_allclose(encoded, _numpy(model.transform(x)), atol=1e-4)
    z = np.random.default_rng(0).standard_normal((3, 3)).astype("float32")
    for name in ("decode", "sample"):
        (decoded,) = server.serve(path, [z], signature=name)
        np.testing.assert_allclose(
            decoded, _numpy(model.inverse_transform(z)), atol=1e-4
        )
    (log_likelihood,) = server.serve(path, [x])
    np.testing.assert_allclose(log_likelihood, _numpy(model(x)), rtol=1e-5)


def test_latent_dim_must_be_below_the_number_of_features():
    with pytest.raises(ValueError, match="latent_dim` must be smaller"):
        ProbabilisticPCA(latent_dim=5).fit_closed_form(np.ones((10, 5)))
    with pytest.raises(ValueError, match="latent_dim` must be smaller"):
        ProbabilisticPCA(latent_dim=6)(np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match="latent_dim` must be smaller"):
        ProbabilisticPCA(latent_dim=5).fit_em(np.ones((10, 5)))
    with pytest.raises(ValueError, match="`latent_dim` must be a positive integer"):
        ProbabilisticPCA(latent_dim=0)


def test_rank_deficient_data_is_a_clear_error():
    # Three samples span at most a 2-D affine subspace.
    x = np.random.default_rng(0).standard_normal((3, 10))
    with pytest.raises(ValueError, match="rank 2 <= latent_dim=2"):
        ProbabilisticPCA(latent_dim=2).fit_closed_form(x)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="2-D array"):
        ProbabilisticPCA(latent_dim=1).fit_closed_form(np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        ProbabilisticPCA(latent_dim=1).fit_closed_form(np.full((4, 3), np.nan))
    model = ProbabilisticPCA(latent_dim=1)
    model.fit_closed_form(_low_rank_data(20, 3, 1))
    with pytest.raises(ValueError, match="built for 3"):
        model.fit_closed_form(np.ones((5, 4)))
    with pytest.raises(ValueError, match="`max_iter`"):
        model.fit_em(_low_rank_data(20, 3, 1), max_iter=0)
