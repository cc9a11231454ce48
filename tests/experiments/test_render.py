"""Tests of experiments.render: report.md from results.json and the modules' sections."""

from __future__ import annotations

import copy
import types

from report_fixtures import results_fixture as _results

from experiments import render
from experiments.tables import table, table_cells_not_in


def _module(body: str = ""):
    mod = types.ModuleType("a")
    mod.section = lambda summary: body or table(["x"], [[summary["x"]]])
    return mod


def test_render_report_has_every_part_once():
    res = _results()
    md = render.render_report(res, {"a": _module()})
    assert md.startswith(f"# {render.REPORT_TITLE}\n")
    for part in ("## How to reproduce", "python -m experiments --smoke", "## Verdicts",
                 "| `claim-a` | `a` | not reproduced | A in one sentence. |",
                 "## Where we disagree with the paper",
                 "- **`claim-a`** — `a` (not reproduced): A in one sentence.",
                 "## Experiment A (claim `claim-a`)", "![figures/a.png](figures/a.png)",
                 "**Findings**", "- A finds.", "**Disagreements with the paper**",
                 "- A differs.", "## Data", "| digits.data | ab12 |", "`b` (missing)",
                 "cannot import experiments.b"):
        assert part in md, part
    assert md.count("A differs.") == 1  # each disagreement sentence is shown once
    assert md.count("![figures/a.png](figures/a.png)") == 1
    assert table_cells_not_in(md, res) == []


def test_reproduced_claims_are_not_listed_as_disagreements():
    res = _results({"a": "ok"}, verdict_status="reproduced")
    res["experiments"]["a"]["summary"]["disagreements"] = []
    md = render.render_report(res, {"a": _module("text\n")})
    assert "Every claim measured here is reproduced." in md and "Not run" not in md


def test_one_bullet_per_claim_and_open_questions_only_in_the_verdicts():
    res = _results({"a": "ok", "a2": "ok", "c": "ok"})
    res["experiments"]["a2"] = copy.deepcopy(res["experiments"]["a"])
    res["experiments"]["a2"]["summary"]["verdict"] = {"status": "partly reproduced",
                                                      "sentence": "A2 in one sentence."}
    res["experiments"]["a2"]["summary"]["disagreements"] = []
    res["experiments"]["c"] = copy.deepcopy(res["experiments"]["a"])
    res["experiments"]["c"].update(claim="claim-c", title="Experiment C")
    res["experiments"]["c"]["summary"]["verdict"] = {"status": "no comparison",
                                                     "sentence": "C answers an open question."}
    res["experiments"]["c"]["summary"]["disagreements"] = []
    mods = {name: _module() for name in ("a", "a2", "c")}
    md = render.render_report(res, mods)
    disagree = md.split("## Where we disagree with the paper")[1].split("\n## ")[0]
    assert disagree.count("- **`claim-a`**") == 1
    assert ("- **`claim-a`** — `a` (not reproduced): A in one sentence. `a2` (partly "
            "reproduced): A2 in one sentence.") in disagree
    assert "claim-c" not in disagree and "C answers an open question." in md


def test_render_section_adds_figures_and_bullets_after_the_body():
    summary = {"findings": ["f1"], "disagreements": []}
    out = render.render_section(_module("body\n"), summary, ["figures/x.png"])
    assert out == "body\n\n![figures/x.png](figures/x.png)\n\n**Findings**\n\n- f1\n"
