"""Publish a staged SavedModel as the next version of a serving folder.

A training run exports into a staging folder of its own; only when the run
has succeeded and the export is healthy does `publish_version` move it into
the serving folder (`saved_models/NAME/`) under the next free version number,
where TensorFlow Serving picks up the highest one. The move is one rename, so
a server never sees a half-written version, and two runs publishing at the
same time each get their own number.
"""

import errno
import os
import shutil
from pathlib import Path

from kerastoolkit.export.health_check import check_export_health
from kerastoolkit.export.saved_model import next_version


def staged_versions(staging_root):
    """Every SavedModel version folder under `staging_root`, sorted."""
    root = Path(staging_root)
    if not root.is_dir():
        return []
    return sorted(p.parent for p in root.rglob("saved_model.pb"))


def publish_version(staged, export_root, check_health=True):
    """Moves the SavedModel folder `staged` to `export_root/<next version>`.

    Args:
        staged: a SavedModel folder (holding `saved_model.pb`).
        export_root: the serving folder; created when missing.
        check_health: refuse exports with non-finite weights or example
            answers (`check_export_health`) before moving anything.

    Returns:
        The published version folder.

    Raises:
        UnhealthyExportError: when `check_health` finds a problem; nothing is
            moved.
    """
    staged = Path(staged)
    if check_health:
        check_export_health(staged)
    root = Path(export_root)
    root.mkdir(parents=True, exist_ok=True)
    version = next_version(root)
    while True:
        target = root / str(version)
        if target.exists():  # another run took this number since we looked
            version += 1
            continue
        try:
            os.rename(staged, target)
            return target
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                version += 1
                continue
            if error.errno != errno.EXDEV:
                raise
        # Another file system: copy next to the target, then rename there.
        incoming = root / f".incoming-{os.getpid()}-{version}"
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.copytree(staged, incoming)
        staged, incoming = incoming, staged
        shutil.rmtree(incoming, ignore_errors=True)
