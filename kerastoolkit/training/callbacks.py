"""The callbacks every `fit` in the demos uses: CSV log, best checkpoint, early stop."""

from pathlib import Path

import keras


def default_callbacks(output_dir, *, monitor="val_loss", patience=3, mode="auto"):
    """Returns the standard callbacks for a training run writing to `output_dir`.

    - `keras.callbacks.CSVLogger` to `output_dir/history.csv` (one row per epoch);
    - `keras.callbacks.ModelCheckpoint` of the best model (by `monitor`) to
      `output_dir/checkpoints/best.keras`;
    - `keras.callbacks.EarlyStopping` on `monitor` with `patience` epochs, which
      restores the best weights at the end (skipped when `patience` is None).

    Args:
        output_dir: the run's directory (created if missing).
        monitor: the logged quantity that decides "best".
        patience: epochs without improvement before stopping, or None.
        mode: "min", "max" or "auto", as in Keras.

    Returns:
        A list of callbacks for `model.fit(..., callbacks=...)`.
    """
    if patience is not None and (not isinstance(patience, int) or patience < 0):
        raise ValueError(
            f"`patience` must be a non-negative integer or None, got {patience!r}."
        )
    output_dir = Path(output_dir)
    (output_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.CSVLogger(str(output_dir / "history.csv")),
        keras.callbacks.ModelCheckpoint(
            str(output_dir / "checkpoints" / "best.keras"),
            monitor=monitor,
            mode=mode,
            save_best_only=True,
        ),
    ]
    if patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                mode=mode,
                patience=patience,
                restore_best_weights=True,
            )
        )
    return callbacks
