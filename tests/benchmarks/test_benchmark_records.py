"""`--record` of the benchmark scripts, at their smallest settings: the record
holds the run's provenance and every repetition, and the README sentence
rendered from it states the same ratio as the script, ours / reference."""

import importlib.util
import json

import pytest

from applications import results

BENCHMARKS = results.ROOT / "benchmarks"


def _script(name):
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", BENCHMARKS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _provenance(record, command):
    assert record["command"] == command
    for key in ("git_commit", "packages", "machine", "load_mean", "started_at"):
        assert key in record, key
    assert record["seconds"] > 0


def test_rnn_throughput_records_every_repetition(tmp_path):
    argv = ["--units", "2", "--timesteps", "3", "--sequences", "32"]
    argv += ["--batch-size", "32", "--repeats", "2", "--record", str(tmp_path)]
    ratio = _script("rnn_throughput").main(argv)
    path = tmp_path / "benchmarks" / "rnn_throughput.json"
    record = json.loads(path.read_text())
    _provenance(record, "python benchmarks/rnn_throughput.py " + " ".join(argv))
    for key in ("sequences_per_second", "inference_sequences_per_second"):
        ours = record["repetitions"]["ours"][key]
        assert len(ours) == 2 and all(v > 0 for v in ours)
    # The same training from the same weights: the loss curves agree.
    assert record["details"]["loss_curves_agree"]
    assert record["details"]["ratio_of_medians"] == pytest.approx(ratio)
    fields = results.benchmark_fields(record)
    assert fields["ratio"]["sequences_per_second"] == pytest.approx(ratio)
    paired = record["details"]["median_of_paired_ratios"]
    text = results.render_benchmark("rnn_throughput", record)
    assert f"throughput ratio ours/keras = {paired:.2f}" in text


def test_ppca_fit_records_the_interleaved_times(tmp_path):
    argv = ["--train-size", "200", "--latent-dim", "2", "--repeats", "2"]
    argv += ["--iterative-repeats", "0", "--record", str(tmp_path)]
    result = _script("ppca_fit").main(argv)
    record = json.loads((tmp_path / "benchmarks" / "ppca_fit.json").read_text())
    _provenance(record, "python benchmarks/ppca_fit.py " + " ".join(argv))
    sklearn_row, closed_form = result["rows"][:2]
    assert record["repetitions"]["reference"]["fit_seconds"] == sklearn_row["seconds"]
    assert record["repetitions"]["ours"]["fit_seconds"] == closed_form["seconds"]
    text = results.render_benchmark("ppca_fit", record)
    assert f"ours takes {closed_form['ratio']:.2f} times scikit-learn's" in text
    assert "200 x 784" in text and "q = 2)" in text
