"""Finds, configures and runs the demos, and writes their metrics and reports.

A demo is a package `applications/<area>/<name>/` with `config.py` (a
dataclass `Config` with a `quick()` preset), `train.py`
(`train_and_evaluate(config) -> dict`) and `__main__.py`. NAME is unique across
areas.
"""

import argparse
import dataclasses
import importlib
import json
import sys
import time
import typing
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


def _module(name, part):
    demos = discover()
    if name not in demos:
        raise SystemExit(
            f"Unknown demo {name!r}; available: {', '.join(demos) or 'none'}."
        )
    return importlib.import_module(f"{demos[name]}.{part}")


def _summary(name):
    doc = (_module(name, "config").__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def _parse_bool(text):
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _parser_for(field_type):
    origin = typing.get_origin(field_type)
    if field_type is bool:
        return _parse_bool
    if origin is tuple:
        item = typing.get_args(field_type)[0]
        return lambda text: tuple(item(v) for v in text.split(",") if v)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [t for t in typing.get_args(field_type) if t is not type(None)]
        base = _parser_for(inner[0])
        return lambda text: None if text.lower() == "none" else base(text)
    return field_type


def config_arguments(parser, config_cls):
    """Adds one `--field value` option per dataclass field of `config_cls`."""
    hints = typing.get_type_hints(config_cls)
    for field in dataclasses.fields(config_cls):
        parser.add_argument(
            f"--{field.name}",
            type=_parser_for(hints[field.name]),
            default=None,
            metavar=field.name.upper(),
            help=field.metadata.get("help", f"(default: {field.default!r})"),
        )


def make_config(name, quick=False, overrides=None):
    """Builds the demo's config: the defaults or `quick()`, then `overrides`."""
    config_cls = _module(name, "config").Config
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


def write_report(name, record, output_dir, published=None):
    """Writes `report.md` in `output_dir`: metrics, references, figures, config."""
    output_dir = Path(output_dir)
    lines = [
        f"# {name}",
        "",
        f"{_summary(name)}",
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
    if published:
        lines += ["", "## Published references", "", "| model | figure |", "|---|---|"]
        lines += [f"| {k} | {_format(v)} |" for k, v in published.items()]
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
    train = _module(name, "train")
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
    write_report(name, record, output_dir, getattr(train, "PUBLISHED", None))
    print(f"[{name}] done in {record['seconds']:.1f} s", flush=True)
    for key, value in metrics.items():
        print(f"[{name}] {key}: {_format(value)}", flush=True)
    return record


def main(name, argv=None):
    """The `python -m applications.<area>.<name>` front end of one demo."""
    parser = argparse.ArgumentParser(
        prog=f"python -m applications run {name}", description=_summary(name)
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    config_arguments(parser, _module(name, "config").Config)
    args = vars(parser.parse_args(argv))
    quick = args.pop("quick")
    return run(name, quick=quick, overrides=args)


def _suite_cli(argv):
    from applications.suite import run_suite

    parser = argparse.ArgumentParser(
        prog="python -m applications suite",
        description="Runs every demo (quick mode unless --full) and writes "
        "runs/index.html.",
    )
    parser.add_argument("names", nargs="*", help="demos to run (default: all)")
    parser.add_argument("--full", action="store_true", help="full-size runs")
    parser.add_argument("--runs_dir", default="runs", help="where index.html goes")
    args = parser.parse_args(argv)
    entries = run_suite(args.names or None, quick=not args.full, runs_dir=args.runs_dir)
    failed = [e["name"] for e in entries if e.get("error")]
    print(f"[suite] wrote {Path(args.runs_dir) / 'index.html'}", flush=True)
    if failed:
        raise SystemExit(f"[suite] failed: {', '.join(failed)}")
    return entries


def cli(argv=None):
    """`python -m applications [list | run NAME ... | suite [--full] [NAME ...]]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "suite":
        return _suite_cli(argv[1:])
    if not argv or argv[0] in ("list", "-h", "--help"):
        print("Demos (python -m applications run NAME [--quick] [--field value]):")
        for name, module in discover().items():
            print(f"  {name:<24} {_summary(name)}  [{module}]")
        return None
    if argv[0] != "run" or len(argv) < 2:
        raise SystemExit(
            "usage: python -m applications [list | run NAME [--quick] [--field value]"
            " | suite [--full] [NAME ...]]"
        )
    return main(argv[1], argv[2:])
