"""Tests of experiments.compare: two runs that differ only in thread count and CPU
capability agree within the tolerance table; planted disagreements are caught and named."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import compare

ROOT = Path(__file__).resolve().parents[2]
ONLY = "spectral_table,ntk_convergence,influence_malleability,cubing_precision"


def _run(results: Path, run_id: str, **env: str) -> Path:
    cmd = [sys.executable, "-m", "experiments", "--smoke", "--no-progress", "--only", ONLY,
           "--results", str(results), "--run-id", run_id]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, **env})
    assert p.returncode == 0, p.stderr[-2000:]
    return results / run_id


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    results = tmp_path_factory.mktemp("compare")
    a = _run(results, "native", OMP_NUM_THREADS="2")
    b = _run(results, "portable", ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1")
    return a, b


def test_thread_count_and_capability_agree(two_runs, capsys):
    a, b = two_runs
    assert compare.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "AGREE" in out and "0 outside their tolerance" in out


def _load(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())


def _planted(tmp_path: Path, results: dict, name: str) -> Path:
    path = tmp_path / name / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(results))
    return path.parent


def test_a_planted_relative_change_is_a_disagreement(two_runs, tmp_path, capsys):
    a, _ = two_runs
    res = _load(a)
    bad = copy.deepcopy(res)
    row = bad["experiments"]["influence_malleability"]["summary"]["rows"][0]
    row["ratio"] *= 1 + 1e-3  # far above eig_rtol at the recorded kappa
    assert compare.main([str(a), str(_planted(tmp_path, bad, "b"))]) == 1
    out = capsys.readouterr().out
    assert "DISAGREE" in out and "rows[0]/ratio" in out
    cmp = compare.compare_results(res, bad)
    assert not cmp.agree and cmp.findings[0].path.endswith("rows[0]/ratio")


def test_structure_text_and_integers_must_be_equal(two_runs):
    res = _load(two_runs[0])
    for mutate, what in (
        (lambda r: r["experiments"]["spectral_table"]["summary"].pop("paper"), "only in run A"),
        (lambda r: r["report"].__setitem__("preset", "full"), "text differs"),
        (lambda r: r["experiments"]["spectral_table"]["summary"]["rows"][0].__setitem__(
            "rank", r["experiments"]["spectral_table"]["summary"]["rows"][0]["rank"] + 1),
         "must be equal"),
    ):
        bad = copy.deepcopy(res)
        mutate(bad)
        cmp = compare.compare_results(res, bad)
        assert not cmp.agree and any(what in s for s in cmp.structural), what


def test_rounding_error_measurements_agree_in_order_of_magnitude():
    r = {"experiments": {"x": {"config": {"n": 10}, "summary": {"max_rel_diff": 1e-13}}}}
    for factor, agree in ((3.0, True), (0.2, True), (30.0, False)):
        other = copy.deepcopy(r)
        other["experiments"]["x"]["summary"]["max_rel_diff"] *= factor
        assert compare.compare_results(r, other).agree is agree, factor


def test_numbers_in_sentences_agree_to_the_printed_digit():
    a = {"experiments": {"x": {"summary": {"s": "ratio 2.345 at n = 64"}}}}
    near = {"experiments": {"x": {"summary": {"s": "ratio 2.346 at n = 64"}}}}
    far = {"experiments": {"x": {"summary": {"s": "ratio 2.5 at n = 64"}}}}
    assert compare.compare_results(a, near).agree
    assert not compare.compare_results(a, far).agree


def test_unreadable_run_is_exit_2(tmp_path, capsys):
    assert compare.main([str(tmp_path), str(tmp_path)]) == 2
    assert "results.json" in capsys.readouterr().err
