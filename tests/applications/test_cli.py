"""The command line: typed fields, every config field's documentation in
`--help`, help for every command."""

import dataclasses
import re
import subprocess
import sys

import pytest

from applications import cli, runner

DEMOS = sorted(runner.discover())
ROOT = runner.APPLICATIONS_DIR.parent


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
        lambda name, quick, overrides: seen.update(name=name, quick=quick, **overrides),
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
    assert seen["seed"] is None  # not given: the config's default stays


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
    assert "--test_years" in demo.stdout
    assert "Years held out" in demo.stdout  # the field's comment in config.py
    run = _command("run", "--help")
    assert run.returncode == 0, run.stderr
    assert "run NAME" in run.stdout and "sunspots" in run.stdout
    suite = _command("suite", "--help")
    assert suite.returncode == 0, suite.stderr
    assert "--full" in suite.stdout
    unknown = _command("run", "nope")
    assert unknown.returncode != 0 and "Unknown demo 'nope'" in unknown.stderr
