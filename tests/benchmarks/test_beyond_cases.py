"""The beyond-the-paper benchmark row at tiny size, with the acceptance rules of
``test_benchmarks.py`` (correctness only, never wall-clock).  The row says when its
neural-tangents baseline did not run."""

from __future__ import annotations

import pytest

from benchmarks import beyond_cases
from benchmarks.harness import CaseResult, format_table


@pytest.mark.parametrize("name", list(beyond_cases.CASES))
def test_case_runs_and_is_accurate_at_tiny_size(name: str) -> None:
    r = beyond_cases.CASES[name]("tiny", "cpu", None)
    assert isinstance(r, CaseResult) and r.case == name
    assert r.ours_s is not None and r.ours_s >= 0
    assert r.accuracy is not None and r.accuracy_what
    assert r.accuracy <= 1e-6, (name, r.accuracy)  # the suite's rule for float64 cases
    if r.baseline_s is None:
        assert "baseline unavailable" in r.note
    else:
        assert r.ratio is not None and r.ratio > 0 and "rel_err_vs_nt" in r.extra
    assert format_table([r]).splitlines()[2].startswith(f"| {name} |")
