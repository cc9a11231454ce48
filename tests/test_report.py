"""Tests of experiments.report: one formatting function, traceable tables, the files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from experiments import report
from experiments._runner import dumps
from experiments.report import fmt, table, table_cells_not_in


@pytest.mark.parametrize(("value", "text"), [
    (3, "3"), (0.0123456, "0.01235"), (1.23456e24, "1.235e+24"), (math.inf, "inf"),
    ("inf", "inf"), (True, "yes"), (False, "no"), (None, "—"), ("a|b", "a\\|b"),
    (np.float64(2.5), "2.5"), (np.int64(7), "7"), (torch.tensor(0.5), "0.5"),
    ("1.2345678901234567e+400", "1.235e+400"), ([1, 2.5], "1, 2.5"),
])
def test_fmt_rules(value, text):
    assert fmt(value) == text


@given(st.floats(allow_nan=False))
def test_fmt_is_the_same_before_and_after_the_json_round_trip(x):
    stored = json.loads(dumps({"x": x}))["x"]
    assert fmt(x) == fmt(stored) == fmt(np.float64(x))


def test_table_formats_every_cell_and_checks_width():
    md = table(["a", "b"], [[1, 0.5], ["x", math.inf]])
    assert md.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.5 |", "| x | inf |"]
    with pytest.raises(ValueError, match="cells"):
        table(["a"], [[1, 2]])


def test_table_cells_not_in_finds_untraceable_numbers():
    results = {"s": {"x": 0.123456, "n": 10, "lst": [1, 2]}}
    md = table(["log10 m", "n", "list"], [[0.123456, 10, [1, 2]]])
    assert table_cells_not_in(md, results) == []
    assert table_cells_not_in(md.replace("0.1235", "0.1234"), results) == ["0.1234"]
    # text cells with digits (labels, dtypes) are not numbers; headers are skipped
    md2 = table(["float32 x"], [["float32"], ["log10 κ(G)"], [11]])
    assert table_cells_not_in(md2, results) == ["11"]


def _results(status=None):
    status = status or {"a": "ok", "b": "missing"}
    return {
        "report": {"preset": "smoke", "datasets": ["digits"], "seeds": [0], "device": "cpu",
                   "command": "python -m experiments --smoke", "order": list(status),
                   "status": status, "problems": {"b": "cannot import experiments.b"}},
        "data": {"digits": {"source": "sklearn", "n": 1437, "d": 64, "preprocess": "p",
                            "class_settings": {"binary": [0, 1]},
                            "checksums": {"digits.data": "ab12"}}},
        "experiments": {"a": {"title": "Experiment A", "config": {"k": 1},
                              "summary": {"x": 0.5, "disagreements": ["A differs."]},
                              "figures": ["figures/a.png"]}},
    }


def test_render_report_has_every_part():
    res = _results()
    sec = {"a": table(["x"], [[0.5]]) + "\n![figures/a.png](figures/a.png)\n"}
    md = report.render_report(res, sec)
    assert md.startswith(f"# {report.REPORT_TITLE}\n")
    for part in ("## How to reproduce", "python -m experiments --smoke",
                 "## Where we disagree with the paper", "- **Experiment A:** A differs.",
                 "## Experiment A", "![figures/a.png](figures/a.png)", "## Data",
                 "| digits.data | ab12 |", "`b` (missing)", "cannot import experiments.b"):
        assert part in md, part
    assert table_cells_not_in(md, res) == []
    assert report.disagreements(res) == [("Experiment A", "A differs.")]
    # a figure the section does not reference is embedded anyway, once
    md2 = report.render_report(res, {"a": "no figure here\n"})
    assert md2.count("![figures/a.png](figures/a.png)") == 1
    assert md.count("![figures/a.png](figures/a.png)") == 1


def test_render_report_without_disagreements_says_so():
    res = _results({"a": "ok"})
    res["experiments"]["a"]["summary"]["disagreements"] = []
    md = report.render_report(res, {"a": "text\n"})
    assert "No experiment reported a disagreement." in md and "Not run" not in md


def test_write_run_and_manifest(tmp_path):
    res = _results()
    man = report.build_manifest(argv=["--smoke"], results=res, run_dir=tmp_path,
                                configs={"a": {"k": 1}}, start="s", end="e",
                                seconds={"a": 1.0})
    for key in ("versions", "git", "seeds", "configs", "data_checksums", "device",
                "command_line", "start_utc", "end_utc"):
        assert key in man
    for pkg in ("python", "numpy", "torch", "sympy", "mpmath", "scikit-learn"):
        assert man["versions"][pkg]
    assert set(man["git"]) == {"commit", "dirty"}
    paths = report.write_run(tmp_path, res, {"a": "s\n"}, man)
    assert json.loads(paths["results"].read_text()) == json.loads(dumps(res))
    assert paths["report"].read_text() == report.render_report(res, {"a": "s\n"})
    assert json.loads(paths["manifest"].read_text())["data_checksums"] == {
        "digits": {"digits.data": "ab12"}}


def test_git_revision_outside_a_repository(tmp_path):
    assert report.git_revision(tmp_path) == {"commit": "unknown", "dirty": None}
