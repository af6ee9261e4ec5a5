"""Fixtures shared by the model tests: a float64 scope and a Fashion-MNIST subset."""

import keras
import numpy as np
import pytest

from kerastoolkit.datasets import fashion_mnist


@pytest.fixture
def float64():
    """Layers created inside the test default to float64 (finite differences)."""
    # Layers take the global dtype policy, which is fixed from floatx the
    # first time it is read: set both.
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(policy)


@pytest.fixture(scope="session")
def fashion_train():
    """The Fashion-MNIST training images as float64 rows in [0, 1], (60000, 784)."""
    (x_train, _), _ = fashion_mnist.load_data()
    return x_train.reshape(len(x_train), -1).astype(np.float64) / 255.0
