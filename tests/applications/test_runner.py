"""The applications runner: discovery, the demo contract, config overrides,
records and reports; and the layout: no import circle, no demo importing
another demo."""

import ast
import importlib
import json
import types
from pathlib import Path

import pytest

from applications import runner

DEMOS = sorted(runner.discover())


def test_discover_finds_the_first_demo():
    demos = runner.discover()
    assert demos["fashion_mnist"] == "applications.vision.fashion_mnist"
    # Every demo folder (a config.py two levels down) and nothing else.
    folders = {p.parent.name for p in runner.APPLICATIONS_DIR.glob("*/*/config.py")}
    assert set(demos) == folders and len(demos) >= 14


def test_summary_is_the_config_docstrings_first_line():
    config = importlib.import_module("applications.vision.fashion_mnist.config")
    assert runner.summary("fashion_mnist") == config.__doc__.strip().splitlines()[0]


@pytest.mark.parametrize("name", DEMOS)
def test_every_demo_declares_its_headline_and_references(name):
    # That the headline is one of the quick run's metrics is checked in
    # test_suite.py, on the shared quick runs.
    assert isinstance(runner.headline(name), str)
    published = runner.published(name)
    assert isinstance(published, dict)
    assert all(isinstance(k, str) for k in published)


def test_a_demo_without_headline_is_a_clear_error(monkeypatch):
    fake = types.SimpleNamespace(PUBLISHED={})
    monkeypatch.setattr(runner, "demo_module", lambda name, part: fake)
    with pytest.raises(TypeError, match="must define HEADLINE"):
        runner.headline("fashion_mnist")
    fake.HEADLINE, fake.PUBLISHED = "test_accuracy", None
    with pytest.raises(TypeError, match="must define PUBLISHED"):
        runner.published("fashion_mnist")


def test_make_config_applies_quick_and_overrides():
    config = runner.make_config("fashion_mnist", quick=True, overrides={"epochs": 3})
    assert config.train_size == 2000  # from quick()
    assert config.epochs == 3  # override
    assert config.seed == 0  # not given: the default
    # None is a value, not "not given": refused where the field needs a number.
    with pytest.raises(runner.ConfigError, match="`seed` must be an integer"):
        runner.make_config("fashion_mnist", overrides={"seed": None})


def test_make_config_rejects_unknown_fields():
    with pytest.raises(ValueError, match="no_such_field"):
        runner.make_config("fashion_mnist", overrides={"no_such_field": 1})


def test_unknown_demo_is_a_clear_error():
    with pytest.raises(SystemExit, match="Unknown demo 'nope'"):
        runner.make_config("nope")


def test_report_lists_metrics_references_and_figures(tmp_path):
    (tmp_path / "curve.png").write_bytes(b"png")
    record = {
        "name": "fashion_mnist",
        "quick": True,
        "config": {"epochs": 1},
        "metrics": {"test_accuracy": 0.91234},
        "seconds": 1.5,
        "finished_at": "2026-01-01T00:00:00+00:00",
    }
    runner.write_report("fashion_mnist", record, tmp_path, {"paper": 0.916})
    report = (tmp_path / "report.md").read_text()
    assert "| test_accuracy | 0.9123 |" in report
    assert "| paper | 0.9160 |" in report
    assert "![curve](curve.png)" in report
    assert json.dumps(record)  # the record is JSON-able


def _applications_imports(path):
    """The `applications...` modules that the file at `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "applications"}


def test_runner_suite_and_cli_import_one_way():
    root = runner.APPLICATIONS_DIR
    # The runner uses leaf modules only: never the suite or the command line.
    leaves = {"learning_guards", "provenance", "run_folders"}
    assert {m.split(".")[1] for m in _applications_imports(root / "runner.py")} <= (
        leaves
    )
    for leaf in leaves:
        assert _applications_imports(root / f"{leaf}.py") == set()
    # The suite shows each demo's recorded full run beside its quick run.
    assert _applications_imports(root / "suite.py") <= {
        "applications",
        "applications.results",
        "applications.runner",
    }
    assert "applications.cli" not in _applications_imports(root / "suite.py")
    # The records know runs, never the suite or the command line.
    assert {
        m.split(".")[1] for m in _applications_imports(root / "results.py") if "." in m
    } <= leaves | {"runner"}


@pytest.mark.parametrize("name", DEMOS)
def test_no_demo_imports_another_demo(name):
    package = runner.discover()[name]
    others = {f"{p}." for n, p in runner.discover().items() if n != name}
    folder = Path(runner.APPLICATIONS_DIR, *package.split(".")[1:])
    for path in folder.glob("*.py"):
        imported = _applications_imports(path)
        crossing = {m for m in imported if any(f"{m}.".startswith(o) for o in others)}
        assert not crossing, f"{path} imports {crossing}"


@pytest.mark.parametrize("name", DEMOS)
def test_python_dash_m_on_a_demo_package_runs_that_demo(name):
    # `python -m applications.vision.semi_supervised` once ran the transfer demo.
    folder = Path(runner.APPLICATIONS_DIR, *runner.discover()[name].split(".")[1:])
    assert f'main("{name}")' in (folder / "__main__.py").read_text()
