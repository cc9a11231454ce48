"""Smoke and property tests of experiments.learning_dynamics (experiment 7)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from experiments import learning_dynamics as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from pyverify.errors import ConfigError


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    run_dir = tmp_path_factory.mktemp("learn_dyn")
    cfg = make_config(exp, "smoke", seeds=(0, 1))
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir


def test_smoke_outputs(smoke: tuple[dict, Path]) -> None:
    out, run_dir = smoke
    assert len(out["figures"]) == 2 and all((run_dir / f).is_file() for f in out["figures"])
    archs = out["summary"]["datasets"]["digits"]
    assert set(archs) == {"relu", "mlp_attn"}


def test_training_decreases_the_loss_and_starts_lazy(smoke: tuple[dict, Path]) -> None:
    for a in smoke[0]["summary"]["datasets"]["digits"].values():
        ck = a["checkpoints"]
        assert ck[0]["step"] == 0 and ck[0]["ntk_move"]["mean"] == 0.0
        assert ck[-1]["train_loss"]["mean"] < ck[0]["train_loss"]["mean"]
        # at step 0 the fixed δ is the attack itself
        assert ck[0]["mall_fixed"]["mean"] == ck[0]["mall_attack"]["mean"]
        curve = a["loss_curve_seed0"]
        assert curve[-1] < curve[0]


def test_landscape_centre_is_the_trained_loss(smoke: tuple[dict, Path]) -> None:
    for a in smoke[0]["summary"]["datasets"]["digits"].values():
        L = a["landscape_seed0"]
        c = len(L["coords"]) // 2
        assert L["coords"][c] == 0.0
        assert L["center"] == L["loss"][c][c]
        assert L["min"] <= L["center"] <= L["max"]
        final = a["loss_curve_seed0"][-1]
        assert math.isclose(L["center"], final, rel_tol=1e-9)


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", attn_scale="max")
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", checkpoints=(5, 20))
