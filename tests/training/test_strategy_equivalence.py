"""One device and MirroredStrategy over two logical CPUs train identically.

For the same seed and global batch, the loss history and the final weights of
a model trained with `fit` under MirroredStrategy equal the one-device run to
1e-5 (float32 sums in a different order), for a built-in loss and for the
library's models with their own train_step / compute_loss.
"""

import keras
import numpy as np
import pytest

from kerastoolkit.models.autoencoder import dense_decoder, dense_encoder
from kerastoolkit.models.multitask_model import MultiTaskModel
from kerastoolkit.models.vae import VAE
from kerastoolkit.training.distribution import make_strategy, split_cpu

TOLERANCE = 1e-5


def _classifier():
    return keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def _vae():
    return VAE(
        dense_encoder((6,), 4, hidden_units=(8,)),
        dense_decoder(2, (6,), hidden_units=(8,)),
        likelihood="bernoulli",
        seed=3,
    )


def _multitask():
    inputs = keras.Input((5,))
    trunk = keras.Model(inputs, keras.layers.Dense(6, activation="tanh")(inputs))
    heads = {
        "kind": keras.layers.Dense(3, activation="softmax"),
        "size": keras.layers.Dense(1),
    }
    return MultiTaskModel(trunk, heads)


def _data(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype("float32")
    if name == "classifier":
        return x, rng.integers(0, 3, 32)
    if name == "vae":
        return rng.uniform(size=(32, 6)).astype("float32"), None
    kind = rng.integers(0, 3, 32)
    kind[rng.uniform(size=32) < 0.4] = -1  # unevenly missing labels
    size = rng.standard_normal((32, 1)).astype("float32")
    size[rng.uniform(size=32) < 0.3] = np.nan
    return x, {"kind": kind, "size": size}


def _compile(name, model):
    optimizer = keras.optimizers.Adam(1e-2)
    if name == "classifier":
        model.compile(optimizer, "sparse_categorical_crossentropy")
    elif name == "vae":
        model.compile(optimizer)
    else:
        model.compile(
            optimizer,
            loss={"kind": "sparse_categorical_crossentropy", "size": "mse"},
            loss_weights={"kind": 1.0, "size": 0.5},
        )


BUILDERS = {"classifier": _classifier, "vae": _vae, "multitask": _multitask}


def _train(name, strategy):
    keras.utils.set_random_seed(7)
    with strategy.scope():
        model = BUILDERS[name]()
        _compile(name, model)
    x, y = _data(name)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    weights = [np.asarray(w) for w in model.weights]
    return history.history, weights


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_mirrored_training_equals_one_device(name):
    one_history, one_weights = _train(name, make_strategy("default"))
    mirrored = make_strategy("mirrored", devices=split_cpu(2))
    assert mirrored.num_replicas_in_sync == 2
    two_history, two_weights = _train(name, mirrored)
    assert sorted(one_history) == sorted(two_history)
    for key, values in one_history.items():
        np.testing.assert_allclose(
            two_history[key], values, rtol=TOLERANCE, err_msg=key
        )
    assert len(one_weights) == len(two_weights)
    for one, two in zip(one_weights, two_weights, strict=True):
        np.testing.assert_allclose(two, one, rtol=TOLERANCE, atol=TOLERANCE)
    # Training moved the weights, so equality is not the initial state's.
    assert one_history["loss"][-1] != one_history["loss"][0]
