"""Smoke and property tests of experiments.ntk_convergence (experiment 3)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from experiments import ntk_convergence as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from linattn.ntk import relu_ntk, relu_ntk_closed_form
from pyverify.errors import ConfigError
from pyverify.tolerance import eig_rtol, matmul_rtol


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("ntk_conv")
    cfg = make_config(exp, "smoke", seeds=(0, 1))
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_outputs(smoke: tuple[dict, Path]) -> None:
    out, run_dir = smoke
    assert (run_dir / exp.NAME / "summary.json").is_file()
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert set(out["summary"]["datasets"]["digits"]["archs"]) == {"relu", "mlp_attn"}


def test_ratio_and_relative_error_are_consistent(smoke: tuple[dict, Path]) -> None:
    """ratio · λ_min = ‖H_m − H_∞‖ = rel_err · λ_max, seed by seed (so also in the mean)."""
    for a in smoke[0]["summary"]["datasets"]["digits"]["archs"].values():
        for p in a["per_m"]:
            lhs = p["ratio"]["mean"] * a["lam_min"]
            rhs = p["rel_err"]["mean"] * a["lam_max"]
            assert math.isclose(lhs, rhs, rel_tol=1e-12)


def test_schur_bound_and_autograd_check(smoke: tuple[dict, Path]) -> None:
    for a in smoke[0]["summary"]["datasets"]["digits"]["archs"].values():
        n = 16
        assert a["schur_lower"] <= a["lam_min"] + eig_rtol("float64", n) * a["lam_max"]
        assert a["lam_min"] > 0
        assert a["autograd_check"]["max_rel_diff"] <= matmul_rtol("float64", 64)
        # the row-space reduction preserves H_∞ to rounding (inner products of n ≤ 64 dims)
        assert a["reduction_rel_diff"] <= matmul_rtol("float64", 64, products=3)


def test_error_shrinks_with_width() -> None:
    """E‖H_m − H_∞‖ ~ m^{-1/2}: 64× more neurons must cut the mean error (here by > 2×)."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(12, 5, generator=g, dtype=torch.float64) + 0.1
    H = relu_ntk(X)
    errs = {}
    for m in (64, 4096):
        e = [float(torch.linalg.matrix_norm(
            relu_ntk_closed_form(exp._model(X, m, s, 0.01), X) - H, ord=2))
            for s in range(6)]
        errs[m] = sum(e) / len(e)
    assert errs[4096] < errs[64] / 2


def test_m_half_extrapolation() -> None:
    # ratio = 10^3 m^{-1/2}: reaches 1/2 at m = (2·10^3)^2
    fit = {"slope": -0.5, "intercept": 3.0}
    assert math.isclose(exp._log10_m_half(fit), 2 * math.log10(2e3), rel_tol=1e-12)
    assert exp._log10_m_half({"slope": 0.1, "intercept": 0.0}) is None


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", archs=("softmax",))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", widths=(64,))
