"""The applications runner: discovery, config overrides, records and reports."""

import json

import pytest

from applications import runner


def test_discover_finds_the_first_demo():
    demos = runner.discover()
    assert demos["fashion_mnist"] == "applications.vision.fashion_mnist"


def test_list_prints_every_demo(capsys):
    runner.cli(["list"])
    out = capsys.readouterr().out
    for name in runner.discover():
        assert name in out


def test_make_config_applies_quick_and_overrides():
    config = runner.make_config(
        "fashion_mnist", quick=True, overrides={"epochs": 3, "seed": None}
    )
    assert config.train_size == 2000  # from quick()
    assert config.epochs == 3  # override
    assert config.seed == 0  # None means "not given"


def test_make_config_rejects_unknown_fields():
    with pytest.raises(ValueError, match="no_such_field"):
        runner.make_config("fashion_mnist", overrides={"no_such_field": 1})


def test_unknown_demo_is_a_clear_error():
    with pytest.raises(SystemExit, match="Unknown demo 'nope'"):
        runner.make_config("nope")


def test_command_line_fields_are_typed(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        runner,
        "run",
        lambda name, quick, overrides: seen.update(name=name, quick=quick, **overrides),
    )
    runner.cli(
        [
            "run",
            "fashion_mnist",
            "--quick",
            "--epochs",
            "4",
            "--learning_rate",
            "0.01",
            "--filters",
            "8,16",
        ]
    )
    assert seen["quick"] is True
    assert seen["epochs"] == 4
    assert seen["learning_rate"] == pytest.approx(0.01)
    assert seen["filters"] == (8, 16)


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
