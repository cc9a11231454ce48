"""Smoke and property tests of experiments.qkv_extension (experiment 5)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import driver
from experiments import qkv_extension as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from pyverify.errors import ConfigError
from pyverify.tolerance import cond_rtol


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("qkv_ext")
    cfg = make_config(exp, "smoke", seeds=(0, 1))
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_writes_summary_figures_and_section(smoke: tuple[dict, Path]) -> None:
    out, run_dir = smoke
    assert (run_dir / exp.NAME / "summary.json").is_file()
    assert (run_dir / exp.NAME / "section.md").read_text() == out["section"]
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert isinstance(out["summary"]["disagreements"], list)


def test_identity_qkv_reproduces_the_cubed_condition_number(smoke: tuple[dict, Path]) -> None:
    e = smoke[0]["summary"]["datasets"]["digits"]
    tol = cond_rtol("float64", e["n"], e["cond_G_cubed"])
    assert math.isclose(e["cond_identity_qkv"], e["cond_G_cubed"], rel_tol=tol)
    assert math.isclose(e["exponent_identity_qkv"], 3.0, rel_tol=tol)


def test_per_h_rows_are_consistent(smoke: tuple[dict, Path]) -> None:
    e = smoke[0]["summary"]["datasets"]["digits"]
    cfg = make_config(exp, "smoke")
    assert [p["h"] for p in e["per_h"]] == list(cfg.hs)
    for p in e["per_h"]:
        assert p["r"] == min(e["n"], e["d"], p["h"])
        assert p["log10_cond"]["mean"] >= 0  # κ ≥ 1
        lo, hi = p["exponent"]["lo"], p["exponent"]["hi"]
        assert lo <= p["exponent"]["mean"] <= hi
        assert -1 <= p["cos_G"]["mean"] <= 1 and -1 <= p["cos_G3"]["mean"] <= 1


def test_unit_rank_is_bounded_by_h(tmp_path: Path) -> None:
    cfg = make_config(exp, "smoke", seeds=(3,), hs=(2, 5))
    res = exp.run_unit(cfg, exp.plan(cfg)[0])
    for row in res["rows"]:
        assert row["rank"] <= min(res["n"], res["d"], row["h"])
        assert row["cond"] >= 1.0


def test_cli_help_and_bad_config(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        driver.main(exp, ["--help"])
    assert exc.value.code == 0
    assert "QKV" in capsys.readouterr().out
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", hs=())
