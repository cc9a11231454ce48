"""Smoke and property tests of experiments.softmax_attention (claim softmax-attention)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import driver
from experiments import softmax_attention as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.tables import table_cells_not_in
from pyverify.errors import ConfigError
from pyverify.tolerance import cond_rtol, matmul_rtol

CONTRACT = ("variant", "log10_cond_kernel", "log10_m_half", "log10_m_half_lo",
            "log10_m_half_hi")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("softmax")
    cfg = make_config(exp, "smoke")
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_writes_summary_figures_and_a_traceable_section(smoke) -> None:
    out, run_dir = smoke
    assert (run_dir / exp.NAME / "section.md").read_text() == out["section"]
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert table_cells_not_in(out["section"], out["summary"]) == []
    assert out["summary"]["verdict"]["sentence"].startswith("D.2")


def test_contract_rows(smoke) -> None:
    """One row per τ with the results.json contract's names; 2-norm κ under cond* keys."""
    cfg = make_config(exp, "smoke")
    rows = smoke[0]["summary"]["rows"]
    assert [r["tau_factor"] for r in rows] == list(cfg.tau_factors)
    for r in rows:
        assert r["variant"] == "softmax" and all(k in r for k in CONTRACT)
        assert r["log10_cond_kernel"] == math.log10(r["cond_kernel"])  # the same operation
        if r["log10_m_half"] is not None:
            assert r["log10_m_half_lo"] <= r["log10_m_half"] <= r["log10_m_half_hi"]


def test_linear_reference_is_the_paper_kernel(smoke) -> None:
    """The reference setting is linearized attention: κ(K) = κ(G)³ and exponent 3."""
    e = smoke[0]["summary"]["datasets"]["digits"]
    lin = e["settings"]["linear"]
    tol = cond_rtol("float64", e["n"], e["cond_G_cubed"])
    assert math.isclose(lin["cond_kernel"], e["cond_G_cubed"], rel_tol=tol)
    assert math.isclose(lin["exponent"], 3.0, rel_tol=tol)
    for _, v in exp.regime.ordered(e):
        assert v["reduction_rel_diff"] <= matmul_rtol("float64", e["n"], products=3)
        assert v["distinct_rows"] <= e["n"]


def test_cli_help_and_bad_config(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ex:
        driver.main(exp, ["--help"])
    assert ex.value.code == 0 and "softmax" in capsys.readouterr().out
    for bad in ({"tau_factors": (1.0, 2.0)}, {"tau_factors": (0.0, 1.0, 2.0)},
                {"widths": (64,)}, {"draws": 0}):
        with pytest.raises(ConfigError):
            make_config(exp, "smoke", **bad)
