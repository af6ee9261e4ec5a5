"""The callbacks every `fit` in the demos uses: CSV log, resumable backup,
atomic best checkpoint, early stop."""

from pathlib import Path

import keras

from kerastoolkit.training.checkpointing import AtomicModelCheckpoint, ResumableBackup


def default_callbacks(
    output_dir,
    *,
    monitor="val_loss",
    patience=3,
    mode="auto",
    resumable=True,
    save_freq="epoch",
    tensorboard=True,
):
    """Returns the standard callbacks for a training run writing to `output_dir`.

    - `kerastoolkit.training.checkpointing.ResumableBackup` in
      `output_dir/backup/` (when `resumable`): if the process is killed, running
      the same command again continues from the last save (model, optimizer,
      epoch and batch) instead of starting over; deleted when `fit` completes;
    - `keras.callbacks.CSVLogger` to `output_dir/history.csv` (one row per epoch,
      appended to when a run resumes);
    - `AtomicModelCheckpoint` (a `keras.callbacks.ModelCheckpoint` that writes to
      a temporary file and renames it) of the best model (by `monitor`) to
      `output_dir/checkpoints/best.keras`, so a crash mid-save never leaves a
      torn file;
    - `keras.callbacks.EarlyStopping` on `monitor` with `patience` epochs, which
      restores the best weights at the end (skipped when `patience` is None);
    - `keras.callbacks.TensorBoard` logs in `output_dir/tensorboard/` (when
      `tensorboard`): `tensorboard --logdir runs/` shows every run's curves.

    Args:
        output_dir: the run's directory (created if missing).
        monitor: the logged quantity that decides "best".
        patience: epochs without improvement before stopping, or None.
        mode: "min", "max" or "auto", as in Keras.
        resumable: include the resumable backup.
        save_freq: how often the backup saves: "epoch", or every `save_freq`
            batches (a positive integer) for long epochs.
        tensorboard: write TensorBoard logs (epoch-level scalars).

    Returns:
        A list of callbacks for `model.fit(..., callbacks=...)`.
    """
    if patience is not None and (
        isinstance(patience, bool) or not isinstance(patience, int) or patience < 0
    ):
        raise ValueError(
            f"`patience` must be a non-negative integer or None, got {patience!r}."
        )
    if not isinstance(resumable, bool):
        raise ValueError(f"`resumable` must be True or False, got {resumable!r}.")
    if not isinstance(tensorboard, bool):
        raise ValueError(f"`tensorboard` must be True or False, got {tensorboard!r}.")
    output_dir = Path(output_dir)
    (output_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    callbacks = []
    if resumable:
        # First, so the restored weights are in place before the others start.
        callbacks.append(ResumableBackup(output_dir / "backup", save_freq=save_freq))
    backup_exists = resumable and (output_dir / "backup").is_dir()
    callbacks += [
        keras.callbacks.CSVLogger(
            str(output_dir / "history.csv"), append=backup_exists
        ),
        AtomicModelCheckpoint(
            str(output_dir / "checkpoints" / "best.keras"),
            monitor=monitor,
            mode=mode,
            save_best_only=True,
        ),
    ]
    if tensorboard:
        callbacks.append(
            keras.callbacks.TensorBoard(
                str(output_dir / "tensorboard"), write_graph=False, profile_batch=0
            )
        )
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
