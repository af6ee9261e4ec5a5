"""default_callbacks: CSV log, best checkpoint, early stopping with restore."""

import keras
import numpy as np
import pytest

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


def test_bad_patience_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="`patience`"):
        default_callbacks(tmp_path, patience=-1)
