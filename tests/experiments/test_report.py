"""Tests of experiments.report: the files of a run and re-rendering from results.json."""

from __future__ import annotations

import json

import pytest
from report_fixtures import results_fixture as _results

from experiments import report
from experiments.runner import dumps
from pyverify.errors import DataError


def _results_of_a_real_module():
    res = _results({"correspondence": "ok"}, verdict_status="reproduced")
    exp = res["experiments"].pop("a")
    exp["summary"].update({"rows": [], "exact": [], "all_pass": True, "paper": "p",
                           "error_measure": "e", "tolerance_rule": "t"})
    res["experiments"]["correspondence"] = exp
    return res


def test_write_run_and_manifest(tmp_path):
    res = _results_of_a_real_module()
    man = report.build_manifest(argv=["--smoke"], results=res, run_dir=tmp_path,
                                configs={"correspondence": {"k": 1}}, start="s", end="e",
                                seconds={"correspondence": 1.0})
    for key in ("versions", "git", "seeds", "configs", "data_checksums", "device",
                "command_line", "start_utc", "end_utc"):
        assert key in man
    for pkg in ("python", "numpy", "torch", "sympy", "mpmath", "scikit-learn"):
        assert man["versions"][pkg]
    assert set(man["git"]) == {"commit", "dirty"}
    paths = report.write_run(tmp_path, res, man)
    assert json.loads(paths["results"].read_text()) == json.loads(dumps(res))
    assert paths["report"].read_text() == report.render_run(tmp_path, write=False)
    assert json.loads(paths["manifest"].read_text())["data_checksums"] == {
        "digits": {"digits.data": "ab12"}}


def test_render_run_needs_a_results_json(tmp_path):
    with pytest.raises(DataError, match=r"results\.json"):
        report.render_run(tmp_path)
    assert report.main([str(tmp_path)]) == 2


def test_git_revision_outside_a_repository(tmp_path):
    assert report.git_revision(tmp_path) == {"commit": "unknown", "dirty": None}
