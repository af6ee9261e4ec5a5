"""`make test`'s two pytest-xdist workers keep each demo's tests together
(tests/conftest.py), so each quick run is made once. If an upgrade of pytest
or pytest-xdist silently stops the grouping (pytest-dev/pytest-xdist#1386),
this fails instead of the suite quietly taking twice as long."""

import os
import types
from pathlib import Path

from applications import runner
from tests.conftest import _group


def _mark(item):
    return [m.args[0] for m in item.iter_markers("xdist_group")]


def test_this_test_carries_its_group_mark_and_xdist_honours_it(request):
    assert _mark(request.node) == ["test_worker_groups.py"]
    if os.environ.get("PYTEST_XDIST_WORKER") and request.config.getvalue("loadgroup"):
        assert request.node.nodeid.endswith("@test_worker_groups.py")


def _item(file, fixtures=(), name=None):
    path = Path(__file__).parent / file
    callspec = types.SimpleNamespace(params={"name": name}) if name else None
    return types.SimpleNamespace(fspath=path, callspec=callspec, fixturenames=fixtures)


def test_a_demos_tests_and_the_cases_that_read_its_quick_run_share_a_group():
    demos = set(runner.discover())
    assert _group(_item("applications/test_transfer.py"), demos) == "transfer"
    for file in ("applications/test_suite.py", "applications/test_serving_all.py"):
        case = _item(file, ("quick_runs",), name="transfer")
        assert _group(case, demos) == "transfer"
    # Every other test stays with its file, and so do the suite's tests that
    # read the suite's own (module-scoped) run.
    both = _item("applications/test_suite.py", ("suite_run", "quick_runs"), "mnist1d")
    assert _group(both, demos) == "applications/test_suite.py"
    plain = _item("applications/test_cli.py", ("tmp_path",), name="transfer")
    assert _group(plain, demos) == "applications/test_cli.py"
