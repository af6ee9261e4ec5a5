"""Runs every demo (quick by default) and writes `runs/index.html`, one row each.

`make demo` calls `python -m applications suite`: every application in quick mode,
each in its own `runs/NAME/`, then an index with its headline metric, the
published reference, its run time and links to its report, plots and SavedModel.
A demo that fails gets a row with its error; the suite goes on and exits non-zero
at the end.
"""

import html
import json
import os
import time
import traceback
from pathlib import Path

from applications import runner


def _headline(name, metrics):
    """The demo's `HEADLINE` metric as (key, value); its first metric when a
    config left the headline out (e.g. translation with `--models seq2seq`)."""
    key = runner.headline(name)
    if key not in metrics:
        key = next(iter(metrics), None)
    return key, metrics.get(key)


def _latest_version(export_dir):
    export_dir = Path(export_dir)
    versions = [p for p in export_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, key=lambda p: int(p.name)) if versions else None


def _link(target, index_dir, text):
    href = os.path.relpath(target, index_dir)
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _format(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _row(entry, index_dir):
    name = entry["name"]
    cells = [f"<td><b>{html.escape(name)}</b><br><small>"]
    cells[0] += html.escape(entry.get("summary", "")) + "</small></td>"
    if entry.get("error"):
        cells.append(
            f'<td class="error" colspan="3">failed: {html.escape(entry["error"])}</td>'
        )
    else:
        key, value = entry["headline"]
        cells.append(f"<td>{html.escape(str(key))} = {_format(value)}</td>")
        published = "<br>".join(
            f"{html.escape(str(k))}: {_format(v)}"
            for k, v in entry["published"].items()
        )
        cells.append(f"<td>{published or '&ndash;'}</td>")
        cells.append(f"<td>{entry['seconds']:.0f} s</td>")
    output_dir = Path(entry["output_dir"])
    links = []
    if (output_dir / "report.md").exists():
        links.append(_link(output_dir / "report.md", index_dir, "report"))
    if (output_dir / "metrics.json").exists():
        links.append(_link(output_dir / "metrics.json", index_dir, "metrics"))
    version = _latest_version(entry["export_dir"]) if entry["export_dir"] else None
    if version is not None:
        links.append(_link(version, index_dir, f"SavedModel v{version.name}"))
    elif entry["export_dir"] and Path(entry["export_dir"]).is_dir():
        links.append(_link(entry["export_dir"], index_dir, "SavedModels"))
    cells.append(f"<td>{' &middot; '.join(links)}</td>")
    images = sorted(output_dir.glob("**/*.png"))
    thumbnails = "".join(
        f'<a href="{html.escape(os.path.relpath(p, index_dir))}">'
        f'<img src="{html.escape(os.path.relpath(p, index_dir))}" '
        f'title="{html.escape(p.stem)}" height="90"></a>'
        for p in images
    )
    cells.append(f"<td>{thumbnails}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def write_index(entries, index_path):
    """Writes the suite's HTML index of `entries` (dicts from `run_suite`)."""
    index_path = Path(index_path)
    index_dir = index_path.parent
    index_dir.mkdir(parents=True, exist_ok=True)
    quick = any(e.get("quick") for e in entries)
    title = "kerastoolkit demos"
    if quick:
        title += " (quick mode: smoke runs, not the real results)"
    rows = "\n".join(_row(e, index_dir) for e in entries)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>kerastoolkit demos</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.4em; vertical-align: top; }}
td.error {{ color: #a00; }}
</style></head><body>
<h1>{title}</h1>
<p>Generated {time.strftime("%Y-%m-%d %H:%M:%S")}. Full-size runs:
<code>python -m applications run NAME</code>.</p>
<table>
<tr><th>application</th><th>headline metric</th><th>published reference</th>
<th>run time</th><th>outputs</th><th>figures</th></tr>
{rows}
</table></body></html>
"""
    temporary = index_path.with_suffix(".html.tmp")
    temporary.write_text(page)
    os.replace(temporary, index_path)
    return index_path


def run_suite(
    names=None, quick=True, runs_dir="runs", export_root="saved_models", overrides=None
):
    """Runs the demos `names` (default: all) and writes `runs_dir/index.html`.

    Args:
        names: demo names, or None for every demo `runner.discover()` finds.
        quick: run each demo's `quick()` preset.
        runs_dir: the folder of the index; demo NAME writes into runs_dir/NAME.
        export_root: demo NAME exports its SavedModels into export_root/NAME.
        overrides: config fields applied to every demo (e.g. {"verbose": 0}).

    Returns:
        The list of row entries (name, headline, seconds, error, ...).
    """
    available = runner.discover()
    names = list(available) if names is None else list(names)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"Unknown demos {unknown}; available: {list(available)}.")
    entries = []
    for name in names:
        demo_overrides = {
            "output_dir": str(Path(runs_dir) / name),
            "export_dir": str(Path(export_root) / name),
            **(overrides or {}),
        }
        config = runner.make_config(name, quick, demo_overrides)
        entry = {
            "name": name,
            "summary": runner.summary(name),
            "quick": quick,
            "output_dir": str(config.output_dir),
            "export_dir": str(getattr(config, "export_dir", "") or ""),
            "published": runner.published(name),
        }
        start = time.perf_counter()
        try:
            record = runner.run(name, quick=quick, overrides=demo_overrides)
            entry["headline"] = _headline(name, record["metrics"])
            entry["seconds"] = record["seconds"]
            entry["output_dir"] = record["run_dir"]
        except Exception as error:  # noqa: BLE001 - one failing demo is a row
            traceback.print_exc()
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["seconds"] = time.perf_counter() - start
        entries.append(entry)
        write_index(entries, Path(runs_dir) / "index.html")
    (Path(runs_dir) / "suite.json").write_text(json.dumps(entries, indent=2) + "\n")
    return entries
