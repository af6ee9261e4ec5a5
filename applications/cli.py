"""The command line: `python -m applications [list | run NAME ... | suite ...]`.

`run NAME --help` lists the demo's config fields, each with the comment that
documents it in `config.py`.
"""

import argparse
import ast
import dataclasses
import inspect
import sys
import textwrap
import types
import typing
from pathlib import Path

from applications import runner, suite

USAGE = (
    "usage: python -m applications [list | run NAME [--quick] "
    "[--FIELD VALUE ...] | suite [--full] [NAME ...]]"
)


def field_docs(config_cls):
    """`{field: text}`: the comment block right above each field of a dataclass.

    The comments in `config.py` are the documentation; reading them from the
    source keeps each text written once.
    """
    docs = {}
    for cls in reversed(config_cls.__mro__):
        if not dataclasses.is_dataclass(cls):
            continue
        lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
        (node,) = ast.parse("\n".join(lines)).body
        for statement in node.body:
            if not (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
            ):
                continue
            comments = []
            row = statement.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#"):
                comments.insert(0, lines[row].strip().lstrip("#").strip())
                row -= 1
            docs[statement.target.id] = " ".join(comments)
    return docs


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
    if origin in (typing.Union, types.UnionType):
        inner = [t for t in typing.get_args(field_type) if t is not type(None)]
        base = _parser_for(inner[0])
        return lambda text: None if text.lower() == "none" else base(text)
    return field_type


def _default(field):
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def config_arguments(parser, config_cls):
    """Adds one `--field value` option per dataclass field of `config_cls`,
    its help the field's comment in `config.py` and its default."""
    hints = typing.get_type_hints(config_cls)
    docs = field_docs(config_cls)
    for field in dataclasses.fields(config_cls):
        text = f"{docs.get(field.name, '')} (default: {_default(field)!r})"
        parser.add_argument(
            f"--{field.name}",
            type=_parser_for(hints[field.name]),
            default=None,
            metavar=field.name.upper(),
            # argparse formats help with %: a literal "99%" must be doubled.
            help=text.strip().replace("%", "%%"),
        )


def demo_parser(name):
    """The argument parser of `python -m applications run NAME`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m applications run {name}", description=runner.summary(name)
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    config_arguments(parser, runner.demo_module(name, "config").Config)
    return parser


def main(name, argv=None):
    """Runs demo `name` from command-line arguments (its `__main__` calls this)."""
    args = vars(demo_parser(name).parse_args(argv))
    quick = args.pop("quick")
    return runner.run(name, quick=quick, overrides=args)


def suite_main(argv=None):
    """Runs the demo suite from command-line arguments; exits non-zero on failures."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m applications suite",
        description="Runs every demo (quick mode unless --full) and writes "
        "runs/index.html.",
    )
    parser.add_argument("names", nargs="*", help="demos to run (default: all)")
    parser.add_argument("--full", action="store_true", help="full-size runs")
    parser.add_argument("--runs_dir", default="runs", help="where index.html goes")
    args = parser.parse_args(argv)
    entries = suite.run_suite(
        args.names or None, quick=not args.full, runs_dir=args.runs_dir
    )
    failed = [e["name"] for e in entries if e.get("error")]
    print(f"[suite] wrote {Path(args.runs_dir) / 'index.html'}", flush=True)
    if failed:
        raise SystemExit(f"[suite] failed: {', '.join(failed)}")
    return entries


def print_demos():
    """Prints every demo's name, summary and package."""
    print("Demos (python -m applications run NAME [--quick] [--field value]):")
    for name, module in runner.discover().items():
        print(f"  {name:<24} {runner.summary(name)}  [{module}]")


def cli(argv=None):
    """`python -m applications [list | run NAME ... | suite [--full] [NAME ...]]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = (argv[0], argv[1:]) if argv else ("list", [])
    if command in ("list", "-h", "--help"):
        print(USAGE)
        print_demos()
        return None
    if command == "suite":
        return suite_main(rest)
    if command == "run" and rest and not rest[0].startswith("-"):
        return main(rest[0], rest[1:])
    if command == "run" and rest and rest[0] in ("-h", "--help"):
        print(USAGE)
        print("`run NAME --help` lists a demo's config fields.")
        print_demos()
        return None
    raise SystemExit(USAGE)
