"""One quick run per demo per test session, shared by every test that needs it."""

import pytest

from tests.applications.run_checks import run_quick

_RUNS = {}


@pytest.fixture(scope="session")
def quick_runs(tmp_path_factory):
    """`quick_runs(name) -> (root, record)`: demo `name` run once in quick mode.

    Runs go to `root/runs/` (`root/run` links to the finished run's folder),
    SavedModels to `root/saved`. Tests read them and
    must not change them: other tests share the same run.
    """

    def get(name):
        if name not in _RUNS:
            root = tmp_path_factory.mktemp(name)
            record = run_quick(name, root)
            # root/run: the finished run's folder (runs/latest).
            (root / "run").symlink_to(record["run_dir"])
            _RUNS[name] = (root, record)
        return _RUNS[name]

    return get
