"""The command line: typed fields, every config field's documentation in
`--help`, help for every command, and TensorFlow's C++ log lines hidden
unless `--tf_log` is given."""

import dataclasses
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from absl import logging as absl_logging

from applications import cli, runner

DEMOS = sorted(runner.discover())
ROOT = runner.APPLICATIONS_DIR.parent


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch):
    # `cli` configures this process's TensorFlow logging, as a program's entry
    # point does: give the other tests theirs back.
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    verbosity = absl_logging.get_verbosity()
    level = logging.getLogger("tensorflow").level
    yield
    absl_logging.set_verbosity(verbosity)
    logging.getLogger("tensorflow").setLevel(level)


def test_list_prints_every_demo(capsys):
    cli.cli(["list"])
    out = capsys.readouterr().out
    for name in DEMOS:
        assert name in out and runner.summary(name) in out


def test_command_line_fields_are_typed(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        runner,
        "run",
        lambda name, quick, overrides, fresh=False: seen.update(
            name=name, quick=quick, **overrides
        ),
    )
    cli.cli(
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
            "--horizontal_flip",
            "false",
        ]
    )
    assert seen["quick"] is True
    assert seen["epochs"] == 4
    assert seen["learning_rate"] == pytest.approx(0.01)
    assert seen["filters"] == (8, 16)
    assert seen["horizontal_flip"] is False
    assert "seed" not in seen  # not given: the config's default stays


def test_none_on_the_command_line_sets_an_optional_field_to_none(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        runner,
        "run",
        lambda name, quick, overrides, fresh=False: seen.update(
            config=runner.make_config(name, quick, overrides)
        ),
    )
    # DQN's final learning rate defaults to a number; `none` (a constant
    # rate) used to be dropped as "not given", leaving the default.
    cli.cli(["run", "dqn_cartpole", "--final_learning_rate", "none"])
    assert seen["config"].final_learning_rate is None
    cli.cli(["run", "dqn_cartpole", "--final_learning_rate", "0.0001"])
    assert seen["config"].final_learning_rate == pytest.approx(1e-4)


def _squeezed(text):
    # argparse re-wraps help text (and breaks at hyphens): compare without
    # whitespace.
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", DEMOS)
def test_every_config_field_is_documented_in_help(name):
    config_cls = runner.demo_module(name, "config").Config
    docs = cli.field_docs(config_cls)
    help_text = _squeezed(cli.demo_parser(name).format_help())
    for field in dataclasses.fields(config_cls):
        doc = docs.get(field.name, "")
        assert len(doc.split()) >= 2, f"{name}: field {field.name!r} is undocumented"
        assert _squeezed(doc) in help_text, f"{name}: {field.name!r} not in --help"


def test_field_docs_read_the_comment_block_above_each_field():
    @dataclasses.dataclass
    class Config:
        # Two lines of
        # documentation, 99% sure.
        first: int = 1

        second: str = "x"  # a trailing comment documents nothing
        # Third.
        third: float = 0.5

    assert cli.field_docs(Config) == {
        "first": "Two lines of documentation, 99% sure.",
        "second": "",
        "third": "Third.",
    }


def _command(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "applications", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_help_of_every_command():
    demo = _command("run", "sunspots", "--help")
    assert demo.returncode == 0, demo.stderr
    assert "--test_years" in demo.stdout and "--tf_log" in demo.stdout
    assert "Years held out" in demo.stdout  # the field's comment in config.py
    run = _command("run", "--help")
    assert run.returncode == 0, run.stderr
    assert "run NAME" in run.stdout and "sunspots" in run.stdout
    suite = _command("suite", "--help")
    assert suite.returncode == 0, suite.stderr
    assert "--full" in suite.stdout
    unknown = _command("run", "nope")
    assert unknown.returncode != 0 and "unknown demo 'nope'" in unknown.stderr


# TensorFlow's C++ log lines, matched independently of `cli`'s own filter:
# "I0000 00:00:1796083503.366892  6340 port.cc:153] oneDNN custom operations..."
LOG_LINE = re.compile(r"^[IWEF]\d{4} .*\.(cc|h):\d+\] |absl::InitializeLog")


def _quick_run(tmp_path, *extra):
    # As `make` runs it: TF_CPP_MIN_LOG_LEVEL=2 still shows TensorFlow's errors.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = _command(
        "run",
        "sunspots",
        "--quick",
        "--verbose",
        "0",
        "--output_dir",
        str(tmp_path / "run"),
        "--export_dir",
        str(tmp_path / "saved"),
        *extra,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_a_quick_run_prints_no_tensorflow_log_lines_unless_asked(tmp_path):
    quiet = _quick_run(tmp_path / "quiet")
    log_lines = [line for line in quiet.splitlines() if LOG_LINE.search(line)]
    assert not log_lines, log_lines[:5]
    assert "[sunspots] done in" in quiet
    latest = tmp_path / "quiet" / "run" / "latest"
    record = json.loads((latest / "metrics.json").read_text())
    assert record["metrics"]["test_mse_wavenet"] > 0
    # With --tf_log TensorFlow's lines come through: loading it is enough
    # (`results --check` loads it the way `run` does, without a training run).
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = _command("results", "--check", "--tf_log", env=env)
    loud = result.stdout + result.stderr
    log_lines = [line for line in loud.splitlines() if LOG_LINE.search(line)]
    # At least absl's notice and one C++ line (on CPU, oneDNN's).
    assert len(log_lines) >= 2
    assert all(cli.TENSORFLOW_LOG_LINE.match(line) for line in log_lines)
