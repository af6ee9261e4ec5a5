"""The generative demo end to end: a quick run writes the comparison, figures and
SavedModels whose encode/decode/sample signatures serve without kerastoolkit."""

import keras
import numpy as np
import pytest

from applications.generative.fashion_vae.config import Config
from applications.generative.fashion_vae.train import build_vae
from kerastoolkit.testing import check_config_roundtrip, serving_process
from tests.applications.run_checks import finished_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("fashion_vae")


def test_quick_run_writes_the_comparison_figures_and_report(quick_run):
    run, metrics = finished_run(
        quick_run,
        (
            "report.md",
            "comparison.md",
            "comparison.csv",
            "reconstructions.png",
            "samples.png",
            "latent_space.png",
            "vae_learning_curves.png",
            "autoencoder_learning_curves.png",
            "vae/history.csv",
            "models/vae_20d.keras",
        ),
    )
    table = (run / "comparison.md").read_text()
    for model in ("PCA", "PPCA", "linear AE", "deep AE", "VAE"):
        assert f"| {model} | 20 |" in table
    # PCA is the best rank-q linear reconstruction, a linear AE trained for one
    # epoch cannot beat it; the ELBO's parts add up.
    assert metrics["pca_test_mse"] < metrics["linear_ae_test_mse"]
    assert metrics["vae_test_negative_elbo"] == pytest.approx(
        metrics["vae_test_reconstruction_nll"] + metrics["vae_test_kl"], rel=1e-5
    )
    assert metrics["test_images"] == 1000


def test_ppca_equals_scikit_learn_and_the_vae_learned(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert [(g["metric"], g["passed"]) for g in record["guards"]] == [
        ("vae_test_negative_elbo", True),
        ("ppca_relative_difference_to_sklearn", True),
    ], [g["text"] for g in record["guards"]]
    # The same maximum-likelihood model, on the same split: equal up to
    # scikit-learn's n - 1 in the covariance.
    assert metrics["ppca_test_nll"] == pytest.approx(
        metrics["sklearn_ppca_test_nll"], rel=1e-4
    )
    untrained = metrics["untrained_vae_test_negative_elbo"]
    assert untrained > 1000
    assert metrics["vae_test_negative_elbo"] < 0.3 * untrained


def test_saved_models_serve_encode_decode_and_sample(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    vae = keras.saving.load_model(root / "run" / "models" / "vae_20d.keras")
    images = np.random.default_rng(0).uniform(size=(3, 28, 28)).astype("float32")
    noise = np.random.default_rng(1).standard_normal((4, 20)).astype("float32")
    server = serving_process()
    path = metrics["saved_model_vae"]
    assert path.endswith("vae/1")
    # Outputs come sorted by name.
    log_variance, mean = server.serve(path, [images], signature="encode")
    np.testing.assert_allclose(mean, vae.encode(images)[0], atol=1e-5)
    np.testing.assert_allclose(log_variance, vae.encode(images)[1], atol=1e-5)
    for signature in ("decode", "sample"):
        (decoded,) = server.serve(path, [noise], signature=signature)
        assert decoded.shape == (4, 28, 28)
        np.testing.assert_allclose(decoded, vae.decode(noise), atol=1e-5)
    ppca = keras.saving.load_model(root / "run" / "models" / "ppca.keras")
    rows = images.reshape(3, -1)
    (log_likelihood,) = server.serve(metrics["saved_model_ppca"], [rows])
    np.testing.assert_allclose(log_likelihood, ppca(rows), rtol=1e-5)
    (code,) = server.serve(metrics["saved_model_autoencoder"], [images], "encode")
    assert code.shape == (3, 20)


def test_vae_builder_config_roundtrip():
    config = Config(hidden_units=(8,), architecture="conv", filters=(2, 3))
    check_config_roundtrip(
        build_vae(config, 2, noise_variance=0.1), np.zeros((2, 28, 28), "float32")
    )
