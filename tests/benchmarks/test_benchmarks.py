"""Smoke test of the benchmark harness at tiny sizes: correctness only, never wall-clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cases import CASES, run_case
from benchmarks.harness import CaseResult, format_table, measure

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(CASES))
def test_case_runs_and_is_accurate_at_tiny_size(name: str) -> None:
    r = run_case(name, "tiny", "cpu")
    assert isinstance(r, CaseResult) and r.case == name
    if name == "spectral_mnist" and r.note.startswith("not available"):
        pytest.skip(f"real MNIST subset missing: {r.note}")
    assert not r.note.startswith("not available"), r.note
    assert r.ours_s is not None and r.ours_s >= 0
    assert r.accuracy is not None and r.accuracy_what
    # every accuracy is a relative error/residual of a float64 computation
    assert r.accuracy <= 1e-6, (name, r.accuracy)
    if r.baseline_s is not None:
        assert r.ratio is not None and r.ratio > 0
    if "neural-tangents" in r.note or "NT" in r.note:
        assert r.baseline_s is not None or "baseline unavailable" in r.note
    row = format_table([r]).splitlines()[2]
    assert row.startswith(f"| {name} |")


def test_measure_reports_time_and_peak() -> None:
    import torch

    out, t, peak = measure(lambda: torch.ones(2000, 2000, dtype=torch.float64).sum(), repeat=2)
    assert float(out) == 4e6 and t >= 0
    assert peak is None or peak >= 0


def test_cli_writes_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--only", "dual_vs_eigh,linattn_nt",
         "--json", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| dual_vs_eigh |" in proc.stdout and "| linattn_nt |" in proc.stdout
    data = json.loads(path.read_text())
    assert data["meta"]["mode"] == "tiny"
    assert [c["case"] for c in data["cases"]] == ["dual_vs_eigh", "linattn_nt"]
    assert all(c["accuracy"] is not None and c["accuracy"] <= 1e-6 for c in data["cases"])


def test_cli_rejects_unknown_case() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--tiny", "--only", "nope"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown case" in proc.stderr


def test_full_size_cases_get_a_limit_above_their_time_target() -> None:
    """A case whose --full target allows 30 minutes must not be cut by the harness's default
    per-case limit (benchmarks.__main__.CASE_TIMEOUT_S)."""
    from benchmarks import large_cases
    from benchmarks.__main__ import CASE_TIMEOUT_S

    for name, fn in large_cases.CASES.items():
        limit = getattr(fn, "timeout_s", {}).get("full", CASE_TIMEOUT_S["full"])
        if name.endswith("_influence_60k"):
            assert limit > large_cases.MAX_TIME_S["cpu"], name
