"""Where a demo's runs live, so that no run ever clobbers another.

Under a demo's output folder (`runs/NAME/` by default):

    runs/NAME/20261201-093012-4f2a/   a finished run; never written again
    runs/NAME/latest                  symlink to the last successful run
    runs/NAME/.partial/               the run in progress: also its resume state
    runs/NAME/failed-20261201-.../    a run that ended but failed its checks

A run trains in `.partial/` (checkpoints, backups, logs, staged exports). If it
is interrupted, `.partial/` stays: the same command resumes it, as long as the
config is unchanged (a changed config starts afresh and says which fields
changed; `fresh=True` discards the old state). A run that succeeds is renamed
to its own folder and `latest` moves to it, atomically; earlier runs are never
touched. Two runs into the same folder at once do not share state: the second
finds `.partial/` locked and trains in its own `.partial-<pid>/`.
"""

import dataclasses
import fcntl
import json
import os
import secrets
import shutil
import time
from pathlib import Path

PARTIAL = ".partial"
STATE_FILE = "run.json"
# Fields that do not change what a run computes: a change to them keeps the
# interrupted run's state.
NOT_COMPARED = ("verbose", "output_dir", "export_dir")


def run_id():
    """A sortable, unique name for a run: its start time and a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def changed_fields(old, new, ignore=NOT_COMPARED):
    """`{field: (old, new)}` for every field whose value differs."""
    keys = (set(old) | set(new)) - set(ignore)
    return {
        k: (old.get(k), new.get(k)) for k in sorted(keys) if old.get(k) != new.get(k)
    }


def _jsonable(config):
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


class RunFolder:
    """The folder one run trains in, chosen, locked and finished safely.

    Use it as a context manager. On entry it picks the partial folder
    (resuming or starting afresh, see the module docstring) and locks it;
    `finish(status)` renames it to its final name; on an exception the
    partial folder stays, to be resumed.

    Args:
        root: the demo's output folder (`config.output_dir`).
        config: the run's config dataclass.
        fresh: discard an interrupted run's state instead of resuming it.
        log: `log(message)` for the decisions taken (resume, fresh start).
    """

    def __init__(self, root, config, fresh=False, log=print):
        self.root = Path(root)
        self.config = _jsonable(config)
        self.fresh = fresh
        self.log = log
        self.path = None
        self.resumed = False
        self.final_path = None
        self._lock = None

    def _try_lock(self, path):
        handle = open(path.with_name(path.name + ".lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    def __enter__(self):
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / PARTIAL
        self._lock = self._try_lock(path)
        if self._lock is None:
            path = self.root / f"{PARTIAL}-{os.getpid()}"
            self._lock = self._try_lock(path)
            self.log(
                f"another run is using {self.root / PARTIAL}; this one trains "
                f"in {path} and does not resume it"
            )
            shutil.rmtree(path, ignore_errors=True)
        self.path = path
        state = path / STATE_FILE
        if path.is_dir():
            previous = (
                json.loads(state.read_text()).get("config", {})
                if state.is_file()
                else None
            )
            changes = (
                None if previous is None else changed_fields(previous, self.config)
            )
            if self.fresh:
                self.log(f"--fresh: discarding the interrupted run in {path}")
            elif changes == {}:
                self.resumed = True
                self.log(f"resuming the interrupted run in {path}")
            elif changes:
                listed = ", ".join(
                    f"{k}: {a!r} -> {b!r}" for k, (a, b) in changes.items()
                )
                self.log(
                    f"the config changed since the interrupted run ({listed}); "
                    "starting afresh"
                )
            if not self.resumed:
                shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        previous_starts = []
        if self.resumed and state.is_file():
            previous_starts = json.loads(state.read_text()).get("started_at", [])
        state.write_text(
            json.dumps(
                {
                    "config": self.config,
                    "started_at": [
                        *previous_starts,
                        time.strftime("%Y-%m-%dT%H:%M:%S"),
                    ],
                    "pid": os.getpid(),
                },
                indent=2,
            )
            + "\n"
        )
        return self

    def final_name(self, succeeded):
        """Where `finish` will move the run: `<run id>/` or `failed-<run id>/`."""
        name = run_id()
        return self.root / (name if succeeded else f"failed-{name}")

    def finish(self, final):
        """Renames the partial folder to `final` (from `final_name`).

        A successful run becomes `latest`; after a failed one (`failed-...`)
        `latest` stays where it was.
        """
        (self.path / STATE_FILE).unlink(missing_ok=True)
        os.rename(self.path, final)
        if not final.name.startswith("failed-"):
            link = self.root / f".latest-{os.getpid()}"
            link.unlink(missing_ok=True)
            link.symlink_to(final.name)
            os.replace(link, self.root / "latest")
        self.final_path = final
        return final

    def __exit__(self, *exc):
        if self._lock is not None:
            self._lock.close()
            if self.path is not None and self.path.name != PARTIAL:
                Path(str(self.path) + ".lock").unlink(missing_ok=True)
        return False


def latest_run(root):
    """The last successful run's folder under `root`, or None."""
    link = Path(root) / "latest"
    return link.resolve() if link.is_symlink() and link.exists() else None
