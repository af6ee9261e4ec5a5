"""The DCGAN demo end to end: a quick run learns (its samples far closer to the
real images than the untrained generator's, conditional samples read as the
class asked for), its guards fail with learning switched off, and it writes the
per-epoch grids, the Fréchet-distance curve, class coverage, the VAE comparison
and generator SavedModels whose `generate` signatures serve without
kerastoolkit."""

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from applications.generative.dcgan.config import Config
from applications.generative.dcgan.train import build_gan, evaluated, split_reference
from kerastoolkit.testing import check_config_roundtrip, serving_process
from tests.applications.run_checks import failed_guard_run, finished_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("dcgan")


def test_quick_run_writes_grids_curves_coverage_and_report(quick_run):
    run, metrics = finished_run(
        quick_run,
        (
            "report.md",
            "summary.md",
            "frechet_distance.png",
            "class_coverage.png",
            "samples.png",
            "dcgan_samples/epoch_001.png",
            "conditional_dcgan_samples/epoch_001.png",
            "models/dcgan.keras",
            "models/conditional_dcgan.keras",
        ),
    )
    with open(run / "dcgan_history.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 1
    assert float(rows[0]["frechet_distance"]) == pytest.approx(metrics["fd_dcgan"])
    with open(run / "conditional_dcgan_history.csv") as file:
        (row,) = list(csv.DictReader(file))
    assert [float(row["label_accuracy"])] == pytest.approx(
        metrics["conditional_label_accuracy_per_epoch"]
    )
    # One epoch of a small GAN is still far from the data; real images are close.
    assert metrics["fd_real_train_vs_test"] < 0.5 * metrics["fd_dcgan"]
    assert np.isfinite(metrics["fd_vae"]) and metrics["fd_vae"] > 0
    assert 1 <= metrics["dcgan_classes_covered"] <= 10
    assert metrics["classifier_source"].startswith("trained here")
    assert metrics["classifier_test_accuracy"] > 0.5
    summary = (run / "summary.md").read_text()
    assert "NOT Inception FID" in summary and "VAE" in summary


def test_quick_run_learns_beyond_the_untrained_generator(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert [g["metric"] for g in record["guards"]] == [
        "fd_dcgan",
        "fd_conditional_dcgan",
        "conditional_label_accuracy",
    ]
    assert all(g["passed"] for g in record["guards"]), record["guards"]
    # The untrained generator (same noise) is the baseline of each distance.
    assert metrics["fd_dcgan"] < 0.4 * metrics["fd_dcgan_untrained"]
    assert (
        metrics["fd_conditional_dcgan"]
        < 0.4 * metrics["fd_conditional_dcgan_untrained"]
    )
    assert metrics["chance_accuracy"] == pytest.approx(0.1)
    assert metrics["conditional_label_accuracy_untrained"] < 0.25
    assert metrics["conditional_label_accuracy"] > metrics["chance_accuracy"] + 0.3


def test_guards_fail_and_nothing_is_published_when_learning_is_off(tmp_path):
    # The quick config with both networks' learning rate at 0 (and no VAE,
    # which no guard reads): the run ends, its guards fail, it is kept as
    # failed-<id> and no generator is published.
    error, record = failed_guard_run(
        "dcgan",
        tmp_path,
        {
            "learning_rate": 0.0,
            "vae_epochs": 0,
            # A quarter of the images: with nothing learned, fewer steps
            # change nothing but the time.
            "train_size": 2048,
        },
    )
    failed = " ".join(error.failures)
    for metric in ("fd_dcgan", "fd_conditional_dcgan", "conditional_label_accuracy"):
        assert f"{metric} = " in failed, failed
    assert record["status"] == "failed" and record["exports"] == []
    assert not any(g["passed"] for g in record["guards"])
    assert not (tmp_path / "runs" / "latest").exists()


def test_generator_saved_models_serve_seeded_and_noise_requests(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    server = serving_process()
    config = Config.quick()
    gan = keras.saving.load_model(root / "run" / "models" / "dcgan.keras")
    path = metrics["saved_model_generator"]
    request = {"seed": np.array(3, "int32"), "n": np.array(6, "int32")}
    (images,) = server.serve(path, request, signature="generate")
    assert images.shape == (6, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    noise = tf.random.stateless_normal((6, config.latent_dim), seed=[3, 0]).numpy()
    # The exports hold the moving average of the generator's weights (the
    # quick config keeps one), which the `.keras` file keeps as optimizer state.
    assert gan.generator_averaged
    with evaluated(gan):
        expected = np.asarray(gan(noise, training=False))
    assert np.abs(expected - np.asarray(gan(noise, training=False))).max() > 1e-4
    np.testing.assert_allclose(images, expected, atol=1e-5)
    (from_noise,) = server.serve(path, {"noise": noise}, "generate_from_noise")
    np.testing.assert_allclose(from_noise, images, atol=1e-6)
    (default,) = server.serve(path, [noise])
    np.testing.assert_allclose(default, images, atol=1e-6)

    conditional = keras.saving.load_model(
        root / "run" / "models" / "conditional_dcgan.keras"
    )
    labels = np.array([9, 0, 3, 3, 5, 1], "int32")
    (images,) = server.serve(
        metrics["saved_model_conditional_generator"],
        {"noise": noise, "labels": labels},
        "generate_from_noise",
    )
    with evaluated(conditional):
        expected = conditional([noise, labels], training=False)
    np.testing.assert_allclose(images, expected, atol=1e-5)


def test_gan_builder_config_roundtrip():
    gan = build_gan(Config.quick(), num_classes=10)
    noise = np.zeros((2, Config.quick().latent_dim), "float32")
    check_config_roundtrip(gan, [noise, np.array([1, 7], "int32")])


def test_validation_reference_is_held_out_of_training():
    # Settings are chosen against held-out training images, so that the
    # test images are read once, by the final run.
    x_train = np.arange(20)
    y_train = np.arange(20) % 10
    x_test = np.arange(100, 110)
    for split, expected in (("test", [100, 101, 102]), ("validation", [17, 18, 19])):
        config = Config(reference_size=3, fd_reference=split)
        reference, x, y = split_reference(config, x_train, y_train, x_test)
        assert reference.tolist() == expected
        assert not set(reference.tolist()) & set(x.tolist())
        assert len(x) == len(y) == (20 if split == "test" else 17)
