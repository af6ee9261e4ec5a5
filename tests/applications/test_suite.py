"""The demo suite (`make demo`): every demo's row in runs/index.html, failures
reported without stopping the others, and quick demos reproducible bit for bit."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from applications import cli, runner, suite

# The two fastest quick demos stand in for all of them here; every demo's own
# test runs its quick mode.
FAST = ["sunspots", "mnist1d"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.targets.append(attrs["href"])
        if tag == "img":
            self.targets.append(attrs["src"])


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    entries = suite.run_suite(
        FAST,
        quick=True,
        runs_dir=root / "runs",
        export_root=root / "saved",
        overrides={"verbose": 0},
    )
    return root, entries


def test_index_has_a_filled_row_per_demo(suite_run):
    root, entries = suite_run
    page = (root / "runs" / "index.html").read_text()
    for entry in entries:
        assert "error" not in entry
        metrics = json.loads(
            (root / "runs" / entry["name"] / "metrics.json").read_text()
        )
        key, value = entry["headline"]
        assert metrics["metrics"][key] == value
        assert f"<b>{entry['name']}</b>" in page
        assert f"{key} = {value:.4g}" in page
    assert "ARIMA" in page  # sunspots' published reference
    assert re.search(r"Greydanus 2020.*0\.94", page)


def test_index_links_resolve(suite_run):
    root, _ = suite_run
    index = root / "runs" / "index.html"
    parser = _Links()
    parser.feed(index.read_text())
    assert len(parser.targets) >= 2 * 3
    for target in parser.targets:
        assert (index.parent / target).exists(), target
    assert any("SavedModel" in line for line in index.read_text().splitlines())
    assert (root / "saved" / "sunspots").is_dir()


def test_a_failing_demo_gets_an_error_row_and_the_suite_goes_on(tmp_path, monkeypatch):
    calls = []

    def fake_run(name, quick, overrides):
        calls.append(name)
        if name == "sunspots":
            raise ValueError("`order` must be positive, got -1")
        Path(overrides["output_dir"]).mkdir(parents=True)
        return {"metrics": {"lstm_test_accuracy": 0.5}, "seconds": 1.0}

    monkeypatch.setattr(runner, "run", fake_run)
    entries = suite.run_suite(FAST, runs_dir=tmp_path / "runs")
    assert calls == FAST
    page = (tmp_path / "runs" / "index.html").read_text()
    assert "failed: ValueError: `order` must be positive" in page
    assert "lstm_test_accuracy = 0.5" in page
    assert [bool(e.get("error")) for e in entries] == [True, False]
    with pytest.raises(SystemExit, match="failed: sunspots"):
        monkeypatch.setattr(suite, "run_suite", lambda *a, **k: entries)
        # The command line's logging set-up is tested in test_cli.py.
        monkeypatch.setattr(cli, "configure_tensorflow_logging", lambda show: None)
        cli.cli(["suite", "--runs_dir", str(tmp_path / "runs")])


def test_unknown_demo_in_the_suite_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown demos \\['nope'\\]"):
        suite.run_suite(["nope"])


def _deterministic(metrics):
    # Wall-clock figures differ between runs; everything else must not.
    return {
        k: v
        for k, v in metrics.items()
        if not re.search(r"seconds|minutes|saved_model", k)
    }


@pytest.mark.parametrize("name", FAST)
def test_same_seed_gives_the_same_metrics_bit_for_bit(suite_run, quick_runs, name):
    # Two separate quick runs of the demo in this process: the suite's and the
    # one the demo's own tests use.
    root, _ = suite_run
    first = json.loads((root / "runs" / name / "metrics.json").read_text())
    _, again = quick_runs(name)
    assert _deterministic(again["metrics"]) == _deterministic(first["metrics"])
    assert len(_deterministic(first["metrics"])) >= 3


@pytest.mark.parametrize("name", sorted(runner.discover()))
def test_each_demos_headline_is_one_of_its_quick_metrics(quick_runs, name):
    _, record = quick_runs(name)
    headline = runner.headline(name)
    assert headline in record["metrics"], f"{name}: {headline} not in its metrics"
    key, value = suite._headline(name, record["metrics"])
    assert key == headline
    assert isinstance(value, int | float) and not isinstance(value, bool)
