"""Run records (`results/`) and the README tables rendered from them: the README
agrees with the records, `results add` keeps only finished full runs, and a
benchmark's ratio is always stated ours / reference."""

import dataclasses
import json
import re
from pathlib import Path

import pytest

from applications import cli, provenance, results, runner

PROVENANCE = {
    "command": "python -m applications run sunspots",
    "seconds": 1500.0,
    "started_at": "2026-11-30T10:00:00+00:00",
    "finished_at": "2026-11-30T10:25:00+00:00",
    "load_mean": 1.25,
    "load_max": 2.5,
    "load_samples": 51,
    "git_commit": "0123456789abcdef0123456789abcdef01234567",
    "git_dirty": False,
    "packages": {"python": "3.11.7", "tensorflow": "2.21.0"},
    "machine": {"cpu": "Test CPU", "cores": 2, "platform": "Linux"},
}
SUNSPOTS_METRICS = {
    "test_years": "1974-2008",
    "ar_aic_order": 9,
    "test_mse_ar_aic": 285.4903,
    "test_mse_wavenet": 278.6105,
    "test_mse_lstm": 338.4914,
    "test_mse_persistence": 952.4803,
}


def test_the_readme_agrees_with_the_records():
    diff = results.readme_diff()
    assert diff == "", (
        "README.md differs from the records in results/: run "
        "`python -m applications results --write`\n" + diff
    )


def test_every_demo_has_rows_and_every_benchmark_a_sentence():
    assert set(results.TABLE) == set(runner.discover())
    scripts = Path(results.ROOT, "benchmarks").glob("*.py")
    assert set(results.BENCHMARKS) == {p.stem for p in scripts}


def test_without_records_the_readme_states_none_of_our_figures():
    # Every row of a demo without a record says so, and holds no figure of ours.
    text = Path(results.README).read_text()
    table = text[text.index(results.BEGIN) : text.index(results.END)]
    for name in results.TABLE:
        if results.load_record(name) is None:
            rows = [line for line in table.splitlines() if f"| `{name}` |" in line]
            assert len(rows) == len(results.TABLE[name])
            assert all(f"| {results.NO_RECORD} |" in row for row in rows)


def _run(tmp_path, *, quick=False, status="succeeded", config=None, **metrics):
    folder = tmp_path / "runs" / "sunspots" / "20261130-102500-abcd"
    folder.mkdir(parents=True)
    record = {
        "name": "sunspots",
        "quick": quick,
        "status": status,
        "config": config
        or dataclasses.asdict(runner.make_config("sunspots", overrides={"verbose": 0})),
        "metrics": {**SUNSPOTS_METRICS, **metrics},
        "guards": [],
        "exports": ["saved_models/sunspots/1"],
        **PROVENANCE,
    }
    (folder / "metrics.json").write_text(json.dumps(record))
    (folder.parent / "latest").symlink_to(folder.name)
    return folder.parent / "latest"


def _readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n## Results\n\n"
        f"{results.BEGIN}\nstale table\n{results.END}\n\nBenchmarks:\n\n"
        f"{results.BENCHMARKS_BEGIN}\n{results.BENCHMARKS_END}\n\n## After\n"
    )
    return readme


def test_add_copies_a_full_run_and_the_table_shows_it(tmp_path):
    path = results.add(_run(tmp_path), results_dir=tmp_path / "results")
    assert path == tmp_path / "results" / "sunspots.json"
    record = json.loads(path.read_text())
    assert record["metrics"]["test_mse_wavenet"] == 278.6105
    assert record["command"] == PROVENANCE["command"]
    assert record["note"] == "" and record["changed_from_defaults"] == {}
    table = results.render_table(tmp_path / "results")
    (row,) = [line for line in table.splitlines() if "| `sunspots` |" in line]
    assert "1974-2008: AR(9) 285.5 / 278.6 / 338.5; 952.5" in row
    # The record is linked with its commit, date, wall time and load.
    assert "[sunspots.json](results/sunspots.json)" in row
    assert "`0123456` · 2026-11-30 · 25 min · load 1.25 (max 2.5) on 2 cores" in row
    assert "ARIMA about 217" in row
    # The other demos have no record: no figure.
    (other,) = [line for line in table.splitlines() if "| `mnist1d` |" in line]
    assert f"| {results.NO_RECORD} |" in other


def test_write_then_check_round_trip(tmp_path, capsys):
    readme = _readme(tmp_path)
    results.add(_run(tmp_path), results_dir=tmp_path / "results")
    paths = ["--readme", str(readme), "--results_dir", str(tmp_path / "results")]
    with pytest.raises(SystemExit, match="differs from the records"):
        results.main(["--check", *paths])
    assert "-stale table" in capsys.readouterr().out
    results.main(["--write", *paths])
    text = readme.read_text()
    assert text.startswith("# Title\n") and text.endswith("\n\n## After\n")
    assert "stale table" not in text and "278.6" in text
    assert "`benchmarks/ppca_fit.py`" in text and results.NO_RECORD in text
    assert results.main(["--check", *paths]) is None
    # The command line dispatches to it; a changed record is caught.
    record_file = tmp_path / "results" / "sunspots.json"
    record = json.loads(record_file.read_text())
    record["metrics"]["test_mse_wavenet"] = 250.0
    record_file.write_text(json.dumps(record))
    with pytest.raises(SystemExit) as exit_info:
        cli.cli(["results", "--check", *paths])
    assert exit_info.value.code != 0
    assert "+| `sunspots` |" in capsys.readouterr().out


def test_a_readme_without_markers_is_a_clear_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(SystemExit, match="must hold the markers"):
        results.main(["--check", "--readme", str(readme)])


def test_a_quick_run_is_refused(tmp_path):
    with pytest.raises(results.ResultsError, match="is a quick run"):
        results.add(_run(tmp_path, quick=True), results_dir=tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_a_failed_run_is_refused(tmp_path):
    with pytest.raises(results.ResultsError, match="is a failed run"):
        results.add(_run(tmp_path, status="failed"), results_dir=tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_an_unfinished_run_is_refused_and_the_cli_says_so(tmp_path, capsys):
    with pytest.raises(SystemExit, match="must be a finished run's folder"):
        cli.cli(["results", "add", str(tmp_path), "--results_dir", str(tmp_path)])


def test_a_reduced_run_needs_a_note_which_the_table_shows(tmp_path):
    config = dataclasses.asdict(runner.make_config("sunspots"))
    config["epochs"] = 20
    run = _run(tmp_path, config=config)
    with pytest.raises(results.ResultsError, match=r"epochs: 400 -> 20.*--note"):
        results.add(run, results_dir=tmp_path / "results")
    results.add(run, note="reduced run: 20 epochs", results_dir=tmp_path / "results")
    record = results.load_record("sunspots", tmp_path / "results")
    assert record["changed_from_defaults"] == {"epochs": [400, 20]}
    table = results.render_table(tmp_path / "results")
    assert "338.5; 952.5 (reduced run: 20 epochs) |" in table


def test_a_record_missing_a_metric_is_refused_naming_it(tmp_path):
    run = _run(tmp_path)
    record = json.loads((run / "metrics.json").read_text())
    del record["metrics"]["test_mse_lstm"]
    (run / "metrics.json").write_text(json.dumps(record))
    with pytest.raises(results.ResultsError, match="'test_mse_lstm'"):
        results.add(run, results_dir=tmp_path / "results")
    record["metrics"]["test_mse_lstm"] = None
    (run / "metrics.json").write_text(json.dumps(record))
    with pytest.raises(results.ResultsError, match="cannot format"):
        results.add(run, results_dir=tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_a_record_of_no_demo_is_an_error(tmp_path):
    (tmp_path / "nope.json").write_text("{}")
    with pytest.raises(results.ResultsError, match=r"no demo in the table: \['nope'\]"):
        results.render_table(tmp_path)


def _benchmark(name, ours, reference, details=None):
    return {
        "name": name,
        **PROVENANCE,
        "command": f"python benchmarks/{name}.py --record",
        "ours": "ours",
        "reference": "theirs",
        "repetitions": {"ours": ours, "reference": reference},
        "details": details or {},
    }


def test_a_slower_benchmark_is_stated_as_taking_more_time():
    # The README once stated this comparison backwards ("ratio 0.24").
    record = _benchmark(
        "dqn_vs_sb3",
        {
            "wall_seconds": [287.3, 250.0, 300.0],
            "cpu_seconds": [20.0, 20.0, 20.0],
            "eval_return": [500.0, 500.0, 480.0],
        },
        {
            "wall_seconds": [67.8, 70.0, 60.0],
            "cpu_seconds": [10.0, 10.0, 10.0],
            "eval_return": [500.0, 400.0, 500.0],
        },
        {"arguments": {"steps": 50000, "threads": 1}},
    )
    text = results.render_benchmark("dqn_vs_sb3", record)
    assert "ours takes 4.24 times SB3's wall time" in text
    assert "medians 287.3 s vs 67.8 s over 3 seeds; per seed 3.57-5.00" in text
    assert "2.00 times its CPU time" in text
    assert "median greedy return 500.0 (ours) vs 500.0 (SB3)" in text
    assert "Command `python benchmarks/dqn_vs_sb3.py --record`" in text
    assert "`0123456`" in text


def test_throughput_ratios_are_ours_over_the_reference():
    record = _benchmark(
        "rnn_throughput",
        {
            "sequences_per_second": [50.0, 40.0],
            "sequences_per_cpu_second": [30.0],
            "inference_sequences_per_second": [300.0, 100.0],
            "inference_sequences_per_cpu_second": [80.0],
        },
        {
            "sequences_per_second": [100.0, 100.0],
            "sequences_per_cpu_second": [60.0],
            "inference_sequences_per_second": [200.0, 200.0],
            "inference_sequences_per_cpu_second": [40.0],
        },
        {"arguments": {"batch_size": 64, "timesteps": 40, "features": 1, "units": 8}},
    )
    text = results.render_benchmark("rnn_throughput", record)
    assert "training throughput ratio ours/keras = 0.45 (median of 2 same-run" in text
    assert "0.40-0.50" in text
    assert "per CPU-second: throughput ratio ours/keras = 0.50" in text
    assert "inference throughput ratio ours/keras = 1.00 (0.50-1.50)" in text
    assert "per CPU-second 2.00" in text


def test_a_benchmark_without_a_record_states_no_figure(tmp_path):
    text = results.render_benchmarks(tmp_path)
    assert text.count(results.NO_RECORD) == len(results.BENCHMARKS)
    assert not re.search(r"\d\.\d", text)


def test_benchmark_run_writes_a_record_with_provenance(tmp_path):
    with results.BenchmarkRun("ppca_fit", ["--repeats", "2"]) as run:
        pass
    path = run.write(
        tmp_path,
        ours="closed form",
        reference="sklearn",
        repetitions={
            "ours": {"fit_seconds": [1.0, 3.0]},
            "reference": {"fit_seconds": [2.0, 2.0]},
        },
        details={"data": "d", "latent_dim": 2, "relative_log_likelihood_difference": 0},
    )
    record = json.loads(path.read_text())
    assert path == tmp_path / "benchmarks" / "ppca_fit.json"
    assert record["command"] == "python benchmarks/ppca_fit.py --repeats 2"
    for key in ("git_commit", "packages", "machine", "load_mean", "finished_at"):
        assert key in record
    assert record["machine"]["cores"] >= 1
    # The machine's speed, so that records of different machines compare.
    assert record["machine"]["matmul_gflops"] > 0
    sentences = results.render_benchmarks(tmp_path)
    assert "ours takes 1.00 times scikit-learn's wall time" in sentences
    with pytest.raises(ValueError, match="'ours' and 'reference'"):
        run.write(tmp_path, ours="a", reference="b", repetitions={"ours": {}})


def test_matmul_gflops_measures_the_product_it_times(monkeypatch):
    # A clock that advances 0.5 s per reading: every product "takes" 0.5 s.
    ticks = iter(range(100))
    monkeypatch.setattr(provenance.time, "perf_counter", lambda: 0.5 * next(ticks))
    assert provenance.matmul_gflops(size=500, repeats=3) == 0.5  # 2 x 500^3 / 0.5 s
    monkeypatch.undo()
    # A real measurement: a positive, finite speed.
    assert 0 < provenance.matmul_gflops(size=64, repeats=2) < 1e6
