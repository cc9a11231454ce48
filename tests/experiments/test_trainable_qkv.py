"""Smoke and property tests of experiments.trainable_qkv (claim qkv-ntk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments import trainable_qkv as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.tables import table_cells_not_in
from pyverify.errors import ConfigError
from pyverify.tolerance import arccos_rtol, matmul_rtol


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("qkv")
    cfg = make_config(exp, "smoke")
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_outputs_and_contract_rows(smoke) -> None:
    out, run_dir = smoke
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert table_cells_not_in(out["section"], out["summary"]) == []
    rows = out["summary"]["rows"]
    assert {r["variant"] for r in rows} == {"qkv-linear", "qkv-softmax"}
    for r in rows:
        for k in ("log10_cond_kernel", "log10_m_half", "log10_m_half_lo", "log10_m_half_hi",
                  "cond_ntk"):
            assert k in r


def test_checks_inside_the_run(smoke) -> None:
    """The closed-form NTK equals torch.func's; the limit equals the parameter-free NTK up to
    (σ² + κ²)/τ² (linear) or (σ² + κ²) (softmax); the Monte-Carlo estimate is consistent."""
    e = smoke[0]["summary"]["datasets"]["digits"]
    for x in e["variants"].values():
        assert x["autograd_check"]["max_rel_diff"] <= matmul_rtol("float64", 16, products=6)
        assert x["rel_diff_parameter_free"] <= arccos_rtol("float64", e["n"])
        assert x["mc_rel_se"] > 0 and len(x["qk_share"]) == len(smoke[0]["summary"]["widths"])


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", variants=("relu",))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", mc_draws=1)
