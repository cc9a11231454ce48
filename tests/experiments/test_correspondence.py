"""Tests of experiments.correspondence (Theorem 4.1 on real images, float32/float64)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments import correspondence as corr
from experiments import driver
from experiments.config import make_config
from experiments.runner import Unit
from pyverify.errors import ConfigError
from pyverify.tolerance import matmul_rtol


def _cfg(**kw):
    return make_config(corr, "smoke", seeds=(0,), **kw)


def test_smoke_run_through_the_cli(tmp_path):
    rc = driver.main(corr, ["--smoke", "--seeds", "0", "--results", str(tmp_path), "--run-id", "c",
                    "--no-progress"])
    assert rc == 0
    stored = json.loads((tmp_path / "c" / "correspondence" / "summary.json").read_text())
    s = stored["summary"]
    assert stored["config"]["n_double_sum"] == corr.PRESETS["smoke"]["n_double_sum"]
    assert s["all_pass"] and s["disagreements"] == []
    assert {r["dtype"] for r in s["rows"]} == {"float32", "float64"}
    assert all(e["exact"] for e in s["exact"])
    sec = (tmp_path / "c" / "correspondence" / "section.md").read_text()
    assert "agrees with the paper" in sec and "figures/correspondence_errors.png" in sec
    assert (tmp_path / "c" / "figures" / "correspondence_errors.png").is_file()


def test_float32_is_really_float32_and_within_tolerance():
    cfg = _cfg()
    res = corr.run_unit(cfg, Unit(corr.NAME, "digits", "double_sum", 0, 12))
    by = {(r["dtype"], r["comparison"]): r for r in res["rows"]}
    e32 = by[("float32", "G³ vs exact")]["error"]
    e64 = by[("float64", "G³ vs exact")]["error"]
    # float32 rounding is visible (digits/16 cubed needs more than 24 bits) ...
    assert e32 > 1e-9 and e32 > e64
    # ... and within the tolerance of the table
    assert e32 <= matmul_rtol("float32", 64, products=3)
    assert all(r["pass"] for r in res["rows"])


def test_a_wrong_form_fails_and_becomes_a_disagreement(monkeypatch):
    import linattn.kernel as kernels

    real = kernels.linattn_kernel

    def wrong(X, **kw):  # X C Xᵀ-like error: perturb the feature-map kernel by 1%
        return real(X, **kw) * 1.01

    monkeypatch.setattr(kernels, "linattn_kernel", wrong)
    cfg = _cfg()
    rec = {"unit": Unit(corr.NAME, "digits", "cube_vs_features", 0, 20).as_dict(),
           "result": corr.run_unit(cfg, Unit(corr.NAME, "digits", "cube_vs_features", 0, 20))}
    s = corr.summarize(cfg, [json.loads(json.dumps(rec))])
    assert not s["all_pass"]
    assert any("G³ vs X C² Xᵀ" in d and "> tolerance" in d for d in s["disagreements"])


def test_exact_unit_uses_raw_integer_pixels():
    res = corr.run_unit(_cfg(), Unit(corr.NAME, "digits", "exact", 0, 3))
    assert res == {"n": 3, "d": 64, "exact": True, "note": "", "max_pixel": res["max_pixel"]}
    assert 1 <= res["max_pixel"] <= 16


def test_plan_covers_datasets_seeds_and_exact():
    cfg = make_config(corr, "smoke", seeds=(0, 1))
    units = corr.plan(cfg)
    assert [u.setting for u in units].count("exact") == 1
    assert len(units) == 2 * 2 + 1


@pytest.mark.parametrize(("kw", "match"), [({"n_double_sum": 65}, "n_double_sum"),
                                           ({"n_cube": 1}, "n_cube"),
                                           ({"dtypes": ("float16",)}, "dtypes")])
def test_config_validation(kw, match):
    with pytest.raises(ConfigError, match=match):
        make_config(corr, "smoke", **kw)
    with pytest.raises(ConfigError, match="preset"):
        make_config(corr, "huge")


def test_relative_error_measure():
    assert corr._rel(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]])) == 0.5


@pytest.mark.data
def test_mnist_double_sum_against_exact(mnist_dir):
    cfg = make_config(corr, "smoke", seeds=(0,), datasets=("mnist",),
                             data_dir=str(mnist_dir.parent))
    res = corr.run_unit(cfg, Unit(corr.NAME, "mnist", "double_sum", 0, 6))
    assert res["d"] == 784 and all(r["pass"] for r in res["rows"])
    ex = corr.run_unit(cfg, Unit(corr.NAME, "mnist", "exact", 0, 4))
    assert ex["exact"] and ex["max_pixel"] == 255
