"""Smoke and fit tests of experiments.malleability_gap (the sensitivity gap vs n λ₁(G))."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import malleability_gap as gap
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.registry import ORDER
from experiments.tables import table_cells_not_in
from pyverify.errors import ConfigError


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, gap.Config]:
    run_dir = tmp_path_factory.mktemp("mall_gap")
    cfg = make_config(gap, "smoke", seeds=(0, 1))
    return run_experiment(gap, cfg, run_dir, progress=False), run_dir, cfg


def test_smoke_outputs(smoke: tuple[dict, Path, gap.Config]) -> None:
    out, run_dir, cfg = smoke
    s = out["summary"]
    assert len(s["rows"]) == len(cfg.sizes) * len(cfg.ridges)
    assert {r["ridge_mode"] for r in s["rows"]} == {"absolute", "relative"}
    for r in s["rows"]:
        assert r["ratio_lo"] <= r["ratio"] <= r["ratio_hi"] and r["ratio_first_order"] > 0
        assert math.isclose(r["n_lambda1"], r["n"] * r["lambda1_G"])
        assert r["cond_relu"] >= 1 and r["cond_attn"] >= 1
        assert r["threat"] == "l2-row" and 0 <= r["topk_jaccard_attn"] <= 1
        assert 0 <= r["topk_jaccard_relu"] <= 1  # the malleability-row contract
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert table_cells_not_in(out["section"], s) == []
    assert gap.CLAIM == "malleability-ratio" and "malleability_gap" in ORDER


def _records(slope: float, noise: tuple[float, ...] = (1.0, 1.1, 0.9)) -> list[dict]:
    recs = []
    for ds, lam_per_row in (("digits", 10.0), ("mnist", 40.0)):
        for n in (64, 128, 256, 512):
            for seed, f in enumerate(noise):
                lam1 = lam_per_row * n
                r = 0.7 * (n * lam1) ** slope * f
                recs.append({"unit": {"dataset": ds, "size": n, "seed": seed,
                                      "params": {"ridge_mode": "absolute", "ridge": 1.0,
                                                 "clamp_note": ""}},
                             "result": {"ratio": r, "ratio_first_order": 1.1 * r,
                                        "lambda1_G": lam1, "relu": {"cond": 10.0},
                                        "mlp_attn": {"cond": 1e4}}})
    return recs


@pytest.mark.parametrize(("slope", "status"), [(0.5, "reproduced"), (0.0, "not reproduced"),
                                               (1.6, "partly reproduced")])
def test_fit_recovers_a_planted_growth_and_the_verdict_follows(slope: float, status: str):
    cfg = make_config(gap, "smoke", ridges=(("absolute", 1.0),))
    s = gap.summarize(cfg, _records(slope, noise=(1.0, 1.0, 1.0)))
    pooled = next(f for f in s["fits"] if f["dataset"] == "all" and f["estimator"] == "ratio")
    assert math.isclose(pooled["slope"], slope, abs_tol=1e-9) and pooled["k"] == 8
    per_n = [f for f in s["fits"] if f["against"] == "n" and f["estimator"] == "ratio"]
    assert all(math.isclose(f["slope"], 2 * slope, abs_tol=1e-9) for f in per_n)  # λ₁ ∝ n
    assert s["verdict"]["status"] == status
    assert len(s["disagreements"]) <= 1


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(gap, "smoke", sizes=(16,))
    with pytest.raises(ConfigError):
        make_config(gap, "smoke", ridges=(("shared", 1.0),))
