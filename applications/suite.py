"""Runs every demo (quick by default) and writes `runs/index.html`, one row each.

`make demo` calls `python -m applications suite`: every application in quick mode,
each in its own `runs/NAME/`, then an index that shows per demo, side by side:
what this run proved (its headline metric, and each learning guard: the metric,
the baseline the same run computed, the threshold and whether it passed), the
recorded full-run figure (`results/NAME.json`, see `applications.results`), the
published reference, its run time and links to its report, plots and
SavedModel. A demo that fails gets a row with its error (and its guards when
it failed them); the suite goes on and exits non-zero at the end.
"""

import html
import json
import os
import time
import traceback
from pathlib import Path

from applications import results, runner


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


def _guards(entry):
    guards = entry.get("guards")
    if guards is None:
        return ""
    if not guards:
        return "<br><small>no learning guards declared</small>"
    # Each guard's text is the runner's statement of it: "metric = value >
    # baseline (its value) + margin = threshold".
    lines = [
        f'<span class="{"passed" if g["passed"] else "failed"}">'
        f"{'passed' if g['passed'] else 'FAILED'}</span>: "
        f"<small>{html.escape(g['text'])}</small>"
        for g in guards
    ]
    return "<br>" + "<br>".join(lines)


def _this_run(entry):
    cell = ""
    if entry.get("headline"):
        key, value = entry["headline"]
        cell = f"{html.escape(str(key))} = {_format(value)}"
    if entry.get("error"):
        cell = (cell + "<br>" if cell else "") + (
            f'<span class="failed">failed: {html.escape(entry["error"])}</span>'
        )
    return f"<td>{cell}{_guards(entry)}</td>"


def _recorded(name, index_dir, results_dir):
    """The full-run cell: `results/NAME.json`'s headline and README rows."""
    try:
        record = results.load_record(name, results_dir)
        rows = results.render_rows(name, record) if name in results.TABLE else []
    except results.ResultsError as error:
        return f'<td class="error">{html.escape(str(error))}</td>'
    if record is None:
        return f"<td>{results.NO_RECORD}</td>"
    key, value = _headline(name, record.get("metrics", {}))
    path = results.record_path(name, results_dir)
    lines = [f"<b>{html.escape(str(key))} = {_format(value)}</b>"]
    lines += [
        f"<small>{html.escape(metric)}: {html.escape(ours)}</small>"
        for metric, ours, _ in rows
    ]
    date = str(record.get("finished_at", ""))[:10]
    commit = str(record.get("git_commit") or "")[:7]
    lines.append(
        _link(path, index_dir, path.name)
        + f" <small>{html.escape(commit)} {html.escape(date)}</small>"
    )
    return "<td>" + "<br>".join(lines) + "</td>"


def _row(entry, index_dir, results_dir):
    name = entry["name"]
    cells = [f"<td><b>{html.escape(name)}</b><br><small>"]
    cells[0] += html.escape(entry.get("summary", "")) + "</small></td>"
    cells.append(_this_run(entry))
    cells.append(_recorded(name, index_dir, results_dir))
    published = "<br>".join(
        f"{html.escape(str(k))}: {_format(v)}"
        for k, v in entry.get("published", {}).items()
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


def write_index(entries, index_path, results_dir=results.RESULTS_DIR):
    """Writes the suite's HTML index of `entries` (dicts from `run_suite`).

    Args:
        entries: one dict per demo: name, summary, quick, headline, guards
            (the run record's), published, seconds, output_dir, export_dir,
            and error when it failed.
        index_path: the HTML file to write.
        results_dir: where the recorded full runs are (`results/NAME.json`).
    """
    index_path = Path(index_path)
    index_dir = index_path.parent
    index_dir.mkdir(parents=True, exist_ok=True)
    quick = any(e.get("quick") for e in entries)
    title = "kerastoolkit demos"
    this_run = "this run"
    if quick:
        title += " (quick runs, each beside its baseline)"
        this_run = "quick run: headline, and its learning guards"
    rows = "\n".join(_row(e, index_dir, results_dir) for e in entries)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>kerastoolkit demos</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.4em; vertical-align: top; }}
td.error, .failed {{ color: #a00; }}
.passed {{ color: #070; }}
</style></head><body>
<h1>{title}</h1>
<p>Generated {time.strftime("%Y-%m-%d %H:%M:%S")}. A quick run shows the method
learning: each guard compares its figure with a baseline the same run computed
(chance, majority class, persistence, a random policy, an untrained model).
The recorded full run is the committed record <code>results/NAME.json</code> of
<code>python -m applications run NAME</code>, the figure the README quotes.</p>
<table>
<tr><th>application</th><th>{this_run}</th><th>recorded full run</th>
<th>published reference</th><th>run time</th><th>outputs</th><th>figures</th></tr>
{rows}
</table></body></html>
"""
    temporary = index_path.with_suffix(".html.tmp")
    temporary.write_text(page)
    os.replace(temporary, index_path)
    return index_path


def _failed_record(output_dir, since):
    """The record of the run that just failed its checks (`failed-*/`), or None."""
    candidates = [
        p / "metrics.json"
        for p in Path(output_dir).glob("failed-*")
        if (p / "metrics.json").exists() and p.stat().st_mtime >= since
    ]
    if not candidates:
        return None
    newest = max(candidates, key=lambda p: p.stat().st_mtime)
    return json.loads(newest.read_text())


def run_suite(
    names=None,
    quick=True,
    runs_dir="runs",
    export_root="saved_models",
    overrides=None,
    results_dir=results.RESULTS_DIR,
):
    """Runs the demos `names` (default: all) and writes `runs_dir/index.html`.

    Args:
        names: demo names, or None for every demo `runner.discover()` finds.
        quick: run each demo's `quick()` preset.
        runs_dir: the folder of the index; demo NAME writes into runs_dir/NAME.
        export_root: demo NAME exports its SavedModels into export_root/NAME.
        overrides: config fields applied to every demo (e.g. {"verbose": 0}).
        results_dir: the recorded full runs the index shows beside them.

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
        start, started = time.perf_counter(), time.time()
        try:
            record = runner.run(name, quick=quick, overrides=demo_overrides)
            entry["headline"] = _headline(name, record["metrics"])
            entry["guards"] = record.get("guards", [])
            entry["seconds"] = record["seconds"]
            entry["output_dir"] = record["run_dir"]
        except Exception as error:  # noqa: BLE001 - one failing demo is a row
            traceback.print_exc()
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["seconds"] = time.perf_counter() - start
            # A run that failed its learning guards still shows them.
            failed = _failed_record(config.output_dir, started - 1)
            if failed is not None:
                entry["headline"] = _headline(name, failed["metrics"])
                entry["guards"] = failed.get("guards", [])
                entry["output_dir"] = failed["run_dir"]
        entries.append(entry)
        write_index(entries, Path(runs_dir) / "index.html", results_dir)
    (Path(runs_dir) / "suite.json").write_text(json.dumps(entries, indent=2) + "\n")
    return entries
