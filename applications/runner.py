"""Finds, configures and runs the demos, and writes their metrics and reports.

A demo is a package `applications/<area>/<name>/` with `config.py` (a
dataclass `Config` with a `quick()` preset, each field documented by the
comment above it), `train.py` (`train_and_evaluate(config) -> dict`, and the
module attributes `HEADLINE`, the metric the suite's index shows, and
`PUBLISHED`, a dict of published reference figures, possibly empty) and
`__main__.py`. NAME is unique across areas.

The command line is `applications.cli`; this module is what it and the suite
(`applications.suite`) call.
"""

import ast
import dataclasses
import importlib
import json
import time
from datetime import datetime, timezone
from pathlib import Path

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


def make_config(name, quick=False, overrides=None):
    """Builds the demo's config: the defaults or `quick()`, then `overrides`."""
    config_cls = demo_module(name, "config").Config
    config = config_cls.quick() if quick else config_cls()
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(overrides) - {f.name for f in dataclasses.fields(config_cls)}
    if unknown:
        raise ValueError(f"Unknown config fields for {name}: {sorted(unknown)}.")
    return dataclasses.replace(config, **overrides)


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
    images = sorted(output_dir.glob("*.png"))
    if images:
        lines += ["", "## Figures", ""]
        lines += [f"![{p.stem}]({p.name})" for p in images]
    lines += ["", "## Config", "", "| field | value |", "|---|---|"]
    lines += [f"| {k} | `{v}` |" for k, v in record["config"].items()]
    (output_dir / "report.md").write_text("\n".join(lines) + "\n")


def run(name, quick=False, overrides=None):
    """Runs demo `name` and writes `metrics.json` and `report.md`.

    Args:
        name: the demo's package name (see `discover()`).
        quick: use the config's `quick()` preset (a smoke run).
        overrides: dict of config fields to set.

    Returns:
        The record written to `metrics.json`: name, quick, config, metrics,
        seconds, finished_at.
    """
    config = make_config(name, quick, overrides)
    train = demo_module(name, "train")
    # The demo's contract, checked before any training.
    headline(name)
    references = published(name)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] {'quick run' if quick else 'run'} -> {output_dir}", flush=True)
    start = time.perf_counter()
    # Every demo trains under its config's strategy: models built and compiled
    # inside the scope are mirrored, and `fit` splits each global batch.
    from kerastoolkit.training.distribution import make_strategy

    strategy = make_strategy(getattr(config, "strategy", "default"))
    with strategy.scope():
        metrics = train.train_and_evaluate(config)
    record = {
        "name": name,
        "quick": quick,
        "config": dataclasses.asdict(config),
        "metrics": metrics,
        "seconds": time.perf_counter() - start,
        "replicas": strategy.num_replicas_in_sync,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (output_dir / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
    write_report(name, record, output_dir, references)
    print(f"[{name}] done in {record['seconds']:.1f} s", flush=True)
    for key, value in metrics.items():
        print(f"[{name}] {key}: {_format(value)}", flush=True)
    return record
