"""Smoke and property tests of experiments.multihead_layernorm (claim multihead-layernorm)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import multihead_layernorm as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.tables import table_cells_not_in
from pyverify.errors import ConfigError
from pyverify.tolerance import cond_rtol


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("multihead")
    cfg = make_config(exp, "smoke")
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_outputs_and_contract_rows(smoke) -> None:
    out, run_dir = smoke
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert table_cells_not_in(out["section"], out["summary"]) == []
    cfg = make_config(exp, "smoke")
    rows = out["summary"]["rows"]
    assert {(r["variant"], r["heads"]) for r in rows} == {
        (v, h) for v in ("multihead", "layernorm") for h in cfg.heads}
    for r in rows:
        for k in ("log10_cond_kernel", "log10_m_half", "log10_m_half_lo", "log10_m_half_hi"):
            assert k in r


def test_single_head_is_the_parameter_free_kernel(smoke) -> None:
    """h = 1 without LayerNorm: K = G³ up to a rotation, so κ(K) = κ(G)³; the deltas of the
    reference against itself are exactly 0 (a difference of equal floats)."""
    e = smoke[0]["summary"]["datasets"]["digits"]
    ref = e["settings"]["h=1"]
    want = 10 ** e["log10_cond_G_cubed"]
    assert math.isclose(ref["cond_kernel"], want, rel_tol=cond_rtol("float64", e["n"], want))
    assert ref["delta_log10_cond_kernel"] == 0
    assert e["order"][0] == "h=1" and set(e["order"]) == set(e["settings"])


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", heads=(4, 16))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", widths=(8, 8))
