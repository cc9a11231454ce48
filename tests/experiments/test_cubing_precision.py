"""Tests of experiments.cubing_precision (κ(G³) in float32/float64 vs 50 digits)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from experiments import cubing_precision as cp
from experiments import driver
from experiments.config import make_config
from experiments.runner import Unit
from pyverify.errors import ConfigError
from pyverify.tolerance import cond_rtol, matmul_rtol


@pytest.mark.parametrize("kappa", [1e1, 1e3, 1e5])
def test_synthetic_matrix_has_the_requested_condition_number(kappa):
    """kappa(G) = kappa up to the rounding of X and of eigvalsh: cond_rtol(float64, n, kappa)."""
    X = cp.synthetic(10, 14, kappa, seed=3)
    ev = np.linalg.eigvalsh(X @ X.T)
    assert X.shape == (10, 14)
    assert ev[-1] / ev[0] == pytest.approx(kappa, rel=cond_rtol("float64", 14, kappa))


def test_float_routes_on_a_well_conditioned_matrix():
    X = cp.synthetic(8, 12, 10.0, seed=0)
    for dt, tol in (("float64", 1e-12), ("float32", 1e-4)):
        out = cp.float_conds(X, dt)
        assert out["formed G³"] == pytest.approx(1e3, rel=tol)
        assert out["κ(G)³"] == pytest.approx(1e3, rel=tol)


def test_float32_formed_cube_breaks_down_where_the_bound_predicts():
    cfg = make_config(cp, "smoke", seeds=(0,))
    res = cp.run_unit(cfg, Unit(cp.NAME, "synthetic", "kappa", 0, 8,
                                (("kappa", 1e5), ("d", 12))))
    assert res["cond_mp"] == pytest.approx(1e5, rel=cond_rtol("float64", 12, 1e5))
    # both are 50-digit values rounded to float64; cubing the float adds 2 roundings
    assert res["cond_cube_mp"] == pytest.approx(res["cond_mp"] ** 3,
                                                rel=matmul_rtol("float64", 1, products=3))
    by = {(r["dtype"], r["method"]): r for r in res["rows"]}
    # κ(G³) = 1e15 is beyond float32 (unit roundoff 6e-8): no correct digit
    assert by[("float32", "formed G³")]["broken"]
    assert by[("float32", "formed G³")]["within_bound"] == "vacuous"
    # cubing the float64 κ(G) keeps ~ 12 digits and stays within its bound
    assert by[("float64", "κ(G)³")]["rel_error"] <= 3 * cond_rtol("float64", 8, 1e5)
    assert by[("float64", "κ(G)³")]["within_bound"] == "yes"


def test_smoke_run_and_summary(tmp_path):
    rc = driver.main(cp, ["--smoke", "--seeds", "0", "--results", str(tmp_path), "--run-id", "p",
                  "--no-progress"])
    assert rc == 0
    s = json.loads((tmp_path / "p" / "cubing_precision" / "summary.json").read_text())["summary"]
    bd = {(b["dtype"], b["method"]): b for b in s["breakdown"]}
    assert set(bd) == {(d, m) for d in cp.DTYPES for m in cp.METHODS}
    f32 = bd[("float32", "formed G³")]["measured_kappa"]
    f64 = bd[("float64", "formed G³")]["measured_kappa"]
    f32 = math.inf if f32 == "inf" else f32
    f64 = math.inf if f64 == "inf" else f64
    # measured_kappa is the 50-digit κ(G) of the synthetic X built for the target κ = 1e3:
    # equal to the target only up to cond_rtol(float64, n, κ) (the rounding of X)
    hi = 1e3 * (1 + cond_rtol("float64", make_config(cp, "smoke").n, 1e3))
    assert f32 <= hi < f64  # float32 formed G³ fails first
    assert s["real"] and {r["dataset"] for r in s["real"]} == {"digits"}
    assert s["disagreements"] == []
    assert (tmp_path / "p" / "figures" / "cubing_precision.png").is_file()


def test_breakdown_helper():
    assert cp._breakdown([(10.0, False), (1e3, True), (1e2, True)]) == 1e2
    assert cp._breakdown([(10.0, False)]) == math.inf


@pytest.mark.parametrize(("kw", "match"), [({"n": 20, "d": 10}, "n"),
                                           ({"kappas": (0.5,)}, "kappas"),
                                           ({"n_real": 1}, "n_real")])
def test_config_validation(kw, match):
    with pytest.raises(ConfigError, match=match):
        make_config(cp, "smoke", **kw)
