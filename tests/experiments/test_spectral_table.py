"""Tests of experiments.spectral_table (rank, κ, κ_d, κ(G³), width threshold)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from experiments import driver
from experiments import spectral_table as spt
from experiments.config import make_config
from experiments.runner import Unit
from pyverify.errors import ConfigError
from pyverify.width import log10_width_threshold


def _cfg(**kw):
    return make_config(spt, "smoke", seeds=(0,), **kw)


def test_smoke_run_through_the_cli(tmp_path):
    rc = driver.main(spt, ["--smoke", "--seeds", "0", "--results", str(tmp_path), "--run-id", "s",
                   "--no-progress"])
    assert rc == 0
    s = json.loads((tmp_path / "s" / "spectral_table" / "summary.json").read_text())["summary"]
    variants = {r["variant"] for r in s["rows"]}
    assert variants == set(spt.VARIANTS)
    assert {r["classes"] for r in s["rows"]} == {"binary", "5class", "10class"}
    assert s["checks"] and all(c["pass"] for c in s["checks"])
    assert "digits" in s["spectra"]
    sec = (tmp_path / "s" / "spectral_table" / "section.md").read_text()
    assert "Why κ_d is infinite" in sec and "figures/spectral_spectra.png" in sec


def test_constant_pixels_make_kappa_d_infinite_and_dropping_them_finite():
    cfg = _cfg()
    raw = spt.run_unit(cfg, Unit(spt.NAME, "digits", "10class/raw", 0, 200))
    drop = spt.run_unit(cfg, Unit(spt.NAME, "digits", "10class/drop-constant", 0, 200))
    # digits has always-blank border pixels: rank < min(n, d) = 64
    assert raw["rank"] < raw["r"] == 64 and raw["cond_d"] == math.inf
    assert raw["log10_width"] is None and "inf" in raw["cond_d_note"]
    assert drop["dropped_columns"] > 0 and drop["d"] == 64 - drop["dropped_columns"]
    assert math.isfinite(drop["cond_d"]) and drop["rank"] == drop["r"]
    # log10 m = 6 log10 κ_d + log10(n ln n), the reference formula
    want = float(log10_width_threshold(drop["cond_d"], drop["n"]))
    assert drop["log10_width"] == pytest.approx(want, rel=1e-12)
    # κ(G³) = κ(G)³
    assert drop["cond_cube"] == pytest.approx(drop["cond"] ** 3, rel=1e-12)


def test_independent_pixels_make_kappa_d_finite():
    res = spt.run_unit(_cfg(), Unit(spt.NAME, "digits", "10class/independent-pixels", 0, 200))
    assert res["rank"] == res["r"] == res["d"] < 64
    assert math.isfinite(res["cond_d"]) and res["log10_width"] is not None


def test_centring_and_row_normalisation_do_not_fix_constant_pixels():
    cfg = _cfg()
    for v in ("centred", "row-normalised"):
        res = spt.run_unit(cfg, Unit(spt.NAME, "digits", f"10class/{v}", 0, 200))
        assert res["cond_d"] == math.inf, v


def test_cube_check_at_50_digits():
    res = spt.run_unit(_cfg(), Unit(spt.NAME, "digits", "cube-check", 0, 6))
    assert res["cube_rel_diff"] <= res["cube_tolerance"] < 1e-30
    assert res["float64_rel_diff"] <= res["float64_tolerance"]


def _row(ds, variant, log10_width, **kw):
    return {"dataset": ds, "classes": "10class", "variant": variant, "n": 1000, "d": 784,
            "rank": 600, "r": 784, "log10_width": log10_width, **kw}


def test_disagreements_follow_the_measurements():
    inf = math.inf
    dis = spt._disagreements([_row("mnist", "raw", inf)])
    assert len(dis) == 1 and "unbounded" in dis[0] and "m ≫ 1e24" in dis[0]
    dis = spt._disagreements([_row("cifar10", "raw", 20.0)])
    assert len(dis) == 1 and "below the paper's 'm ≫ 1e29'" in dis[0]
    assert spt._disagreements([_row("mnist", "raw", 30.0), _row("digits", "raw", inf)]) == []
    dis = spt._disagreements([_row("mnist", "raw", 30.0), _row("mnist", "centred", 10.0)])
    assert len(dis) == 1 and "depends on preprocessing" in dis[0]


def test_spectrum_points_are_log_spaced_and_exact():
    ev = list(np.geomspace(1.0, 1e-6, 500))
    sp = spt._spectrum_points(ev)
    assert sp["index"][0] == 1 and sp["index"][-1] == 500
    assert len(sp["index"]) <= spt.SPECTRUM_POINTS
    assert all(sp["eigenvalue"][k] == ev[i - 1] for k, i in enumerate(sp["index"]))


def test_plan_and_config_validation():
    units = spt.plan(make_config(spt, "smoke", seeds=(0, 1), max_seeds=2))
    settings = [u.setting for u in units]
    assert settings.count("cube-check") == 1 and "10class/drop-constant" in settings
    assert sum(s == "binary/raw" for s in settings) == 3  # 2 seeds at paper n + all rows
    with pytest.raises(ConfigError, match="variants"):
        make_config(spt, "smoke", variants=("centred",))
    with pytest.raises(ConfigError, match="paper_n"):
        make_config(spt, "smoke", paper_n=1)


@pytest.mark.data
def test_mnist_has_constant_pixels(mnist_dir):
    cfg = make_config(spt, "smoke", seeds=(0,), datasets=("mnist",),
                            data_dir=str(mnist_dir.parent))
    res = spt.run_unit(cfg, Unit(spt.NAME, "mnist", "binary/raw", 0, 1000))
    assert res["d"] == 784 and res["rank"] < 784 and res["cond_d"] == math.inf
    drop = spt.run_unit(cfg, Unit(spt.NAME, "mnist", "binary/drop-constant", 0, 1000))
    assert drop["dropped_columns"] > 0
    ind = spt.run_unit(cfg, Unit(spt.NAME, "mnist", "binary/independent-pixels", 0, 1000))
    assert ind["rank"] == ind["d"] and math.isfinite(ind["cond_d"])
