"""The demo suite (`make demo`): every demo's row in runs/index.html (the quick
figure beside its baseline and guards, the recorded full run and the published
reference), failures reported without stopping the others, and quick demos
reproducible bit for bit."""

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from applications import cli, results, runner, suite
from applications.learning_guards import Guard, LearningGuardError
from tests.applications.test_results import PROVENANCE, SUNSPOTS_METRICS

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


def _write_record(results_dir, name="sunspots", **metrics):
    """A committed full-run record `results_dir/NAME.json` (synthetic)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "quick": False,
        "status": "succeeded",
        "config": {},
        "metrics": {**SUNSPOTS_METRICS, **metrics},
        **PROVENANCE,
        "note": "",
    }
    (results_dir / f"{name}.json").write_text(json.dumps(record))


def _rows(page):
    return {
        re.search(r"<b>(\w+)</b>", row).group(1): row
        for row in re.findall(r"<tr><td>.*?</tr>", page, re.S)
    }


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    # A recorded full run of sunspots; mnist1d has none.
    _write_record(root / "results", test_mse_wavenet=278.6105)
    entries = suite.run_suite(
        FAST,
        quick=True,
        runs_dir=root / "runs",
        export_root=root / "saved",
        overrides={"verbose": 0},
        results_dir=root / "results",
    )
    return root, entries


def test_index_has_a_filled_row_per_demo(suite_run):
    root, entries = suite_run
    page = (root / "runs" / "index.html").read_text()
    rows = _rows(page)
    assert list(rows) == FAST
    for entry in entries:
        assert "error" not in entry
        run_dir = root / "runs" / entry["name"] / "latest"
        assert Path(entry["output_dir"]).resolve() == run_dir.resolve()
        metrics = json.loads((run_dir / "metrics.json").read_text())
        key, value = entry["headline"]
        assert metrics["metrics"][key] == value
        row = rows[entry["name"]]
        assert f"{key} = {value:.4g}" in row
        # Each learning guard: metric, baseline, threshold, passed.
        assert entry["guards"] == metrics["guards"]
        for guard in entry["guards"]:
            assert html.escape(guard["text"]) in row
        if not entry["guards"]:
            assert "no learning guards declared" in row
    # Side by side: the quick figure, the recorded full run, the reference.
    sunspots, mnist1d = rows["sunspots"], rows["mnist1d"]
    assert "<b>test_mse_wavenet = 278.6</b>" in sunspots
    assert "1974-2008: AR(9) 285.5 / 278.6 / 338.5; 952.5" in sunspots
    assert "sunspots.json</a> <small>0123456 2026-11-30" in sunspots
    assert "ARIMA" in sunspots  # its published reference
    assert results.NO_RECORD in mnist1d
    assert re.search(r"Greydanus 2020.*0\.94", mnist1d)


def test_index_shows_guards_passed_and_failed_beside_the_record(tmp_path):
    _write_record(tmp_path / "results", test_mse_wavenet=250.0)
    metrics = {"test_mse_wavenet": 300.0, "test_mse_persistence": 900.0}
    guards = [
        Guard("test_mse_wavenet", below="test_mse_persistence", margin=0.5).check(
            metrics
        )[1],
        Guard("test_mse_wavenet", below=100.0).check(metrics)[1],
    ]
    entry = {
        "name": "sunspots",
        "summary": "yearly sunspots",
        "quick": True,
        "headline": ("test_mse_wavenet", 300.0),
        "guards": guards,
        "published": {"ARIMA": 216.965},
        "seconds": 12.0,
        "output_dir": str(tmp_path / "runs" / "sunspots"),
        "export_dir": "",
    }
    index = suite.write_index(
        [entry], tmp_path / "runs" / "index.html", tmp_path / "results"
    )
    page = index.read_text()
    row = _rows(page)["sunspots"]
    cells = re.findall(r"<td.*?>(.*?)</td>", row, re.S)
    assert "quick runs, each beside its baseline" in page
    # this run | recorded full run | published reference | run time
    assert cells[1].startswith("test_mse_wavenet = 300<br>")
    assert '<span class="passed">passed</span>' in cells[1]
    assert "test_mse_persistence (900) - 0.5 = 899.5" in cells[1]
    assert '<span class="failed">FAILED</span>' in cells[1]
    assert "&lt; 100.0 (100) - 0 = 100" in cells[1]
    assert cells[2].startswith("<b>test_mse_wavenet = 250</b>")
    assert 'href="../results/sunspots.json"' in cells[2]
    assert cells[3] == "ARIMA: 217"
    assert cells[4] == "12 s"


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
        return {
            "metrics": {"lstm_test_accuracy": 0.5},
            "seconds": 1.0,
            "run_dir": overrides["output_dir"],
        }

    monkeypatch.setattr(runner, "run", fake_run)
    entries = suite.run_suite(
        FAST, runs_dir=tmp_path / "runs", results_dir=tmp_path / "results"
    )
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


def test_a_demo_that_fails_its_guards_shows_them(tmp_path, monkeypatch):
    def fake_run(name, quick, overrides):
        # What the runner leaves: the run kept as failed-<id>/ with its record.
        failed = Path(overrides["output_dir"]) / "failed-20261201-000000-abcd"
        failed.mkdir(parents=True)
        metrics = {"lstm_test_accuracy": 0.1, "chance_accuracy": 0.1}
        guard = Guard("lstm_test_accuracy", above="chance_accuracy", margin=0.2)
        _, result = guard.check(metrics)
        record = {"metrics": metrics, "guards": [result], "run_dir": str(failed)}
        (failed / "metrics.json").write_text(json.dumps(record))
        raise LearningGuardError(name, [result["text"]])

    monkeypatch.setattr(runner, "run", fake_run)
    (entry,) = suite.run_suite(
        ["mnist1d"], runs_dir=tmp_path / "runs", results_dir=tmp_path / "results"
    )
    row = _rows((tmp_path / "runs" / "index.html").read_text())["mnist1d"]
    assert entry["error"].startswith("LearningGuardError")
    assert "lstm_test_accuracy = 0.1<br>" in row
    assert '<span class="failed">FAILED</span>' in row
    assert "chance_accuracy (0.1) + 0.2 = 0.3" in row
    assert 'href="mnist1d/failed-20261201-000000-abcd/metrics.json"' in row


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
    first = json.loads((root / "runs" / name / "latest" / "metrics.json").read_text())
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
