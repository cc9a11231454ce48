"""report.md as a function of results.json (and the experiment modules' ``section``).

:func:`render_section` is the one way a section is rendered: the module's own body
(``module.section(summary)``), then the figure embeds, then the ``Findings`` and
``Disagreements with the paper`` bullets of its summary.  :func:`render_report` renders the
whole report from the content of ``results.json`` alone (plus those pure ``section``
functions), so re-rendering a finished run gives report.md byte for byte
(``python -m experiments.report RUN_DIR``).

Each disagreement sentence is stored once in the run's data (its experiment's
``summary["disagreements"]``) and shown once, in that experiment's section.  The report's
summary "Where we disagree with the paper" shows instead one bullet per claim, its
experiments' ``summary["verdict"]`` sentences (also stored once), so that a reader sees every
claim's outcome in a few lines and the per-setting detail in the sections' tables and figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from experiments.tables import bullets, fmt, table

__all__ = ["PAPER", "REPORT_TITLE", "render_report", "render_section"]

REPORT_TITLE = "Linearized attention and the kernel regime: reproduction report"
PAPER = ('"Linearized Attention Cannot Enter the Kernel Regime at Any Practical Width" '
         "(arXiv 2603.13085)")


def render_section(module: ModuleType, summary: Mapping[str, Any], figures: list[str]) -> str:
    """The markdown section of one experiment: body, figures, Findings, Disagreements."""
    parts = [module.section(summary).strip("\n"), "\n"]
    parts += [f"\n![{f}]({f})\n" for f in figures]
    parts.append(bullets("Findings", summary.get("findings", [])))
    parts.append(bullets("Disagreements with the paper", summary.get("disagreements", [])))
    return "".join(parts)


def _status_table(results: Mapping[str, Any]) -> str:
    rep = results["report"]
    rows = []
    for name in rep["order"]:
        exp = results["experiments"].get(name, {})
        rows.append([f"`{name}`", exp.get("title", ""), f"`{exp['claim']}`" if exp else "",
                     rep["status"][name], rep.get("problems", {}).get(name, "")])
    return table(["module", "experiment", "claim", "status", "note"], rows)


def _verdicts(results: Mapping[str, Any]) -> str:
    rows = []
    for name in results["report"]["order"]:
        exp = results["experiments"].get(name)
        if exp is not None:
            v = exp["summary"]["verdict"]
            rows.append([f"`{exp['claim']}`", f"`{name}`", v["status"], v["sentence"]])
    if not rows:
        return "No experiment ran.\n"
    return table(["claim", "experiment", "verdict", "in one sentence"], rows)


def _disagree(results: Mapping[str, Any]) -> str:
    """One bullet per claim whose experiments are not all "reproduced" (a claim with two
    experiments gets both verdicts in its one bullet); "no comparison" verdicts (questions
    the paper leaves open) are in the Verdicts table only."""
    rep = results["report"]
    by_claim: dict[str, list[str]] = {}
    for name in rep["order"]:
        exp = results["experiments"].get(name)
        if exp is None:
            continue
        v = exp["summary"]["verdict"]
        if v["status"] not in ("reproduced", "no comparison"):
            by_claim.setdefault(exp["claim"], []).append(
                f"`{name}` ({v['status']}): {v['sentence']}")
    lines = [f"- **`{claim}`** — " + " ".join(parts) + "\n" for claim, parts in by_claim.items()]
    missing = [n for n in rep["order"] if rep["status"][n] != "ok"]
    if missing:
        lines.append("- Experiments not run (" + ", ".join(f"`{n}`" for n in missing)
                     + ") could not be compared with the paper.\n")
    if not lines:
        return "Every claim measured here is reproduced.\n"
    return ("One bullet per claim, its experiments' verdicts; the per-setting detail is in each "
            "section's tables, figures and disagreement bullets.\n\n" + "".join(lines))


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


def render_report(results: Mapping[str, Any], modules: Mapping[str, ModuleType]) -> str:
    """report.md from results.json's content; ``modules[name]`` is the experiment module of
    each entry of ``results["experiments"]`` (its pure ``section`` renders the body).

    Nothing else (no time, no folder) enters the report, so it is identical for identical
    results.  Pass results as stored (after a JSON round trip, which sorts keys)."""
    rep = results["report"]
    parts = [f"# {REPORT_TITLE}\n\n",
             f"Checks the claims of {PAPER} on real image data.  Preset `{rep['preset']}`, "
             f"datasets {', '.join(rep['datasets'])}, seeds {fmt(list(rep['seeds']))}, "
             f"device `{rep['device']}`.  Every number in the tables below is stored in "
             "`results.json` beside this file; package versions, git revision, timings and "
             "the exact command line are in `manifest.json`.  Claim ids are those of "
             "`pyverify/manifest.toml`.\n\n",
             "## How to reproduce\n\n```\n", rep["command"], "\n```\n\n",
             "The same command with the same `--run-id` resumes an interrupted run; "
             "finished units are not recomputed.  `python -m experiments.report <run dir>` "
             "re-renders this file from `results.json`.\n\n",
             "## Experiments\n\n", _status_table(results), "\n"]
    missing = [n for n in rep["order"] if rep["status"][n] != "ok"]
    if missing:
        parts.append("**Not run:** " + ", ".join(f"`{n}` ({rep['status'][n]})"
                                                  for n in missing) + ".\n\n")
    parts += ["## Verdicts\n\n", _verdicts(results), "\n",
              "## Where we disagree with the paper\n\n", _disagree(results), "\n"]
    for name in rep["order"]:
        exp = results["experiments"].get(name)
        if exp is not None:
            body = render_section(modules[name], exp["summary"], exp.get("figures", []))
            parts += [f"## {exp['title']} (claim `{exp['claim']}`)\n\n", body.strip("\n"),
                      "\n\n"]
    parts += ["## Data\n\n", _data_section(results)]
    return "".join(parts).rstrip("\n") + "\n"
