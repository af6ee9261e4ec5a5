"""The Fréchet distance between image sets, in a classifier's feature space.

This is NOT the Inception FID of Heusel et al.: the features come from
whatever classifier is given (in this project a small Fashion-MNIST CNN), so
the numbers compare models evaluated with the SAME classifier only, and are
not comparable with published FID values.
"""

import keras
import numpy as np

from kerastoolkit.utils.argument_checks import positive_int


def gaussian_statistics(features):
    """The mean and (unbiased) covariance of a `(n, d)` feature array, float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"`features` must have shape (n, d) with n >= 2, got {np.shape(features)}."
        )
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrt_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mean_a, covariance_a, mean_b, covariance_b):
    """The Fréchet (2-Wasserstein squared) distance between two Gaussians.

        d^2 = ||m_a - m_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2))

    `Tr((C_a C_b)^(1/2))` is computed as `Tr((C_a^(1/2) C_b C_a^(1/2))^(1/2))`
    (the same eigenvalues, but a symmetric positive semi-definite matrix, so
    the square root comes from a symmetric eigendecomposition and is real even
    for singular covariances).

    Args:
        mean_a: `(d,)` mean of the first Gaussian.
        covariance_a: `(d, d)` covariance of the first Gaussian.
        mean_b: `(d,)` mean of the second Gaussian.
        covariance_b: `(d, d)` covariance of the second Gaussian.

    Returns:
        The distance `d^2 >= 0`, a float.

    References:
        Dowson and Landau, "The Fréchet distance between multivariate normal
        distributions", Journal of Multivariate Analysis 12(3), 1982.
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017 (FID: the same formula on
        Inception-v3 pool features).
    """
    mean_a, mean_b = (np.asarray(m, dtype=np.float64) for m in (mean_a, mean_b))
    covariance_a, covariance_b = (
        np.atleast_2d(np.asarray(c, dtype=np.float64))
        for c in (covariance_a, covariance_b)
    )
    d = mean_a.shape[-1]
    for name, value, shape in (
        ("mean_b", mean_b, (d,)),
        ("covariance_a", covariance_a, (d, d)),
        ("covariance_b", covariance_b, (d, d)),
    ):
        if value.shape != shape:
            raise ValueError(f"`{name}` must have shape {shape}, got {value.shape}.")
    root_a = _sqrt_psd(covariance_a)
    middle = root_a @ covariance_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None))
    distance = (
        np.sum((mean_a - mean_b) ** 2)
        + np.trace(covariance_a)
        + np.trace(covariance_b)
        - 2.0 * trace_root.sum()
    )
    return float(max(distance, 0.0))


def feature_extractor(classifier, feature_layer=None):
    """A model from the classifier's input to its penultimate features.

    Args:
        classifier: a functional `keras.Model` (e.g. an `ImageClassifier`).
        feature_layer: name of the layer whose OUTPUT are the features; by
            default the input of the layer that produces the classifier's
            output (the features the last layer classifies).

    Returns:
        A functional `keras.Model`.
    """
    if not isinstance(classifier, keras.Model) or not classifier.inputs:
        raise ValueError(
            "`classifier` must be a functional keras.Model, got "
            f"{type(classifier).__name__}."
        )
    if feature_layer is None:
        last = classifier.outputs[0]._keras_history.operation
        features = last.input
    else:
        features = classifier.get_layer(feature_layer).output
    return keras.Model(classifier.inputs, features, name="feature_extractor")


class FeatureFrechetDistance:
    """Fréchet distance and class coverage of images under a trained classifier.

    For feature vectors `f(x)` (the classifier's penultimate layer) of real
    images `X` and generated images `Y`, each set summarised by its mean and
    covariance,

        FD(X, Y) = ||m_X - m_Y||^2 + Tr(C_X + C_Y - 2 (C_X C_Y)^(1/2)).

    This is the FID recipe with a domain classifier in place of Inception-v3:
    it is NOT Inception FID and its values are only comparable between models
    scored with the same classifier and the same reference images. The class
    coverage (`class_histogram`) is the distribution of the classifier's
    predicted classes over generated images: a GAN that drops modes leaves
    classes empty.

    Images are float in [0, 1] or `uint8` 0..255, `(n, height, width)` or with
    a channel axis; they are converted to what the classifier takes (`uint8`
    classifiers such as `ImageClassifier` get `round(255 x)`, float
    classifiers get `x` in [0, 1]).

    Args:
        classifier: a functional `keras.Model` giving class probabilities.
        reference_images: the real images the distance is measured to (their
            statistics are computed once).
        feature_layer: see `feature_extractor`.
        batch_size: batch size of the forward passes.

    Example:

    >>> metric = FeatureFrechetDistance(classifier, x_test[:5000])
    >>> metric.distance(gan.sample(5000))  # doctest: +SKIP

    References:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017.
    """

    def __init__(
        self, classifier, reference_images, feature_layer=None, batch_size=500
    ):
        positive_int("batch_size", batch_size)
        self.classifier = classifier
        self.extractor = feature_extractor(classifier, feature_layer)
        self.batch_size = batch_size
        input_shape = tuple(classifier.inputs[0].shape[1:])
        self._input_shape = input_shape
        self._input_dtype = keras.backend.standardize_dtype(classifier.inputs[0].dtype)
        self.reference_statistics = gaussian_statistics(self.features(reference_images))

    def _prepare(self, images):
        images = np.asarray(images)
        if images.dtype == np.uint8:
            scaled = images.astype("float32") / 255.0
        else:
            scaled = images.astype("float32")
        if scaled.ndim == len(self._input_shape) + 1 + 1 and scaled.shape[-1] == 1:
            scaled = scaled[..., 0]
        elif scaled.ndim == len(self._input_shape):
            scaled = scaled[..., None]
        if self._input_dtype == "uint8":
            return np.clip(np.round(scaled * 255.0), 0, 255).astype("uint8")
        return scaled

    def features(self, images):
        """The penultimate-layer features `(n, d)` of `images`."""
        return np.asarray(
            self.extractor.predict(
                self._prepare(images), batch_size=self.batch_size, verbose=0
            ),
            dtype=np.float64,
        ).reshape(len(images), -1)

    def predict_classes(self, images):
        """The classifier's most probable class of each image, `(n,)` int."""
        probabilities = self.classifier.predict(
            self._prepare(images), batch_size=self.batch_size, verbose=0
        )
        return np.asarray(probabilities).argmax(axis=-1)

    def distance(self, images):
        """The Fréchet distance from the reference images to `images`."""
        return frechet_distance(
            *self.reference_statistics, *gaussian_statistics(self.features(images))
        )

    def class_histogram(self, images, num_classes=None):
        """The fraction of `images` predicted as each class, `(num_classes,)`."""
        classes = self.predict_classes(images)
        count = num_classes or int(self.classifier.outputs[0].shape[-1])
        return np.bincount(classes, minlength=count) / len(classes)


def class_coverage(histogram, threshold=0.01):
    """A summary of a class histogram: classes covered and normalised entropy.

    Args:
        histogram: fractions per class summing to 1.
        threshold: a class counts as covered when at least this fraction of
            the samples falls in it.

    Returns:
        A dict: `classes_covered` (int), `entropy_ratio` (entropy over
        `log(num_classes)`: 1 for uniform, 0 for a single class),
        `largest_class_fraction`.
    """
    p = np.asarray(histogram, dtype=np.float64)
    nonzero = p[p > 0]
    entropy = max(float(-(nonzero * np.log(nonzero)).sum()), 0.0)
    return {
        "classes_covered": int((p >= threshold).sum()),
        "entropy_ratio": entropy / float(np.log(len(p))),
        "largest_class_fraction": float(p.max()),
    }
