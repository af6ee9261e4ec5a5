"""A tiny classifier to freeze, copy and fine-tune: plain CNN blocks with
BatchNormalization, on random 8x8 images."""

import keras
import numpy as np
import pytest

from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.image_classifier import ImageClassifier


def tiny_classifier(seed=0, filters=(4, 6, 8)):
    keras.utils.set_random_seed(seed)
    backbone = plain_cnn((8, 8, 1), filters=filters, convs_per_block=1)
    return ImageClassifier(backbone, 3, image_shape=(8, 8))


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (16, 8, 8), dtype=np.uint8)
    y = rng.integers(0, 3, 16)
    return x, y


def weights_of(layer):
    """A copy of every weight (trainable or not) of `layer`, as numpy."""
    return [np.array(w) for w in layer.get_weights()]


def changed(before, after):
    return any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))
