"""Session set-up shared by every test.

The CPU is split into two logical devices before TensorFlow starts, so the
MirroredStrategy tests can run two replicas on this machine. Ops without a
strategy still run on the first CPU device as before.

`make test` runs the tests in two pytest-xdist workers (`-n 2 --dist
loadgroup`). Each test is put in a group that one worker runs whole: the
tests of demo NAME (its `test_NAME.py`, and the `[NAME]` cases of the suite
and serving tests, which read the same quick run) form one group, so each
demo's quick run is made once per session; every other test file is its own
group, so its module-scoped fixtures are built once too (the suite's
bit-for-bit tests, which read both the suite's run and a quick run, stay
with the suite).
"""

from pathlib import Path

import pytest

from kerastoolkit.training.distribution import split_cpu

split_cpu(2)


def _group(item, demos):
    """The xdist group of a test: a demo's name or the test's file."""
    path = Path(str(item.fspath))
    if path.stem.startswith("test_") and path.stem[5:] in demos:
        return path.stem[5:]
    name = getattr(getattr(item, "callspec", None), "params", {}).get("name")
    # A test that also reads the suite's run stays with the suite's file.
    if name in demos and "suite_run" not in item.fixturenames:
        if "quick_runs" in item.fixturenames:
            return name
    return str(path.relative_to(Path(__file__).parent))


def pytest_itemcollected(item):
    # Marked as each test is collected, before pytest-xdist reads the marks
    # (in its own collection hook) to keep each group on one worker.
    from applications import runner

    item.add_marker(pytest.mark.xdist_group(_group(item, set(runner.discover()))))
