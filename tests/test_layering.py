"""The library flows one way.

Every import in `kerastoolkit/` (at the top of a module or inside a
function) goes to its own package or to one drawn below it in `LAYERS`, and
never to the applications. (That no demo imports another demo is checked in
`tests/applications/test_runner.py`.)
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = (
    "utils",
    "layers",
    "datasets",
    "export",
    "training",
    "text",
    "models",
    "testing",
    "rl",
    "transfer",
)


def imported_modules(path):
    """Every absolute module name `path` imports, with the line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, node.lineno
            for alias in node.names:  # `from kerastoolkit import models`
                yield f"{node.module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno


def package_of(module):
    parts = module.split(".")
    if parts[0] != "kerastoolkit" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def library_edges(root=ROOT):
    for path in sorted((root / "kerastoolkit").rglob("*.py")):
        parts = path.relative_to(root / "kerastoolkit").parts
        if len(parts) == 1:
            continue  # kerastoolkit/__init__.py imports every package
        source = parts[0]
        for module, line in imported_modules(path):
            target = package_of(module)
            if target is not None and target != source:
                yield path.relative_to(root), line, source, target


def test_every_package_is_in_the_layer_order():
    packages = {
        p.name
        for p in (ROOT / "kerastoolkit").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    }
    assert packages == set(LAYERS)


def test_no_package_imports_a_package_above_it():
    upward = [
        f"{path}:{line}: {source} imports {target}"
        for path, line, source, target in library_edges()
        if LAYERS.index(target) > LAYERS.index(source)
    ]
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    # The guard can fail: a layers module importing models in a function.
    (tmp_path / "kerastoolkit" / "layers").mkdir(parents=True)
    (tmp_path / "kerastoolkit" / "layers" / "bad.py").write_text(
        "def f():\n    from kerastoolkit.models import VAE\n"
    )
    edges = list(library_edges(tmp_path))
    assert {(s, t) for _, _, s, t in edges} == {("layers", "models")}


def test_the_library_never_imports_the_applications():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted((ROOT / "kerastoolkit").rglob("*.py"))
        for module, line in imported_modules(path)
        if module.split(".")[0] in ("applications", "tests", "benchmarks")
    ]
    assert offenders == []
