"""Nothing lost: a killed training process resumes exactly; checkpoints are atomic.

The resume test runs a real `fit` in a subprocess, kills it with SIGKILL in the
middle of an epoch (after a mid-epoch checkpoint exists), runs the same command
again and checks that it continues from that checkpoint and ends with the same
weights as an uninterrupted run with the same seed. On CPU the two runs do the
same float operations in the same order, so the weights must agree to 1e-6.
"""

import json
import os
import signal
import textwrap
import threading
from pathlib import Path

import keras
import numpy as np
import pytest

from kerastoolkit.training.checkpointing import (
    AtomicModelCheckpoint,
    CorruptCheckpointError,
    ResumableBackup,
    latest_checkpoint,
    list_checkpoints,
    read_checkpoint_state,
    restore_latest,
    write_atomically,
)
from tests.training.training_processes import load_weights, start_python

SAVE_FREQ = 5
BATCHES_PER_EPOCH = 16
EPOCHS = 3
TIMEOUT_S = 180

# The training command under test. argv: backup_dir, weights_out, seconds/batch.
TRAIN_SCRIPT = textwrap.dedent(
    f"""
    import json, sys, time
    import keras
    import numpy as np
    from kerastoolkit.training.checkpointing import ResumableBackup

    backup_dir, weights_out, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=({BATCHES_PER_EPOCH * 8}, 6)).astype("float32")
    y = (np.sin(x).sum(axis=1, keepdims=True)).astype("float32")
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(12, activation="tanh"),
         keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            trained = "loss" in (logs or {{}})
            print(f"batch {{self.epoch}} {{batch}} {{int(trained)}}", flush=True)
            time.sleep(pause)

    backup = ResumableBackup(backup_dir, save_freq={SAVE_FREQ}, delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs={EPOCHS}, shuffle=False, verbose=0,
              callbacks=[backup, Progress()])
    state = backup.restored_state
    print("restored", json.dumps(None if state is None else
          {{"epoch": state["epoch"], "step": state["step"]}}), flush=True)
    np.savez(weights_out, *model.get_weights())
    """
)


def _start(script, backup_dir, weights_out, pause):
    return start_python(script, backup_dir, weights_out, pause)


def _finish(process, timeout=TIMEOUT_S):
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        process.kill()
    assert process.returncode == 0, output
    return output


def _batches(output):
    """(epoch, batch, trained) for every progress line of a run."""
    rows = [line.split() for line in output.splitlines() if line.startswith("batch ")]
    return [(int(e), int(b), bool(int(t))) for _, e, b, t in rows]


def test_killed_fit_resumes_from_mid_epoch_checkpoint_to_same_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    # The uninterrupted reference runs alongside the run that gets killed.
    reference = _start(script, tmp_path / "ref_backup", tmp_path / "ref.npz", 0.0)
    backup = tmp_path / "backup"
    victim = _start(script, backup, tmp_path / "killed.npz", 0.05)
    # A watchdog, so a run that hangs before printing cannot hang the suite.
    watchdog = threading.Timer(TIMEOUT_S, victim.kill)
    watchdog.start()
    reached = False
    try:
        # Kill once a line shows the run is past a mid-epoch save in the
        # second epoch (saves come every SAVE_FREQ batches of the whole run).
        for line in victim.stdout:
            if line.startswith("batch "):
                _, epoch, batch, _ = line.split()
                if int(epoch) == 1 and int(batch) >= SAVE_FREQ + 1:
                    reached = True
                    break
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        watchdog.cancel()
        victim.kill()
        victim.stdout.close()
    assert reached, "training never reached the middle of the second epoch"
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed.npz").exists(), "the run finished before the kill"

    saved = list_checkpoints(backup)
    assert saved, "no checkpoint was written before the kill"
    epoch, step, newest = saved[-1]
    # Saves come every SAVE_FREQ batches counted over the whole run.
    assert epoch == 1 and 0 < step < BATCHES_PER_EPOCH
    assert (epoch * BATCHES_PER_EPOCH + step) % SAVE_FREQ == 0
    assert read_checkpoint_state(newest) == {"epoch": epoch, "step": step}

    # The same command again.
    output = _finish(_start(script, backup, tmp_path / "resumed.npz", 0.0))
    restored = json.loads(output.split("restored ", 1)[1].splitlines()[0])
    assert restored == {"epoch": epoch, "step": step}
    batches = _batches(output)
    # No finished epoch runs again; the first `step` batches of the interrupted
    # epoch are skipped (no training), then every later batch trains.
    assert {e for e, _, _ in batches} == set(range(epoch, EPOCHS))
    skipped = [(e, b) for e, b, trained in batches if not trained]
    assert skipped == [(epoch, b) for b in range(step)]
    assert len(batches) - len(skipped) == (EPOCHS - epoch) * BATCHES_PER_EPOCH - step

    _finish(reference)
    expected = load_weights(tmp_path / "ref.npz")
    resumed = load_weights(tmp_path / "resumed.npz")
    assert len(resumed) == len(expected) == 4
    for got, want in zip(resumed, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def _tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(8, 3)).astype("float32"), np.zeros((8, 2), "float32")


class _TornWrite(RuntimeError):
    pass


def _torn_writer(original):
    """A save that writes half a file, then dies (as a kill mid-write would)."""

    def save(filepath, *args, **kwargs):
        original(filepath, *args, **kwargs)
        size = os.path.getsize(filepath)
        with open(filepath, "r+b") as handle:
            handle.truncate(size // 2)
        raise _TornWrite("simulated crash during the checkpoint write")

    return save


def test_crash_during_backup_write_leaves_previous_checkpoint_loadable(tmp_path):
    x, y = _data()
    model = _tiny_model()
    backup = ResumableBackup(tmp_path, save_freq="epoch", delete_checkpoint=False)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[backup])
    first = latest_checkpoint(tmp_path)
    assert first is not None and first.name == "ckpt-000001-00000000"
    saved = [w.copy() for w in model.get_weights()]

    model.save_weights = _torn_writer(model.save_weights)
    with pytest.raises(_TornWrite):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[backup])
    # The torn write went to a temporary that is gone; the old one is intact.
    assert [p.name for p in tmp_path.iterdir()] == [first.name]
    assert latest_checkpoint(tmp_path) == first

    fresh = _tiny_model(seed=7)
    state = restore_latest(fresh, tmp_path)
    assert (state["epoch"], state["step"]) == (1, 0)
    for got, want in zip(fresh.get_weights(), saved, strict=True):
        np.testing.assert_array_equal(got, want)


def test_crash_during_best_model_write_leaves_previous_best_loadable(tmp_path):
    x, y = _data()
    model = _tiny_model()
    path = tmp_path / "best.keras"
    checkpoint = AtomicModelCheckpoint(str(path), monitor="loss", save_best_only=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    before = path.read_bytes()
    expected = model.predict(x, verbose=0)

    model.save = _torn_writer(model.save)
    with pytest.raises(_TornWrite):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["best.keras"]
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_write_atomically_keeps_old_file_when_writer_fails(tmp_path):
    path = tmp_path / "state.json"
    write_atomically(path, lambda tmp: Path(tmp).write_text("old"))

    def failing(tmp):
        Path(tmp).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, failing)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_corrupt_newest_checkpoint_falls_back_or_raises_clearly(tmp_path):
    x, y = _data()
    model = _tiny_model()
    backup = ResumableBackup(tmp_path, save_freq=1, keep=2, delete_checkpoint=False)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[backup])
    (older_epoch, older_step, _), (_, _, newest) = list_checkpoints(tmp_path)
    weights = newest / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:100])

    with pytest.raises(CorruptCheckpointError, match="model.weights.h5"):
        restore_latest(_tiny_model(), tmp_path, fall_back=False)
    with pytest.warns(UserWarning, match="corrupt"):
        state = restore_latest(_tiny_model(), tmp_path)
    assert (state["epoch"], state["step"]) == (older_epoch, older_step)

    (newest / "state.json").write_text("{not json")
    with pytest.raises(CorruptCheckpointError, match="state.json"):
        read_checkpoint_state(newest)


def test_resumable_backup_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="`save_freq`"):
        ResumableBackup(tmp_path, save_freq=0)
    with pytest.raises(ValueError, match="`keep`"):
        ResumableBackup(tmp_path, keep=0)


def test_default_callbacks_back_up_atomically_and_clean_up(tmp_path):
    from kerastoolkit.training.callbacks import default_callbacks

    x, y = _data()
    callbacks = default_callbacks(tmp_path, monitor="loss", patience=None)
    assert isinstance(callbacks[0], ResumableBackup)
    assert any(isinstance(c, AtomicModelCheckpoint) for c in callbacks)
    model = _tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
    # A completed run removes its backup and keeps the best model.
    assert not (tmp_path / "backup").exists()
    assert (tmp_path / "checkpoints" / "best.keras").is_file()
