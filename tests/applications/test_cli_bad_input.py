"""Bad input at the command line (issue 21): each case gives one readable line
and its exit code, and no bad, failed, interrupted or concurrent run touches
a previous successful run's files or its published SavedModel versions.

The config cases run in this process through `applications.cli.cli` (a config
error stops before anything trains, so they cost no interpreter start); the
cases whose output format matters, and the runs that are interrupted, killed
or started together, run as `python -m applications ...` subprocesses.
"""

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from absl import logging as absl_logging

from applications import cli, runner
from applications.learning_guards import Guard
from applications.rl.dqn_cartpole.config import Config as DQNConfig
from applications.sequences.sunspots.config import Config as SunspotsConfig

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


def snapshot(*roots):
    """`{path: sha256 or "-> link target"}` of every file under `roots`."""
    found = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def versions(exports):
    return sorted(p.name for p in Path(exports).iterdir() if p.name.isdigit())


def assert_kept(before, *roots):
    """Every file of `before` is still under `roots`, byte for byte."""
    after = snapshot(*roots)
    assert {path: after.get(path) for path in before} == before


def assert_untouched(before, runs, exports):
    """`assert_kept`, and `exports` holds exactly what it held: no new or
    changed version."""
    assert_kept(before, runs, exports)
    assert snapshot(exports) == {
        p: h for p, h in before.items() if p.startswith(str(exports))
    }


@pytest.fixture(scope="module")
def good_run(quick_runs):
    """A previous successful sunspots quick run: `(runs, exports)` folders,
    shared with the other tests, which must not change them."""
    root, record = quick_runs("sunspots")
    assert record["status"] == "succeeded" and versions(root / "saved") == ["1"]
    return root / "runs", root / "saved"


def _copy_of(good_run, tmp_path):
    runs, exports = good_run
    copy = tmp_path / "runs", tmp_path / "saved"
    shutil.copytree(runs, copy[0], symlinks=True)
    shutil.copytree(exports, copy[1], symlinks=True)
    return copy


# Each case of the issue: (demo, arguments, the field the message names).
LEARNING_RATE_NAN = [
    (name, ["--learning_rate", "nan"], "learning_rate")
    for name in sorted(runner.discover())
    if "learning_rate"
    in {f.name for f in dataclasses.fields(runner.demo_module(name, "config").Config)}
]
CONFIG_CASES = [
    *LEARNING_RATE_NAN,
    ("sunspots", ["--batch_size", "0"], "batch_size"),
    ("fashion_mnist", ["--batch_size", "0"], "batch_size"),
    ("fashion_mnist", ["--validation_split", "1.5"], "validation_split"),
    ("mnist1d", ["--validation_split", "1.5"], "validation_split"),
    ("fashion_mnist", ["--epochs", "-1"], "epochs"),
    ("sunspots", ["--epochs", "-1"], "epochs"),
    ("sunspots", ["--test_years", "400"], "test_years"),
    ("dqn_cartpole", ["--gamma", "5"], "gamma"),
    ("fashion_mnist", ["--strategy", "bogus"], "strategy"),
    ("dqn_cartpole", ["--strategy", "mirrored"], "strategy"),
    ("dqn_cartpole", ["--env_id", "NoSuchEnv-v0"], "env_id"),
]


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    CONFIG_CASES,
    ids=[f"{n} {' '.join(a)}" for n, a, _ in CONFIG_CASES],
)
def test_bad_config_is_one_line_exit_2_and_touches_nothing(
    name, arguments, field, good_run, capsys
):
    runs, exports = good_run
    before = snapshot(runs, exports)
    command = ["run", name, "--quick", *arguments]
    with pytest.raises(SystemExit) as exited:
        cli.cli([*command, "--output_dir", str(runs), "--export_dir", str(exports)])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    value = arguments[-1]
    assert lines[0].startswith(f"error: {name}: `{field}` must be "), lines[0]
    assert re.search(rf"got '?{re.escape(value)}", lines[0]), lines[0]
    assert_untouched(before, runs, exports)


def test_debug_shows_the_error_itself(good_run):
    runs, exports = good_run
    # With --debug the exception propagates: Python prints its traceback.
    with pytest.raises(runner.ConfigError, match="`epochs` must be a positive"):
        cli.cli(
            [
                *("run", "sunspots", "--quick", "--epochs", "-1", "--debug"),
                *("--output_dir", str(runs), "--export_dir", str(exports)),
            ]
        )


def test_a_run_that_fails_its_guards_publishes_nothing(
    good_run, tmp_path, monkeypatch, capsys
):
    runs, exports = _copy_of(good_run, tmp_path)
    before = snapshot(runs, exports)
    # A guard no run can pass: a squared error below 0.
    impossible = (Guard("test_mse_wavenet", below=0.0),)
    monkeypatch.setattr(runner, "learning_guards", lambda name: impossible)
    with pytest.raises(SystemExit) as exited:
        cli.cli(
            [
                # One epoch: the guard fails whatever the training.
                *("run", "sunspots", "--quick", "--verbose", "0", "--epochs", "1"),
                *("--patience", "1"),
                *("--output_dir", str(runs), "--export_dir", str(exports)),
            ]
        )
    assert exited.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: sunspots: learning guard failed: ")
    assert_untouched(before, runs, exports)
    (failed,) = runs.glob("failed-*")
    record = json.loads((failed / "metrics.json").read_text())
    assert record["status"] == "failed" and record["exports"] == []
    assert not record["guards"][0]["passed"]


def _environment(**changes):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", **changes}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI's own quiet default
    return env


def _interruptible():
    # A process started in the background by a shell without job control
    # (`make test &`) inherits SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: Ctrl-C is what this restores for the child.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(*arguments, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "applications", *map(str, arguments)],
        cwd=ROOT,
        env=env or _environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )


def _finish(process, timeout=300):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_errors_print_one_or_two_lines_without_traceback(good_run, tmp_path):
    """As a user sees them: the exact stdout and stderr of a fresh process."""
    runs, exports = good_run
    before = snapshot(runs, exports)
    empty = tmp_path / "empty"
    empty.mkdir()
    no_data = _environment(
        KERASTOOLKIT_DATA_DIR=str(empty), XDG_CACHE_HOME=str(tmp_path / "cache")
    )
    # Started together: the machine has two cores.
    processes = {
        "config": _start(
            *("run", "fashion_mnist", "--quick", "--epochs", "-1"),
            *("--output_dir", runs, "--export_dir", exports),
        ),
        "suite": _start("suite", "nosuch"),
        "no data": _start(
            *("run", "char_lm", "--quick", "--output_dir", tmp_path / "runs"),
            *("--export_dir", tmp_path / "saved"),
            env=no_data,
        ),
    }
    results = {case: _finish(process) for case, process in processes.items()}

    code, out, err = results["config"]
    assert code == 2 and out == ""
    assert err == (
        "error: fashion_mnist: `epochs` must be a positive integer, got -1.\n"
    )
    assert_untouched(before, runs, exports)

    code, out, err = results["suite"]
    assert code == 2 and out == ""
    assert err.startswith("error: unknown demo(s) nosuch; available: ")
    assert len(err.splitlines()) == 1

    code, out, err = results["no data"]
    assert code == 1, err
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("error: Tiny Shakespeare data set not found")
    # The first line says where it looked (it used to end on "in:").
    assert "$KERASTOOLKIT_DATA_DIR" in lines[0]
    assert not lines[0].endswith(":")
    # The remedy this project offers: the data folder, not `download=True`,
    # which the command line cannot pass.
    assert lines[1].startswith("fix: set KERASTOOLKIT_DATA_DIR")
    assert "download=True" not in err
    assert not (tmp_path / "saved").exists()


def _read_until(process, pattern, timeout=240):
    """Reads `process`'s stdout line by line until a line matches `pattern`;
    returns what was read."""
    seen = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
        assert time.monotonic() < deadline, "".join(seen)
    raise AssertionError(f"no line matched {pattern!r}:\n{''.join(seen)}")


def test_interrupted_run_leaves_the_last_good_run_and_then_resumes(good_run, tmp_path):
    runs, exports = _copy_of(good_run, tmp_path)
    before = snapshot(runs, exports)
    command = (
        # The quick preset as it is: the resumed run must still pass the
        # learning guards to publish.
        *("run", "sunspots", "--quick", "--verbose", "2"),
        *("--output_dir", runs, "--export_dir", exports),
    )
    epochs = SunspotsConfig.quick().epochs
    process = _start(*command)
    # Keras prints "Epoch 2/N" once the first epoch (and its backup) is done.
    _read_until(process, rf"^Epoch 2/{epochs}")
    process.send_signal(signal.SIGINT)
    code, _, err = _finish(process)
    assert code == 130, err
    assert err.strip() == "interrupted: run the same command again to resume"
    assert_untouched(before, runs, exports)
    assert (runs / ".partial").is_dir()

    code, out, err = _finish(_start(*command))
    assert code == 0, err[-3000:]
    assert "[sunspots] resuming the interrupted run in" in out
    # `latest` moved to the new run; everything else is as it was.
    latest = str(runs / "latest")
    assert_kept({p: h for p, h in before.items() if p != latest}, runs, exports)
    assert versions(exports) == ["1", "2"]
    assert not (runs / ".partial").exists()
    record = json.loads((runs / "latest" / "metrics.json").read_text())
    assert record["resumed"] is True
    # The WaveNet resumed after its first epoch: not every epoch ran again.
    assert 1 <= record["metrics"]["wavenet_epochs"] < epochs


def _quick_dqn_command(runs, exports, *extra):
    return (
        *("run", "dqn_cartpole", "--quick", "--verbose", "1", *extra),
        *("--output_dir", runs, "--export_dir", exports),
    )


def test_two_runs_at_once_into_the_same_folders_both_publish(tmp_path):
    runs, exports = tmp_path / "runs", tmp_path / "saved"
    processes = [_start(*_quick_dqn_command(runs, exports)) for _ in range(2)]
    results = [_finish(process) for process in processes]
    for code, _, err in results:
        assert code == 0, err[-3000:]
        assert "Directory not empty" not in err
    published = sorted(
        re.search(r"\[dqn_cartpole\] published (\S+)", out).group(1)
        for _, out, _ in results
    )
    assert published == [str(exports / "1"), str(exports / "2")]
    assert versions(exports) == ["1", "2"]
    finished = [p for p in runs.iterdir() if re.fullmatch(r"\d{8}-\d{6}-\w+", p.name)]
    assert len(finished) == 2
    assert (runs / "latest").resolve() in {p.resolve() for p in finished}
    # The second run found .partial locked and trained in a folder of its own.
    assert sum("another run is using" in out for _, out, _ in results) == 1


def test_killed_dqn_run_resumes_from_its_checkpoint_with_no_flag(tmp_path):
    runs, exports = tmp_path / "runs", tmp_path / "saved"
    total = DQNConfig.quick().total_steps
    # The quick run, checkpointed every quarter of its steps.
    command = _quick_dqn_command(runs, exports, "--checkpoint_interval", total // 4)
    checkpoint = runs / ".partial" / "checkpoints" / "seed_0" / "checkpoint.pkl"
    process = _start(*command)
    deadline = time.monotonic() + 240
    while not checkpoint.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert checkpoint.exists() and not exports.exists()

    code, out, err = _finish(_start(*command))
    assert code == 0, err[-3000:]
    assert "[dqn_cartpole] resuming the interrupted run in" in out
    resumed = re.search(
        rf"resuming from {re.escape(str(checkpoint))} at step (\d+)", out
    )
    assert resumed, out
    assert total // 4 <= int(resumed.group(1)) < total
    record = json.loads((runs / "latest" / "metrics.json").read_text())
    assert record["resumed"] is True
    assert record["metrics"]["env_steps_per_seed"] == total
    assert versions(exports) == ["1"]
