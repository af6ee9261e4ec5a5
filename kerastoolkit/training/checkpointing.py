"""Checkpoints that survive a crash: atomic writes and exact resume after a kill.

A checkpoint is only ever written to a temporary name in its own directory and
then renamed over the old one (`os.replace`, atomic on POSIX and Windows), so a
process killed in the middle of a write leaves the previous checkpoint intact.

- `write_atomically(path, write)`: the primitive; `write(tmp_path)` writes a file
  (or a directory), which is then renamed to `path`.
- `AtomicModelCheckpoint`: `keras.callbacks.ModelCheckpoint` with atomic writes.
- `ResumableBackup`: `keras.callbacks.BackupAndRestore` with atomic writes (Keras
  3.15 writes `latest.weights.h5` in place and the epoch counter in a second
  file, so a kill during a save can leave a torn or mismatched pair) and exact
  mid-epoch resume: with `save_freq=N` the restarted `fit` skips the batches
  already trained in the interrupted epoch, so it ends with the same weights as
  an uninterrupted run (given the same data order per epoch).
- `latest_checkpoint(directory)` / `restore_latest(model, directory)`: find and
  load the newest complete checkpoint, with a clear error for a corrupt one.
- `load_keras_model(path)`: `keras.saving.load_model` with `safe_mode` on and a
  clear `CorruptCheckpointError` for a truncated or damaged `.keras` file.

Layout of a `ResumableBackup` directory (one sub-directory per checkpoint, the
newest `keep` kept; a sub-directory appears only once complete):

```
backup_dir/
  ckpt-000003-000040/       3 epochs done, 40 batches into the fourth
    model.weights.h5        model and optimizer variables (`Model.save_weights`)
    state.json              {"epoch": 3, "step": 40}
```
"""

import json
import os
import re
import shutil
import warnings
import zipfile
from pathlib import Path

import keras
import tensorflow as tf

from kerastoolkit.utils.argument_checks import boolean, positive_int

_CHECKPOINT = re.compile(r"^ckpt-(\d{6,})-(\d{8,})$")
_WEIGHTS = "model.weights.h5"
_STATE = "state.json"


class CorruptCheckpointError(ValueError):
    """A checkpoint exists but cannot be read (truncated or damaged file)."""


class IncompatibleCheckpointError(ValueError):
    """A checkpoint reads fine but was written by a run with other settings."""


def _fsync_tree(path):
    """Flushes a written file, or every file in a written directory, to disk."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for name in files:
        with open(name, "rb") as handle:
            os.fsync(handle.fileno())


def write_atomically(path, write):
    """Writes `path` through a temporary name in the same directory.

    `write(tmp_path)` must create `tmp_path` (a file or a directory). It is then
    flushed to disk and renamed to `path` with `os.replace`, so readers see either
    the old `path` or the complete new one, never a partial write. If `write`
    raises, the temporary is removed and `path` is left as it was.

    The temporary name keeps the whole file name as its ending (e.g.
    `.tmp-1234-best.keras`), because Keras picks the format from the extension.

    Args:
        path: the final file or directory.
        write: a callable taking the temporary path (a string).

    Returns:
        The final path as a `pathlib.Path`.

    Raises:
        IsADirectoryError: if `path` is an existing directory and `write` wrote
            a file (or the reverse); nothing is replaced.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{os.getpid()}-{path.name}"
    _remove(tmp)
    try:
        write(str(tmp))
        _fsync_tree(tmp)
        if tmp.is_dir() and path.is_dir():
            # A directory cannot be replaced in one step: move the old one
            # aside first, so a crash leaves either name complete.
            old = path.parent / f".old-{os.getpid()}-{path.name}"
            _remove(old)
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    finally:
        _remove(tmp)
    return path


def _remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """`keras.callbacks.ModelCheckpoint` whose every save is atomic.

    Takes the same arguments as `ModelCheckpoint`. Each save goes to a temporary
    file beside `filepath` and is renamed over it, so the best (or latest) model
    on disk is always a complete file, even when the process is killed while
    saving.

    Example:

    ```python
    model.fit(x, y, validation_split=0.1, callbacks=[
        AtomicModelCheckpoint("runs/demo/best.keras", save_best_only=True)])
    ```
    """

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "`filepath` of AtomicModelCheckpoint must name a file, got the "
                f"existing directory {filepath}."
            )
        if self.save_weights_only:
            write_atomically(
                filepath, lambda tmp: self.model.save_weights(tmp, overwrite=True)
            )
        else:
            write_atomically(filepath, lambda tmp: self.model.save(tmp, overwrite=True))


def list_checkpoints(directory):
    """Returns the complete `ResumableBackup` checkpoints in `directory`.

    Returns:
        A list of `(epoch, step, path)` tuples, oldest first; empty when the
        directory is missing or has none. Temporaries of interrupted writes
        are ignored.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _CHECKPOINT.match(path.name)
        if match and path.is_dir():
            found.append((int(match.group(1)), int(match.group(2)), path))
    return sorted(found)


def latest_checkpoint(directory):
    """Returns the path of the newest complete checkpoint in `directory`, or None."""
    found = list_checkpoints(directory)
    return found[-1][2] if found else None


def read_checkpoint_state(path):
    """Returns the `{"epoch": ..., "step": ...}` state stored in a checkpoint.

    Raises:
        CorruptCheckpointError: if `state.json` is missing or unreadable.
    """
    path = Path(path)
    try:
        state = json.loads((path / _STATE).read_text())
        return {"epoch": int(state["epoch"]), "step": int(state["step"])}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CorruptCheckpointError(
            f"Checkpoint {path} is corrupt: cannot read {_STATE} ({error}). "
            "Delete it to resume from the previous checkpoint."
        ) from error


def load_checkpoint(model, path):
    """Loads the weights (and optimizer state) of checkpoint `path` into `model`.

    Args:
        model: a built `keras.Model` with the architecture that was saved.
        path: a checkpoint directory (as returned by `latest_checkpoint`).

    Returns:
        The checkpoint's state dict (`epoch`, `step`).

    Raises:
        CorruptCheckpointError: if the checkpoint's files are missing, truncated
            or do not match the model.
    """
    path = Path(path)
    state = read_checkpoint_state(path)
    if model.optimizer is not None and not model.optimizer.built:
        # The optimizer's slots must exist before its saved values can load.
        model.optimizer.build(model.trainable_variables)
    weights = path / _WEIGHTS
    try:
        model.load_weights(str(weights))
    except Exception as error:  # h5py raises OSError, Keras ValueError.
        raise CorruptCheckpointError(
            f"Checkpoint {path} is corrupt or does not match the model: cannot "
            f"load {weights.name} ({type(error).__name__}: {error}). Delete "
            f"{path.parent} to start training afresh."
        ) from error
    return state


def restore_latest(model, directory, *, fall_back=True):
    """Loads the newest loadable checkpoint in `directory` into `model`.

    Args:
        model: a built `keras.Model`.
        directory: a `ResumableBackup` directory.
        fall_back: if the newest checkpoint is corrupt, warn and try the older
            ones instead of raising.

    Returns:
        The loaded checkpoint's state dict (`epoch`, `step`, `path`), or None if
        there is no checkpoint.

    Raises:
        CorruptCheckpointError: if a checkpoint is corrupt and `fall_back` is
            False, or every checkpoint is corrupt.
    """
    errors = []
    for _, _, path in reversed(list_checkpoints(directory)):
        try:
            state = load_checkpoint(model, path)
        except CorruptCheckpointError as error:
            if not fall_back:
                raise
            warnings.warn(f"{error} Trying the previous checkpoint.", stacklevel=2)
            errors.append(str(error))
            continue
        return {**state, "path": path}
    if errors:
        raise CorruptCheckpointError(
            f"Every checkpoint in {directory} is corrupt: " + " | ".join(errors)
        )
    return None


def _worker_subdirectory():
    """The per-worker sub-directory under multi-worker training ("" on the chief)."""
    strategy = tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    task_id = getattr(resolver, "task_id", None) or 0
    if task_type in (None, "chief"):
        return ""
    cluster = resolver.cluster_spec().as_dict()
    if task_type == "worker" and task_id == 0 and "chief" not in cluster:
        return ""
    return f"worker-{task_type}-{task_id}"


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` with atomic saves and mid-epoch resume.

    At the start of `fit` the newest complete checkpoint in `backup_dir` is
    loaded (model and optimizer variables) and training continues from it: the
    finished epochs are not run again and, for a checkpoint taken `s` batches
    into an epoch, the first `s` batches of that epoch are skipped without
    training on them. So if the data order of each epoch depends only on the
    epoch (`shuffle=False`, or a `tf.data` pipeline seeded per epoch) and the
    model has no unsaved random state, a killed and restarted run ends with the
    same weights as an uninterrupted one. The metrics logged for the resumed
    epoch cover only the batches it ran.

    Every save writes a new `ckpt-<epoch>-<step>/` directory under a temporary
    name and renames it into place, then deletes all but the newest `keep`;
    a kill at any moment leaves at least one complete checkpoint. Under
    `MultiWorkerMirroredStrategy` the chief writes to `backup_dir` and every
    other worker to its own sub-directory, and each restores from its own.

    Args:
        backup_dir: directory for this run's checkpoints only.
        save_freq: "epoch" to save at the end of each epoch, or a positive
            integer to save every `save_freq` batches (mid-epoch checkpoints).
        keep: how many newest checkpoints to keep (>= 1); with 2 a checkpoint
            damaged on disk afterwards still leaves the previous one.
        delete_checkpoint: delete `backup_dir` when `fit` completes.
        fall_back: if the newest checkpoint cannot be loaded, warn and resume
            from an older one instead of raising `CorruptCheckpointError`.

    Example:

    ```python
    backup = ResumableBackup("runs/demo/backup", save_freq=50)
    model.fit(x, y, epochs=10, shuffle=False, callbacks=[backup])
    # killed? run the same command again: it continues from the last save.
    ```
    """

    def __init__(
        self,
        backup_dir,
        save_freq="epoch",
        keep=2,
        delete_checkpoint=True,
        fall_back=True,
    ):
        if save_freq != "epoch":
            save_freq = positive_int("save_freq", save_freq)
        boolean("delete_checkpoint", delete_checkpoint)
        super().__init__(
            backup_dir=str(backup_dir),
            save_freq=save_freq,
            double_checkpoint=False,
            delete_checkpoint=delete_checkpoint,
        )
        self.keep = positive_int("keep", keep)
        self.fall_back = boolean("fall_back", fall_back)
        self._epoch = 0
        self._step = 0
        self._skip_steps = 0
        self._original_train_function = None
        self.restored_state = None

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "keep": self.keep,
            "delete_checkpoint": self.delete_checkpoint,
            "fall_back": self.fall_back,
        }

    @property
    def directory(self):
        """Where this process reads and writes its checkpoints."""
        return Path(self.backup_dir) / _worker_subdirectory()

    def on_train_begin(self, logs=None):
        self._skip_steps = 0
        self.restored_state = None
        if not list_checkpoints(self.directory):
            return
        if not self.model.built:
            raise ValueError(
                "ResumableBackup needs a built model before `fit()` (call it on "
                "a batch, or pass an `Input`), so that its weights can be restored."
            )
        self.restored_state = restore_latest(
            self.model, self.directory, fall_back=self.fall_back
        )
        if self.restored_state is None:
            return
        self.model._initial_epoch = self.restored_state["epoch"]
        self._skip_steps = self.restored_state["step"]
        if self._skip_steps:
            self._skip_batches()

    def _skip_batches(self):
        """Makes the next train-function calls consume batches without training."""
        original = self.model.train_function
        per_call = int(getattr(self.model, "steps_per_execution", 1) or 1)
        calls = -(-self._skip_steps // per_call)
        self._original_train_function = original
        remaining = [calls]

        def skip(iterator):
            for _ in range(per_call):
                next(iterator)
            remaining[0] -= 1
            if remaining[0] == 0:
                self._restore_train_function()
            return {}

        self.model.train_function = skip

    def _restore_train_function(self):
        if self._original_train_function is not None:
            self.model.train_function = self._original_train_function
            self._original_train_function = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        if self._skip_steps:
            if self._step < self._skip_steps:
                self._last_batch_seen = batch
                return
            # The last skipped batch: count from the restored save point on.
            self._skip_steps = 0
            self._last_batch_seen = batch
            self._batches_seen_since_last_saving = 0
            return
        if self._should_save_on_batch(batch):
            self._save(self._epoch, self._step)

    def on_epoch_end(self, epoch, logs=None):
        self._last_batch_seen = 0
        self._skip_steps = 0
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        self._restore_train_function()
        super().on_train_end(logs)

    def _save(self, epoch, step):
        directory = self.directory
        name = f"ckpt-{epoch:06d}-{step:08d}"

        def write(tmp):
            os.makedirs(tmp)
            self.model.save_weights(os.path.join(tmp, _WEIGHTS), overwrite=True)
            with open(os.path.join(tmp, _STATE), "w") as handle:
                json.dump({"epoch": epoch, "step": step}, handle)

        write_atomically(directory / name, write)
        for _, _, old in list_checkpoints(directory)[: -self.keep]:
            _remove(old)


def load_keras_model(path, *, safe_mode=True, custom_objects=None):
    """Loads a `.keras` file, with a clear error if it is missing or damaged.

    `safe_mode` stays on by default: Keras then refuses to deserialize Python
    code (`Lambda` layers), so loading a file runs no code from it. Every
    kerastoolkit model loads this way once its module has been imported.

    Args:
        path: a `.keras` file, e.g. `runs/demo/checkpoints/best.keras`.
        safe_mode: passed to `keras.saving.load_model`.
        custom_objects: passed to `keras.saving.load_model`.

    Returns:
        The `keras.Model`.

    Raises:
        FileNotFoundError: if `path` does not exist.
        CorruptCheckpointError: if `path` is not a complete `.keras` archive
            (truncated, random bytes, entries missing).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {path} does not exist (no .keras file).")
    if path.suffix != ".keras":
        raise ValueError(f"`path` must name a .keras file, got {path.name!r}.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptCheckpointError(
            f"`path` {path} is not a valid .keras file: not a complete zip archive "
            f"(truncated or damaged: {error})."
        ) from error
    missing = {"config.json", "metadata.json"} - names
    if damaged is not None or missing:
        problem = f"entry {damaged} is damaged" if damaged else f"{missing} missing"
        raise CorruptCheckpointError(
            f"`path` {path} is not a valid .keras file: {problem}."
        )
    try:
        return keras.saving.load_model(
            path, safe_mode=safe_mode, custom_objects=custom_objects
        )
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise CorruptCheckpointError(
            f"`path` {path} is not a valid .keras file ({type(error).__name__}: "
            f"{error})."
        ) from error
