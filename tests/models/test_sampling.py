"""Sampling (kerastoolkit/models/sampling.py): the reparameterisation trick.

Kept with the model tests because the VAE is its one user.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from kerastoolkit.models.sampling import Sampling
from kerastoolkit.testing import check_finite_differences, run_layer_checks


@pytest.fixture(autouse=True)
def _seeded():
    # Weights are random: a fixed seed keeps every check reproducible.
    keras.utils.set_random_seed(0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_shared_checks_with_given_noise(tmp_path):
    rng = np.random.default_rng(0)
    mean, log_variance, epsilon = rng.standard_normal((3, 4, 2)).astype("float32")
    # The layer has no weights: its gradients are checked below, against
    # finite differences with respect to its inputs.
    run_layer_checks(
        Sampling(seed=3), [mean, log_variance, epsilon], tmp_path, gradients=False
    )


def test_reparameterisation_and_its_gradient():
    rng = np.random.default_rng(1)
    mean = tf.Variable(rng.standard_normal((3, 2)))
    log_variance = tf.Variable(rng.standard_normal((3, 2)))
    epsilon = tf.constant(rng.standard_normal((3, 2)))
    sampling = Sampling(dtype="float64")
    z = _numpy(sampling([mean, log_variance, epsilon]))
    np.testing.assert_allclose(
        z, mean.numpy() + np.exp(0.5 * log_variance.numpy()) * epsilon.numpy()
    )
    weights = tf.constant(rng.standard_normal((3, 2)))
    check_finite_differences(
        lambda: ops.sum(weights * sampling([mean, log_variance, epsilon]) ** 2),
        [mean, log_variance],
    )


def test_draws_have_the_requested_moments():
    mean = np.tile(np.array([[1.0, -2.0]], "float32"), (20000, 1))
    log_variance = np.log(np.tile(np.array([[0.25, 4.0]], "float32"), (20000, 1)))
    z = _numpy(Sampling(seed=0)([mean, log_variance]))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)


def test_seeded_layers_repeat_their_sequence_and_calls_differ():
    zeros = np.zeros((5, 3), "float32")
    first, second = Sampling(seed=7), Sampling(seed=7)
    a1, a2 = _numpy(first([zeros, zeros])), _numpy(first([zeros, zeros]))
    b1 = _numpy(second([zeros, zeros]))
    np.testing.assert_array_equal(a1, b1)
    assert not np.allclose(a1, a2)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="`inputs` must be a list"):
        Sampling()(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="`seed`"):
        Sampling(seed=1.5)
    assert keras.saving.get_registered_object("kerastoolkit>Sampling") is Sampling
