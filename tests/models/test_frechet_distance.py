"""The Fréchet distance against closed forms and SciPy, and in the feature
space of a small Fashion-MNIST classifier: real halves close, noise far."""

import keras
import numpy as np
import pytest
from scipy.linalg import sqrtm

from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.frechet_distance import (
    FeatureFrechetDistance,
    class_coverage,
    feature_extractor,
    frechet_distance,
    gaussian_statistics,
)
from kerastoolkit.models.image_classifier import ImageClassifier


def test_diagonal_gaussians_have_the_closed_form():
    """For diagonal covariances d^2 = |m_a - m_b|^2 + sum (s_a - s_b)^2."""
    rng = np.random.default_rng(0)
    m_a, m_b = rng.standard_normal(5), rng.standard_normal(5)
    s_a, s_b = rng.uniform(0.2, 2.0, 5), rng.uniform(0.2, 2.0, 5)
    expected = np.sum((m_a - m_b) ** 2) + np.sum((s_a - s_b) ** 2)
    got = frechet_distance(m_a, np.diag(s_a**2), m_b, np.diag(s_b**2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_full_covariances_match_scipy_sqrtm():
    rng = np.random.default_rng(1)
    for d in (1, 3, 8):
        a, b = rng.standard_normal((d, d)), rng.standard_normal((d, d + 2))
        cov_a, cov_b = a @ a.T + 0.1 * np.eye(d), b @ b.T / 3
        m_a, m_b = rng.standard_normal(d), rng.standard_normal(d)
        expected = (
            np.sum((m_a - m_b) ** 2)
            + np.trace(cov_a + cov_b)
            - 2.0 * np.trace(sqrtm(cov_a @ cov_b)).real
        )
        assert frechet_distance(m_a, cov_a, m_b, cov_b) == pytest.approx(
            expected, rel=1e-8
        )
    # Identical Gaussians, even singular ones, are at distance 0.
    low_rank = np.outer([1.0, 2.0, 0.0], [1.0, 2.0, 0.0])
    assert frechet_distance(np.ones(3), low_rank, np.ones(3), low_rank) == (
        pytest.approx(0.0, abs=1e-10)
    )


def test_statistics_of_samples_and_bad_shapes():
    rng = np.random.default_rng(2)
    features = rng.standard_normal((4000, 2)) * [1.0, 3.0] + [5.0, -1.0]
    mean, covariance = gaussian_statistics(features)
    np.testing.assert_allclose(mean, [5.0, -1.0], atol=0.15)
    np.testing.assert_allclose(np.diag(covariance), [1.0, 9.0], rtol=0.08)
    with pytest.raises(ValueError, match="`features` must have shape"):
        gaussian_statistics(np.ones(3))
    with pytest.raises(ValueError, match="`covariance_b` must have shape"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))


def test_class_coverage_summary():
    uniform = class_coverage(np.full(10, 0.1))
    assert uniform == {
        "classes_covered": 10,
        "entropy_ratio": pytest.approx(1.0),
        "largest_class_fraction": pytest.approx(0.1),
    }
    collapsed = class_coverage(np.eye(10)[3])
    assert collapsed["classes_covered"] == 1
    assert collapsed["entropy_ratio"] == pytest.approx(0.0)


@pytest.fixture(scope="module")
def fashion_metric():
    """A tiny CNN (196 features) trained for one epoch on 3,000 training
    images: about 48% test accuracy (10% is chance), enough for features that
    separate clothes from noise, and fast."""
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    classifier = ImageClassifier(
        plain_cnn((28, 28, 1), filters=(8, 4), convs_per_block=1, batch_norm=False),
        10,
        image_shape=(28, 28),
        pooling="flatten",
    )
    classifier.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    classifier.fit(x_train[:3000], y_train[:3000], batch_size=64, epochs=1, verbose=0)
    accuracy = classifier.evaluate(x_test[:2000], y_test[:2000], verbose=0)[1]
    order = np.random.default_rng(0).permutation(len(x_test))[:4000]
    x_test = x_test[order].astype("float32") / 255.0
    metric = FeatureFrechetDistance(classifier, x_test[:2000])
    return metric, classifier, x_test, accuracy


def test_real_halves_are_close_and_noise_is_far(fashion_metric):
    metric, classifier, x_test, accuracy = fashion_metric
    assert accuracy > 0.35
    same = metric.distance(x_test[2000:])
    rng = np.random.default_rng(1)
    noise = metric.distance(rng.uniform(size=(2000, 28, 28)).astype("float32"))
    # Blurred real images: a milder corruption lands in between.
    blurred = (x_test[2000:] + np.roll(x_test[2000:], 2, axis=2)) / 2
    middle = metric.distance(blurred)
    assert same < middle < noise
    assert noise > 20.0 * same
    # uint8 images give the same features as their float version.
    as_uint8 = np.round(x_test[2000:2100] * 255).astype("uint8")
    np.testing.assert_allclose(
        metric.features(as_uint8), metric.features(x_test[2000:2100]), atol=1e-5
    )


def test_features_are_the_penultimate_layer_and_coverage_is_seen(fashion_metric):
    metric, classifier, x_test, _ = fashion_metric
    features = metric.features(x_test[:5])
    assert features.shape == (5, classifier.head.kernel.shape[0])
    # The classifier's head applied to the features gives its probabilities.
    logits = features @ classifier.head.kernel.numpy() + classifier.head.bias.numpy()
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    uint8 = np.round(x_test[:5] * 255).astype("uint8")
    np.testing.assert_allclose(
        probabilities, classifier.predict(uint8, verbose=0), atol=1e-5
    )
    real = metric.class_histogram(x_test[:2000])
    assert real.sum() == pytest.approx(1.0)
    assert class_coverage(real)["classes_covered"] >= 8
    blank = metric.class_histogram(np.zeros((200, 28, 28, 1), "float32"))
    assert class_coverage(blank)["classes_covered"] == 1
    named = feature_extractor(classifier, feature_layer="pooling")  # the Flatten
    assert named.output.shape[-1] == features.shape[1]
    with pytest.raises(ValueError, match="`classifier` must be a functional"):
        feature_extractor("classifier")
    with pytest.raises(ValueError, match="`batch_size` must be a positive"):
        FeatureFrechetDistance(classifier, x_test[:10], batch_size=0)
