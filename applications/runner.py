"""Finds, configures and runs the demos, and writes their metrics and reports.

A demo is a package `applications/<area>/<name>/` with `config.py` (a
dataclass `Config` with a `quick()` preset, each field documented by the
comment above it, and optionally a classmethod `defaults_for(overrides)`
when the defaults depend on an option, e.g. the environment), `train.py`
(`train_and_evaluate(config) -> dict`, and the module attributes
`HEADLINE`, the metric the suite's index shows, and `PUBLISHED`, a dict of
published reference figures, possibly empty) and `__main__.py`.
NAME is unique across areas.

The command line is `applications.cli`; this module is what it and the suite
(`applications.suite`) call.
"""

import ast
import dataclasses
import importlib
import json
import math
import numbers
import shutil
import time
import types
import typing
from datetime import datetime, timezone
from pathlib import Path

from applications.learning_guards import (
    Guard,
    LearningGuardError,
    check_guards,
    failures,
)
from applications.provenance import LoadSampler, command_line, provenance
from applications.run_folders import RunFolder

APPLICATIONS_DIR = Path(__file__).resolve().parent


def discover():
    """Returns `{name: "applications.<area>.<name>"}` for every demo, sorted."""
    found = {}
    for config in sorted(APPLICATIONS_DIR.glob("*/*/config.py")):
        package = config.parent
        if not (package / "train.py").exists():
            continue
        name = package.name
        if name in found:
            raise RuntimeError(
                f"Two demos are named {name!r}: {found[name]} and "
                f"applications.{package.parent.name}.{name}."
            )
        found[name] = f"applications.{package.parent.name}.{name}"
    return found


def _package(name):
    demos = discover()
    if name not in demos:
        raise SystemExit(
            f"Unknown demo {name!r}; available: {', '.join(demos) or 'none'}."
        )
    return demos[name]


def demo_module(name, part):
    """Imports and returns part `"config"` or `"train"` of demo `name`."""
    return importlib.import_module(f"{_package(name)}.{part}")


def summary(name):
    """The first line of the demo's `config.py` docstring (read, not imported)."""
    area, package = _package(name).split(".")[1:]
    source = (APPLICATIONS_DIR / area / package / "config.py").read_text()
    doc = (ast.get_docstring(ast.parse(source)) or "").strip().splitlines()
    return doc[0] if doc else ""


def headline(name):
    """The demo's `HEADLINE`: the name of the metric its suite row shows."""
    value = getattr(demo_module(name, "train"), "HEADLINE", None)
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"Demo {name!r}: {_package(name)}.train must define HEADLINE, the name "
            f"of one of its metrics, got {value!r}."
        )
    return value


def published(name):
    """The demo's `PUBLISHED`: `{reference: figure}` (empty when none applies)."""
    value = getattr(demo_module(name, "train"), "PUBLISHED", None)
    if not isinstance(value, dict):
        raise TypeError(
            f"Demo {name!r}: {_package(name)}.train must define PUBLISHED, a dict "
            f"of published reference figures ({{}} when none applies), got "
            f"{value!r}."
        )
    return value


class ConfigError(ValueError):
    """A demo's config has a field of the wrong type or out of range."""


def check_field_types(config):
    """Checks every field against its annotation; floats must be finite.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    hints = typing.get_type_hints(type(config))
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        problem = _type_problem(value, hints[field.name])
        if problem:
            raise ConfigError(f"`{field.name}` must be {problem}, got {value!r}.")


def _type_problem(value, annotation):
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        problems = [
            _type_problem(value, option)
            for option in options
            if option is not type(None)
        ]
        return None if None in problems else " or ".join(problems)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        if not isinstance(value, tuple):
            return f"a tuple of {item.__name__}"
        for entry in value:
            if _type_problem(entry, item):
                return f"a tuple of {item.__name__} ({_type_problem(entry, item)})"
        return None
    if annotation is bool:
        return None if isinstance(value, bool) else "true or false"
    if annotation is int:
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        return None if ok else "an integer"
    if annotation is float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok:
            return "a number"
        return None if math.isfinite(value) else "a finite number"
    if annotation is str:
        return None if isinstance(value, str) else "a string"
    return None


def make_config(name, quick=False, overrides=None):
    """Builds and validates the demo's config: defaults (the config's
    `defaults_for(overrides)` where it has one) or `quick()`, then
    `overrides`.

    Every field is checked against its type (floats finite), then the config's
    own `validate()` checks ranges and rules between fields.

    Raises:
        ConfigError: for an unknown field or a bad value, naming it.
    """
    config_cls = demo_module(name, "config").Config
    overrides = dict(overrides or {})
    unknown = set(overrides) - {f.name for f in dataclasses.fields(config_cls)}
    if unknown:
        raise ConfigError(f"{name}: unknown config fields {sorted(unknown)}.")
    try:
        defaults_for = getattr(config_cls, "defaults_for", None)
        if quick:
            config = config_cls.quick()
        elif defaults_for is not None:
            config = defaults_for(overrides)
        else:
            config = config_cls()
        config = dataclasses.replace(config, **overrides)
        check_field_types(config)
        validate = getattr(config, "validate", None)
        if validate is not None:
            validate()
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{name}: {error}") from error
    return config


def learning_guards(name):
    """The demo's `GUARDS`: what its metrics beat only when it learned."""
    value = getattr(demo_module(name, "train"), "GUARDS", ())
    if not isinstance(value, tuple | list) or not all(
        isinstance(g, Guard) for g in value
    ):
        raise TypeError(
            f"Demo {name!r}: {_package(name)}.train.GUARDS must be a tuple of "
            f"applications.learning_guards.Guard, got {value!r}."
        )
    return tuple(value)


def _format(value):
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def write_report(name, record, output_dir, references=None):
    """Writes `report.md` in `output_dir`: metrics, references, figures, config."""
    output_dir = Path(output_dir)
    lines = [
        f"# {name}",
        "",
        f"{summary(name)}",
        "",
        f"Finished {record['finished_at']} in {record['seconds']:.1f} s"
        f"{' (quick mode)' if record['quick'] else ''}.",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_format(v)} |" for k, v in record["metrics"].items()]
    if references:
        lines += ["", "## Published references", "", "| model | figure |", "|---|---|"]
        lines += [f"| {k} | {_format(v)} |" for k, v in references.items()]
    # The demo's own Markdown tables (e.g. transfer_table.md), whole.
    for table in sorted(output_dir.glob("*.md")):
        if table.name != "report.md":
            lines += ["", f"## {table.stem}", "", table.read_text().rstrip("\n")]
    images = sorted(output_dir.glob("*.png"))
    if images:
        lines += ["", "## Figures", ""]
        lines += [f"![{p.stem}]({p.name})" for p in images]
    lines += ["", "## Config", "", "| field | value |", "|---|---|"]
    lines += [f"| {k} | `{v}` |" for k, v in record["config"].items()]
    (output_dir / "report.md").write_text("\n".join(lines) + "\n")


def _replace_paths(value, replacements):
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _replace_paths(v, replacements) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replace_paths(v, replacements) for v in value)
    return value


def _write_record(record, folder, references):
    (folder / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
    write_report(record["name"], record, folder, references)


def run(name, quick=False, overrides=None, fresh=False):
    """Runs demo `name`, checks it learned, and publishes its exports.

    The run trains in a folder of its own under `config.output_dir` (see
    `applications.run_folders`): an interrupted run with the same config is
    resumed, a finished one is never touched again. Its SavedModels are
    exported into that folder first and published to `config.export_dir` as
    new versions only when the run succeeded, its learning guards pass and
    every export is healthy (finite weights and example answers).

    Args:
        name: the demo's package name (see `discover()`).
        quick: use the config's `quick()` preset.
        overrides: dict of config fields to set.
        fresh: discard an interrupted run's state instead of resuming it.

    Returns:
        The record written to the run's `metrics.json`: name, quick, config,
        metrics, guards, exports, run_dir, seconds, provenance...

    Raises:
        ConfigError: for a bad config, before anything is written.
        LearningGuardError: when the run ended but its metrics did not beat
            their baselines; UnhealthyExportError: when an export has
            non-finite weights or answers. The run is kept as `failed-<id>/`
            and nothing is published.
    """
    config = make_config(name, quick, overrides)
    train = demo_module(name, "train")
    # The demo's contract, checked before any training.
    headline(name)
    references = published(name)
    guards = learning_guards(name)
    exports_to = getattr(config, "export_dir", None)

    def log(message):
        print(f"[{name}] {message}", flush=True)

    # Imported here: the command line imports this module before TensorFlow,
    # whose start-up log lines it filters.
    from kerastoolkit.export.health_check import (
        UnhealthyExportError,
        export_health_problems,
    )
    from kerastoolkit.export.publishing import publish_version, staged_versions
    from kerastoolkit.training.distribution import make_strategy

    with RunFolder(config.output_dir, config, fresh=fresh, log=log) as folder:
        staging = folder.path / "exports"
        shutil.rmtree(staging, ignore_errors=True)
        changes = {"output_dir": str(folder.path)}
        if exports_to is not None:
            changes["export_dir"] = str(staging)
        log(f"{'quick run' if quick else 'run'} in {folder.path}")
        started = datetime.now(timezone.utc)
        start = time.perf_counter()
        # Every demo trains under its config's strategy: models built and
        # compiled inside the scope are mirrored, and `fit` splits each batch.
        strategy = make_strategy(getattr(config, "strategy", "default"))
        with LoadSampler() as load, strategy.scope():
            metrics = train.train_and_evaluate(dataclasses.replace(config, **changes))
        seconds = time.perf_counter() - start
        guard_results = check_guards(guards, metrics)
        problems = failures(guard_results)
        staged = staged_versions(staging)
        health = {str(v): export_health_problems(v) for v in staged}
        unhealthy = [f"{v}: {'; '.join(p)}" for v, p in health.items() if p]
        succeeded = not problems and not unhealthy
        record = {
            "name": name,
            "quick": quick,
            "status": "succeeded" if succeeded else "failed",
            "config": dataclasses.asdict(config),
            "metrics": metrics,
            "guards": guard_results,
            "exports": [],
            "seconds": seconds,
            "resumed": folder.resumed,
            "replicas": strategy.num_replicas_in_sync,
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": command_line(),
            **load.summary(),
            **provenance(),
        }
        replacements = []
        if succeeded:
            for version in staged:
                relative = version.parent.relative_to(staging)
                target = publish_version(
                    version, Path(exports_to) / relative, check_health=False
                )
                replacements.append((str(version), str(target)))
                record["exports"].append(str(target))
        final = folder.final_name(succeeded)
        replacements.append((str(folder.path), str(final)))
        record = _replace_paths(record, replacements)
        record["run_dir"] = str(final)
        _write_record(record, folder.path, references)
        folder.finish(final)
    if not succeeded:
        log(f"FAILED; kept in {final}; nothing was published")
        if problems:
            raise LearningGuardError(name, problems)
        raise UnhealthyExportError(
            f"{name}: unhealthy export, nothing published: " + "; ".join(unhealthy)
        )
    log(f"done in {seconds:.1f} s -> {final}")
    for key, value in record["metrics"].items():
        print(f"[{name}] {key}: {_format(value)}", flush=True)
    for result in guard_results:
        log(f"learned: {result['text']}")
    for path in record["exports"]:
        log(f"published {path}")
    return record
