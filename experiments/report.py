"""The report of the main job: ``report.md``, ``results.json`` and ``manifest.json``.

One rule makes the report traceable: **every number printed in a table of report.md is
``fmt(v)`` of a value ``v`` stored in results.json**.  Sections build their tables with
:func:`table` (cells formatted by :func:`fmt`) from their summary, and the main job
renders each section from the summary *as stored* (after a JSON round trip), so
re-rendering from results.json gives report.md byte for byte
(:func:`render_report`), and :func:`table_cells_not_in` lists any table cell with a digit
that is not ``fmt`` of a stored value (the tests assert it is empty).

``results.json`` holds results only (byte-identical for the same command and seed on CPU:
no timings, dates or run folders); ``manifest.json`` holds everything about the run
(package versions, git revision, command line, device, start/end time, timings).
"""

from __future__ import annotations

import json
import math
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from experiments._runner import atomic_write_bytes, dumps, jsonable

__all__ = [
    "REPORT_TITLE",
    "build_manifest",
    "disagreements",
    "fmt",
    "git_revision",
    "package_versions",
    "render_report",
    "table",
    "table_cells_not_in",
    "write_run",
]

REPORT_TITLE = "Linearized attention and the kernel regime: reproduction report"
_PAPER = ('"Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width" '
          "(arXiv 2603.13085)")


def fmt(value: Any) -> str:
    """The one formatting function of every number in the report.

    int -> decimal digits; float -> 4 significant digits (``%.4g``: ``0.01234``,
    ``1.235e+24``); ``inf``/``"inf"`` -> ``inf``; bool -> ``yes``/``no``; None -> ``—``;
    a numeric string (mpmath values out of float range are stored as strings) -> 4
    significant digits; any other string unchanged (``|`` escaped for tables).  Values are
    first passed through :func:`~experiments._runner.jsonable`, so a numpy/torch scalar
    formats like the JSON number it is stored as.
    """
    value = jsonable(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "inf" if math.isinf(value) and value > 0 else f"{value:.4g}"
    if isinstance(value, str):
        if value in ("inf", "-inf"):
            return value
        if re.fullmatch(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+", value):
            import mpmath

            return mpmath.nstr(mpmath.mpf(value), 4, min_fixed=-4, max_fixed=5)
        return value.replace("|", "\\|")
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table; every cell is ``fmt(cell)``.  Headers are plain text."""
    head = "| " + " | ".join(headers) + " |"
    sep = "|" + "|".join("---" for _ in headers) + "|"
    lines = [head, sep]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"table row has {len(row)} cells, headers {len(headers)}")
        lines.append("| " + " | ".join(fmt(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def bullets(title: str, items: Sequence[str]) -> str:
    """A markdown bullet list under a bold ``title``; ``""`` when ``items`` is empty."""
    if not items:
        return ""
    return f"\n**{title}**\n\n" + "".join(f"- {s}\n" for s in items)


def _leaves(obj: Any) -> Iterable[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        yield obj  # a list may be printed whole (fmt joins it)
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


_NUMBER = re.compile(r"[-+]?(inf|(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)")


def _is_numeric(cell: str) -> bool:
    return all(_NUMBER.fullmatch(t.strip()) for t in cell.split(","))


def table_cells_not_in(markdown: str, results: Mapping[str, Any]) -> list[str]:
    """Numeric table cells of ``markdown`` (a number, ``inf``, or a comma-separated list of
    them; header rows excluded) that are not ``fmt(v)`` of any value ``v`` stored in
    ``results``.  Empty for a traceable report."""
    allowed = {fmt(v) for v in _leaves(jsonable(results))}
    bad: list[str] = []
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|") or re.fullmatch(r"\|(-+\|)+", line.strip()):
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|(-+\|)+", lines[i + 1].strip()):
            continue  # header row
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        bad += [c for c in cells if _is_numeric(c) and c not in allowed]
    return bad


def disagreements(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(experiment title, sentence)`` for every ``disagreements`` entry of every summary."""
    out = []
    for name in results["report"]["order"]:
        exp = results["experiments"].get(name)
        if exp is None:
            continue
        for sentence in exp["summary"].get("disagreements", []) or []:
            out.append((exp["title"], str(sentence)))
    return out


def _status_table(results: Mapping[str, Any]) -> str:
    rep = results["report"]
    rows = []
    for name in rep["order"]:
        status = rep["status"][name]
        title = results["experiments"][name]["title"] if name in results["experiments"] else ""
        rows.append([f"`{name}`", title, status, rep.get("problems", {}).get(name, "")])
    return table(["module", "experiment", "status", "note"], rows)


def _data_section(results: Mapping[str, Any]) -> str:
    data = results.get("data", {})
    if not data:
        return "No dataset information was recorded.\n"
    out = []
    for name, info in data.items():
        out.append(f"### {name}\n")
        out.append(f"- source: {info.get('source', '—')}\n")
        out.append(f"- rows available (train split): {fmt(info.get('n'))}, "
                   f"features d = {fmt(info.get('d'))}\n")
        out.append(f"- default preprocessing: {info.get('preprocess', '—')}\n")
        if info.get("binary_classes"):
            out.append("- binary task (our choice; the paper does not name its pair): "
                       + " vs ".join(str(c) for c in info["binary_classes"]) + "\n")
        if info.get("class_settings"):
            out.append("- class settings: " + "; ".join(
                f"{k}: {fmt(v)}" for k, v in info["class_settings"].items()) + "\n")
        sums = info.get("checksums") or {}
        if sums:
            out.append("\n" + table(["file", "sha256"], [[k, v] for k, v in sums.items()]))
        if info.get("error"):
            out.append(f"- could not be described: {info['error']}\n")
        out.append("\n")
    return "".join(out)


def render_report(results: Mapping[str, Any], sections: Mapping[str, str]) -> str:
    """report.md from results.json's content and the sections rendered from its summaries.

    ``sections[name]`` is ``module.section(summary, figures)`` for each experiment in
    ``results["experiments"]``.  Nothing else (no time, no folder) enters the report, so
    it is identical for identical results.  Pass results as stored (after a JSON round
    trip, which sorts keys); :func:`write_run` does."""
    rep = results["report"]
    parts = [f"# {REPORT_TITLE}\n\n",
             f"Checks the claims of {_PAPER} on real image data.  Preset `{rep['preset']}`, "
             f"datasets {', '.join(rep['datasets'])}, seeds {fmt(list(rep['seeds']))}, "
             f"device `{rep['device']}`.  Every number in the tables below is stored in "
             "`results.json` beside this file; package versions, git revision, timings and "
             "the exact command line are in `manifest.json`.\n\n",
             "## How to reproduce\n\n```\n", rep["command"], "\n```\n\n",
             "The same command with the same `--run-id` resumes an interrupted run; "
             "finished units are not recomputed.\n\n",
             "## Experiments\n\n", _status_table(results), "\n"]
    missing = [n for n in rep["order"] if rep["status"][n] != "ok"]
    if missing:
        parts.append("**Not run:** " + ", ".join(f"`{n}` ({rep['status'][n]})"
                                                  for n in missing) + ".\n\n")
    parts.append("## Where we disagree with the paper\n\n")
    dis = disagreements(results)
    if dis:
        parts += [f"- **{title}:** {sentence}\n" for title, sentence in dis]
    else:
        parts.append("No experiment reported a disagreement.\n")
    if missing:
        parts.append("- Experiments not run (see the table above) could not be compared "
                     "with the paper.\n")
    parts.append("\n")
    for name in rep["order"]:
        if name in results["experiments"] and name in sections:
            exp = results["experiments"][name]
            parts += [f"## {exp['title']}\n\n", sections[name].strip("\n"), "\n\n"]
            # every figure is embedded, also one the section did not reference
            parts += [f"![{f}]({f})\n\n" for f in exp.get("figures", [])
                      if f"({f})" not in sections[name]]
    parts += ["## Data\n\n", _data_section(results)]
    return "".join(parts).rstrip("\n") + "\n"


def package_versions() -> dict[str, str]:
    """Versions of python and the numerical packages the results depend on."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "torch", "sympy", "mpmath", "scikit-learn", "matplotlib"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git_revision(repo: str | Path | None = None) -> dict[str, Any]:
    """``{"commit": <HEAD sha or "unknown">, "dirty": bool | None}``."""
    cwd = Path(repo) if repo else Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=cwd, capture_output=True, text=True, timeout=10,
                                check=True).stdout
        return {"commit": head, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def build_manifest(*, argv: Sequence[str], results: Mapping[str, Any], run_dir: Path,
                   configs: Mapping[str, Any], start: str, end: str,
                   seconds: Mapping[str, float]) -> dict[str, Any]:
    """Everything needed to rerun and audit the run (this may vary between runs)."""
    import torch

    rep = results["report"]
    return {
        "command_line": [sys.executable, "-m", "experiments", *argv],
        "reproduce": rep["command"],
        "run_dir": str(Path(run_dir).resolve()),
        "start_utc": start,
        "end_utc": end,
        "seconds": dict(seconds),
        "versions": package_versions(),
        "git": git_revision(),
        "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "device": rep["device"],
        "seeds": list(rep["seeds"]),
        "configs": dict(configs),
        "data_checksums": {k: v.get("checksums", {}) for k, v in results.get("data", {}).items()},
        "status": dict(rep["status"]),
    }


def write_run(run_dir: str | Path, results: Mapping[str, Any], sections: Mapping[str, str],
              manifest: Mapping[str, Any]) -> dict[str, Path]:
    """Write results.json, report.md and manifest.json atomically; returns their paths."""
    run_dir = Path(run_dir)
    results = json.loads(dumps(results))  # render exactly what results.json holds
    return {
        "results": atomic_write_bytes(run_dir / "results.json", dumps(results).encode()),
        "report": atomic_write_bytes(run_dir / "report.md",
                                     render_report(results, sections).encode()),
        "manifest": atomic_write_bytes(run_dir / "manifest.json", dumps(manifest).encode()),
    }
