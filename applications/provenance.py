"""Where a run came from: command, commit, packages, machine and its load.

Every run record (`runs/NAME/<run>/metrics.json`, and the committed
`results/NAME.json` of the full runs the README quotes) carries this, so a
figure can be traced to the code, the packages and the machine that made it.
"""

import math
import os
import platform
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = (
    "tensorflow",
    "keras",
    "keras-hub",
    "numpy",
    "scikit-learn",
    "gymnasium",
    "gensim",
    "sacrebleu",
    "tokenizers",
    "stable-baselines3",
    "torch",
)
ROOT = Path(__file__).resolve().parents[1]


def git_commit(root=ROOT):
    """`(commit, dirty)` of the checkout at `root`, or `(None, None)` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status)


def package_versions(names=PACKAGES):
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_gflops(size=1024, repeats=5):
    """The machine's speed, in GFLOP/s of a float32 `size` x `size` matrix
    product (NumPy's BLAS, all its threads), best of `repeats`: machines
    with the same CPU model string differ here up to 2x in speed, and this
    figure lets two records be compared."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    a @ b  # warm-up: thread pool and caches
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return round(2 * size**3 / max(best, 1e-9) / 1e9, 1)


def machine():
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "matmul_gflops": matmul_gflops(),
    }


class LoadSampler:
    """Samples the 1-minute load average in the background while a run lasts.

    Use as a context manager; `summary()` gives the mean and maximum of the
    samples (None where the system has no load average).
    """

    def __init__(self, interval=30.0):
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        try:
            self.samples.append(os.getloadavg()[0])
        except OSError:
            pass

    def _loop(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        return False

    def summary(self):
        if not self.samples:
            return {"load_mean": None, "load_max": None, "load_samples": 0}
        return {
            "load_mean": round(sum(self.samples) / len(self.samples), 2),
            "load_max": round(max(self.samples), 2),
            "load_samples": len(self.samples),
        }


def command_line(argv=None):
    """The command that started this process, as a user would type it."""
    argv = sys.argv if argv is None else argv
    program = Path(argv[0]).name if argv else "python"
    if program in ("__main__.py", "-m") or program.endswith("__main__.py"):
        return "python -m applications " + " ".join(argv[1:])
    return " ".join(argv)


def provenance():
    commit, dirty = git_commit()
    return {
        "git_commit": commit,
        "git_dirty": dirty,
        "packages": package_versions(),
        "machine": machine(),
    }
