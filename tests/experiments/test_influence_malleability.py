"""Smoke and property tests of experiments.influence_malleability (experiment 4)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import influence_malleability as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from pyverify.errors import ConfigError


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, exp.Config]:
    run_dir = tmp_path_factory.mktemp("infl_mall")
    cfg = make_config(exp, "smoke", seeds=(0, 1))
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir, cfg


def test_smoke_outputs(smoke: tuple[dict, Path, exp.Config]) -> None:
    out, run_dir, cfg = smoke
    s = out["summary"]
    assert len(s["rows"]) == len(cfg.classes) * len(cfg.eps) * len(cfg.ridges)
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert s["paper_range"] == [2.0, 9.0]
    assert "relative" in s["ridge_convention"]
    assert "does not specify" in s["attack"]


def test_unit_ratio_is_the_quotient_and_bounds_hold(smoke: tuple[dict, Path, exp.Config]) -> None:
    _, _, cfg = smoke
    res = exp.run_unit(cfg, exp.plan(cfg)[0])
    assert math.isclose(res["ratio"], res["mlp_attn"]["value"] / res["relu"]["value"],
                        rel_tol=1e-15)
    for arch in ("relu", "mlp_attn"):
        r = res[arch]
        assert r["value"] >= 0 and r["value"] == max(r["per_restart"])
        assert 0 <= r["first_order"] <= r["first_order_upper"]
        assert r["ridge_abs"] > 0


def test_ci_brackets_the_mean(smoke: tuple[dict, Path, exp.Config]) -> None:
    for row in smoke[0]["summary"]["rows"]:
        r = row["ratio"]
        assert r["lo"] <= r["mean"] <= r["hi"]
        assert len(row["ratio_per_seed"]) == 2
        assert min(row["ratio_per_seed"]) <= row["ratio_geomean"] <= max(row["ratio_per_seed"])


def test_disagreement_sentences_follow_the_intervals() -> None:
    fake = {"ratio_per_seed": [1.0, 1.1], "dataset": "digits", "classes": "binary", "eps": 0.05,
            "ridge": 0.1}
    recs = [{"unit": {"dataset": "digits", "setting": "binary",
                      "params": {"eps": 0.05, "ridge": 0.1}},
             "result": {"ratio": r, "ratio_first_order": r,
                        "relu": {"value": 1.0, "first_order": 0.1, "ridge_abs": 1.0,
                                 "cond": 10.0},
                        "mlp_attn": {"value": r, "first_order": 0.1 * r, "ridge_abs": 2.0,
                                     "cond": 100.0}}}
            for r in fake["ratio_per_seed"]]
    cfg = make_config(exp, "smoke", classes=("binary",), eps=(0.05,), ridges=(0.1,))
    s = exp.summarize(cfg, recs)
    assert len(s["disagreements"]) == 1 and "below" in s["disagreements"][0]
    recs_in = [{**r, "result": {**r["result"], "ratio": x}} for r, x in zip(recs, (3.0, 4.0),
                                                                            strict=True)]
    assert exp.summarize(cfg, recs_in)["disagreements"] == []


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", classes=("3class",))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", eps=(0.0,))
