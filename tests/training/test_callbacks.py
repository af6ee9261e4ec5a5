"""default_callbacks: CSV log, best checkpoint, early stopping with restore."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.training.callbacks import default_callbacks


def test_fit_writes_history_and_best_checkpoint(tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=3,
        verbose=0,
        callbacks=default_callbacks(tmp_path, patience=1),
    )
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + len(history.history["loss"])
    best = keras.saving.load_model(tmp_path / "checkpoints" / "best.keras")
    best_val = min(history.history["val_loss"])
    assert best.evaluate(x[48:], y[48:], verbose=0) == pytest.approx(best_val, rel=1e-4)
    # TensorBoard event files, with one loss value per epoch, read back.
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    events = EventAccumulator(str(tmp_path / "tensorboard" / "train")).Reload()
    logged = events.Tensors("epoch_loss")
    assert [e.step for e in logged] == list(range(len(history.history["loss"])))
    values = [float(tf.make_ndarray(e.tensor_proto)) for e in logged]
    np.testing.assert_allclose(values, history.history["loss"], rtol=1e-6)


def test_tensorboard_can_be_turned_off(tmp_path):
    kinds = [type(c).__name__ for c in default_callbacks(tmp_path, tensorboard=False)]
    assert "TensorBoard" not in kinds
    assert "TensorBoard" in [type(c).__name__ for c in default_callbacks(tmp_path)]
    with pytest.raises(ValueError, match="`tensorboard`"):
        default_callbacks(tmp_path, tensorboard="yes")


def test_bad_patience_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="`patience`"):
        default_callbacks(tmp_path, patience=-1)
