"""Helpers for the tests that train in real subprocesses (resume, multi-worker)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def start_python(script, *args, tf_config=None):
    """Starts `python script args...` from the repository root, output piped.

    TensorFlow's C++ logging is quietened; `TF_CONFIG` is `tf_config` (as
    JSON) or unset, so an outer cluster setting never leaks in.
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO))
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )


def load_weights(path):
    """The arrays a script saved with `np.savez(path, *model.get_weights())`."""
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]
