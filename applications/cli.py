"""The command line: `python -m applications [list | run NAME ... | suite ...]`.

`run NAME --help` lists the demo's config fields, each with the comment that
documents it in `config.py`. TensorFlow's C++ log lines (CUDA probing, CPU
feature notices, oneDNN) are hidden unless `--tf_log` is given: they are not
errors, but a newcomer reads them as such.
"""

import argparse
import ast
import dataclasses
import importlib
import inspect
import logging
import os
import re
import sys
import tempfile
import textwrap
import types
import typing
from pathlib import Path

from applications import runner, suite

USAGE = (
    "usage: python -m applications [list | run NAME [--quick] [--fresh] [--tf_log] "
    "[--debug] [--FIELD VALUE ...] | suite [--full] [--tf_log] [--debug] "
    "[NAME ...] | results [add RUN_DIR [--note TEXT] | --write | --check]]"
)

# What TensorFlow's C++ logging (absl) writes, "I0000 00:00:1796083503.366892
# 6340 port.cc:153] oneDNN custom operations are on..." (severity, date, time,
# thread, source line), and absl's notice before it.
TENSORFLOW_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] |"
    r"WARNING: All log messages before absl::InitializeLog\(\) is called)"
)


def configure_tensorflow_logging(show):
    """Hides TensorFlow's C++ and absl log lines, or (`show`) lets them all through.

    Call before TensorFlow is imported: TensorFlow reads TF_CPP_MIN_LOG_LEVEL
    once, when it loads. Both settings override TF_CPP_MIN_LOG_LEVEL in the
    environment (the Makefile exports 2, which still shows the CUDA errors).
    """
    if show:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def import_quietly(module, show=False):
    """Imports `module`, dropping the C++ log lines TensorFlow prints as it loads.

    Those lines (oneDNN, CUDA driver probing) come before TensorFlow reads its
    log level, so only filtering the process's stderr while it loads removes
    them; every other line is written out again.
    """
    if show or "tensorflow" in sys.modules:
        return importlib.import_module(module)
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            return importlib.import_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines(True)
            kept = [line for line in lines if not TENSORFLOW_LOG_LINE.match(line)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


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
            # Only the options given reach the config: `--max_vocab none`
            # sets None, an option left out keeps the preset's value.
            default=argparse.SUPPRESS,
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
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="discard an interrupted run's state instead of resuming it",
    )
    parser.add_argument(
        "--tf_log", action="store_true", help="show TensorFlow's C++ log lines"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error"
    )
    config_arguments(parser, runner.demo_module(name, "config").Config)
    return parser


def main(name, argv=None):
    """Runs demo `name` from command-line arguments (its `__main__` calls this)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show = "--tf_log" in argv
    configure_tensorflow_logging(show)
    demos = runner.discover()
    if name in demos:
        # A config may import the library, and so TensorFlow: quietly, too.
        import_quietly(f"{demos[name]}.config", show)
    args = vars(demo_parser(name).parse_args(argv))
    quick, fresh = args.pop("quick"), args.pop("fresh")
    args.pop("tf_log")
    args.pop("debug")
    # A bad config stops here, before TensorFlow loads or a file is written.
    runner.make_config(name, quick, args)
    import_quietly("tensorflow", show)
    return runner.run(name, quick=quick, overrides=args, fresh=fresh)


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
    parser.add_argument(
        "--tf_log", action="store_true", help="show TensorFlow's C++ log lines"
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in runner.discover()]
    if unknown:
        raise runner.ConfigError(
            f"unknown demo(s) {', '.join(unknown)}; available: "
            f"{', '.join(runner.discover())}"
        )
    configure_tensorflow_logging(args.tf_log)
    import_quietly("tensorflow", args.tf_log)
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


def _dispatch(argv):
    command, rest = (argv[0], argv[1:]) if argv else ("list", [])
    if command in ("list", "-h", "--help"):
        print(USAGE)
        print_demos()
        return None
    if command == "suite":
        return suite_main(rest)
    if command == "results":
        # `results add` builds configs, which import the library and so
        # TensorFlow: as quietly as a run.
        configure_tensorflow_logging("--tf_log" in rest)
        import_quietly("tensorflow", "--tf_log" in rest)
        from applications import results

        return results.main([a for a in rest if a != "--tf_log"])
    if command == "run" and rest and not rest[0].startswith("-"):
        if rest[0] not in runner.discover():
            raise runner.ConfigError(
                f"unknown demo {rest[0]!r}; available: {', '.join(runner.discover())}"
            )
        return main(rest[0], rest[1:])
    if command == "run" and rest and rest[0] in ("-h", "--help"):
        print(USAGE)
        print("`run NAME --help` lists a demo's config fields.")
        print_demos()
        return None
    print(USAGE, file=sys.stderr)
    raise SystemExit(2)


def readable_error(error):
    """`(message, exit code)` for the toolkit's own errors, or None for others."""
    if isinstance(error, runner.ConfigError):
        return f"error: {error}", 2
    if "kerastoolkit" not in sys.modules:
        return None  # no toolkit code ran: not one of its errors
    from applications.learning_guards import LearningGuardError
    from kerastoolkit.datasets import DatasetNotFoundError
    from kerastoolkit.export import CorruptSavedModelError
    from kerastoolkit.export.health_check import UnhealthyExportError
    from kerastoolkit.training import (
        CorruptCheckpointError,
        IncompatibleCheckpointError,
    )

    if isinstance(error, DatasetNotFoundError):
        lines = str(error).splitlines()
        fix = (
            "fix: set KERASTOOLKIT_DATA_DIR to the folder that holds the data "
            "(laid out like ../shared/data), or pass --data_dir PATH"
        )
        hints = [
            line.strip(" -")
            for line in lines
            if "apt-get" in line or "pip install" in line
        ]
        if hints:
            fix += "; or " + "; or ".join(hints)
        first = lines[0]
        if first.endswith(" in:"):
            # The places searched follow as "  - place" lines, up to the hints.
            places = []
            for line in lines[1:]:
                if not line.startswith("  - "):
                    break
                places.append(line[4:])
            first = f"{first} {'; '.join(places)}"
        return f"error: {first}\n{fix}", 1
    if isinstance(error, CorruptCheckpointError | CorruptSavedModelError):
        first = str(error).strip().splitlines()[0]
        return (
            f"error: {first}\nfix: delete the damaged file, or run again with "
            "--fresh to start over",
            1,
        )
    if isinstance(error, IncompatibleCheckpointError):
        first = str(error).strip().splitlines()[0]
        return (
            f"error: {first}\nfix: run again with --fresh to start over",
            1,
        )
    if isinstance(error, LearningGuardError | UnhealthyExportError):
        return f"error: {error}", 1
    return None


def cli(argv=None):
    """`python -m applications [list | run NAME ... | suite ... | results ...]`.

    The toolkit's own errors (a bad config, missing data, a damaged
    checkpoint, a run that did not learn) print one or two lines and exit
    with code 2 (bad config) or 1; `--debug` shows the traceback instead.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        if "--debug" in argv:
            raise
        print("interrupted: run the same command again to resume", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as error:
        known = readable_error(error)
        if known is None or "--debug" in argv:
            raise
        message, code = known
        print(message, file=sys.stderr)
        raise SystemExit(code) from None
