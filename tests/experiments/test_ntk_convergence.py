"""Smoke, contract and planted-law tests of experiments.ntk_convergence (experiment 3)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from experiments import ntk_convergence as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.runner import Unit
from linattn.finite_width import kernel_regime_curve
from linattn.widthlaw import log10_m_half
from pyverify.errors import ConfigError
from pyverify.tolerance import matmul_rtol

SCALING_KEYS = {"dataset", "arch", "n", "log10_m_half", "log10_m_half_lo", "log10_m_half_hi",
                "log10_bound_paper", "log10_bound_cond_h", "log10_bound_du", "cond_H",
                "lambda_min"}
FIT_KEYS = {"dataset", "arch", "exponent_n", "exponent_n_lo", "exponent_n_hi",
            "log10_m_half_full_dataset", "log10_m_half_full_dataset_lo",
            "log10_m_half_full_dataset_hi"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("ntk_conv")
    cfg = make_config(exp, "smoke")
    assert len(cfg.seeds) >= 3
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_outputs(smoke: tuple[dict, Path]) -> None:
    out, run_dir = smoke
    assert (run_dir / exp.NAME / "summary.json").is_file()
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert "| dataset | arch | n | log10 m_½ |" in out["section"]
    assert "| dataset | arch | exponent e |" in out["section"]


def test_results_contract_has_the_exact_names(smoke: tuple[dict, Path]) -> None:
    s = smoke[0]["summary"]
    cfg = make_config(exp, "smoke")
    assert {(r["arch"], r["n"]) for r in s["scaling"]} == {
        (a, n) for a in exp.ARCHS for n in cfg.ns}
    for r in s["scaling"]:
        assert set(r) >= SCALING_KEYS and r["dataset"] == "digits"
        assert r["log10_m_half_lo"] <= r["log10_m_half"] <= r["log10_m_half_hi"]
        assert any(k.startswith("cond") for k in r)  # compare.py scales its tolerance by it
    assert {f["arch"] for f in s["scaling_fit"]} == set(exp.ARCHS)
    for f in s["scaling_fit"]:
        assert set(f) >= FIT_KEYS and f["n_full"] == 1797
        assert f["exponent_n_lo"] <= f["exponent_n"] <= f["exponent_n_hi"]
    assert s["verdict"]["status"] in ("reproduced", "partly reproduced", "not reproduced")


def test_recorded_checks_within_table_bounds(smoke: tuple[dict, Path]) -> None:
    for r in smoke[0]["summary"]["scaling"]:
        c = r["checks"]
        assert c["autograd_rel_diff"] <= matmul_rtol("float64", 64, products=3)
        assert c["fast_rel_diff"] <= matmul_rtol("float64", 64, products=3)
        if c["count_undecided_rel"] == 0:  # then exact by construction
            assert c["count_diff_rel"] == 0
        assert r["reduction_rel_diff"] <= matmul_rtol("float64", 64, products=3)
        assert r["lambda_min"] > 0 and r["lambda_min_resolved"]


def _planted(cfg, a: float, c: float, bound_offset: float) -> list[dict]:
    """Records of a planted law ratio = c n^a m^(-1/2) (m_½ = (2 c n^a)^2) with a seed-level
    jitter, and the paper's bound put ``bound_offset`` decades above the true m_½."""
    recs = []
    for n in cfg.ns:
        truth = 2 * math.log10(2 * c * n**a)
        for arch in cfg.archs:
            spec = {"n": n, "reduction": {"d_reduced": 8}, "lambda_min": 2.0,
                    "lambda_max": 20.0, "cond_H": 10.0, "lambda_min_resolved": True,
                    "lambda0_unit": 0.1, "cond_H_unit": 10.0, "lambda0_resolved": True,
                    "cond_G": 5.0, "cond_d_G": 5.0, "cond_d_note": "finite",
                    "log10_bound_paper": truth + bound_offset, "log10_bound_cond_h": 9.0,
                    "log10_bound_du": 20.0, "reduction_rel_diff": 0.0,
                    "checks": {"autograd_rel_diff": 0.0, "fast_rel_diff": 0.0,
                               "count_diff_rel": 0.0, "count_undecided_rel": 0.0}}
            recs.append({"unit": Unit(exp.NAME, "digits", arch, 0, n,
                                      (("kind", "spectrum"),)).as_dict(), "result": spec})
            for s in cfg.seeds:
                jitter = 1 + 0.01 * (s - 1)
                err = [2.0 * c * n**a * jitter / math.sqrt(m) for m in cfg.widths]
                recs.append({"unit": Unit(exp.NAME, "digits", arch, s, n,
                                          (("kind", "curve"),)).as_dict(),
                             "result": {"err2": err, "lanczos_residual_max": 1e-16,
                                        "sign_recompute_rel": 0.0}})
    return recs


def test_planted_law_is_recovered_and_the_verdict_can_go_either_way() -> None:
    cfg = make_config(exp, "smoke", datasets=("digits",))
    a, c = 1.5, 4.0
    s = exp.summarize(cfg, _planted(cfg, a, c, bound_offset=0.0))
    for f in s["scaling_fit"]:
        assert math.isclose(f["exponent_n"], 2 * a, rel_tol=1e-6)
        assert f["exponent_n_lo"] <= 2 * a <= f["exponent_n_hi"]
        truth = 2 * math.log10(2 * c * 1797**a)
        assert f["log10_m_half_full_dataset_lo"] <= truth <= f["log10_m_half_full_dataset_hi"]
    for r in s["scaling"]:
        assert math.isclose(r["log10_m_half"], 2 * math.log10(2 * c * r["n"]**a), abs_tol=0.01)
        assert math.isclose(r["log10_m_half_rate"], r["log10_m_half"], abs_tol=0.01)
    assert s["verdict"]["status"] == "reproduced"  # the bound lies inside every interval
    far = exp.summarize(cfg, _planted(cfg, a, c, bound_offset=10.0))
    assert far["verdict"]["status"] in ("partly reproduced", "not reproduced")
    assert far["verdict"]["sentence"].startswith("No:")
    assert any("above the m_½ interval at 3 of 3 sizes" in d for d in far["disagreements"])


def test_sizes_are_clamped_to_the_dataset_with_a_note() -> None:
    cfg = make_config(exp, "smoke", ns=(64, 128, 2048, 4096))
    sizes, note = exp._sizes(cfg, "digits")
    assert sizes == [64, 128, 1437] and "2048, 4096 clamped to the 1437" in note
    assert {u.size for u in exp.plan(cfg)} == {64, 128, 1437}


def test_error_shrinks_with_width() -> None:
    """E‖H_m − H_∞‖ ~ m^{-1/2}: over 6 seeds the mean log-log slope lies near −1/2."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(12, 5, generator=g, dtype=torch.float64) + 0.1
    widths = [2**k for k in range(6, 13)]
    slopes = [log10_m_half(widths, kernel_regime_curve(X, widths, seed=s)["err2"])["slope"]
              for s in range(6)]
    assert -0.75 < sum(slopes) / len(slopes) < -0.3


def test_m_half_extrapolation() -> None:
    # ratio = 10^3 m^{-1/2}: reaches 1/2 at m = (2·10^3)^2
    widths = [64, 256, 1024]
    fit = log10_m_half(widths, [1e3 / math.sqrt(m) for m in widths])
    assert math.isclose(fit["log10_m_half"], 2 * math.log10(2e3), rel_tol=1e-12)
    assert log10_m_half(widths, [m**0.1 for m in widths])["log10_m_half"] is None


def test_bad_config() -> None:
    for bad in ({"archs": ("softmax",)}, {"widths": (64,)}, {"widths": (128, 64, 256)},
                {"ns": (16, 8)}, {"draws": 0}, {"rate_from_width": 10**6}):
        with pytest.raises(ConfigError):
            make_config(exp, "smoke", **bad)
