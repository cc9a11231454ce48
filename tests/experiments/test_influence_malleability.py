"""Smoke, contract and property tests of experiments.influence_malleability (experiment 4)."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from experiments import influence_malleability as exp
from experiments.config import make_config
from experiments.driver import run_experiment
from experiments.tables import table_cells_not_in
from linattn.checks import PAPER_MAX_COND
from pyverify.errors import ConfigError

CONTRACT = ("threat", "ridge_mode", "ratio", "ratio_lo", "ratio_hi", "topk_jaccard_attn",
            "topk_jaccard_relu")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, exp.Config]:
    run_dir = tmp_path_factory.mktemp("infl_mall")
    cfg = make_config(exp, "smoke", seeds=(0, 1))
    return run_experiment(exp, cfg, run_dir, progress=False), run_dir, cfg


def test_smoke_outputs(smoke: tuple[dict, Path, exp.Config]) -> None:
    out, run_dir, cfg = smoke
    s = out["summary"]
    budgets = len(cfg.l2_eps) + len(cfg.linf_eps) + len(cfg.poison_k)
    assert len(s["rows"]) == len(cfg.classes) * len(cfg.ridges()) * budgets
    assert len(s["cells"]) == len(cfg.classes) * 3 * 2  # threats x ridge conventions
    assert out["figures"] and all((run_dir / f).is_file() for f in out["figures"])
    assert s["paper_range"] == [2.0, 9.0]
    assert "does not specify" in s["attack"] and "absolute" in s["ridge_convention"]
    assert table_cells_not_in(out["section"], s) == []  # every table number is stored
    assert len(s["disagreements"]) <= 3  # at most one sentence per threat model


def test_results_contract_flat_fields(smoke: tuple[dict, Path, exp.Config]) -> None:
    rows = smoke[0]["summary"]["rows"]
    assert {r["threat"] for r in rows} == {"l2-row", "linf", "poison"}
    assert {r["ridge_mode"] for r in rows} == {"relative", "absolute"}
    for r in rows:
        for key in CONTRACT:
            assert key in r
        for key in CONTRACT[2:]:
            assert r[key] is None or isinstance(r[key], float), (key, r[key])
        assert r["ratio"] is not None and r["ratio_lo"] <= r["ratio"] <= r["ratio_hi"]
        assert 0 <= r["topk_jaccard_attn"] <= 1 and 0 <= r["topk_jaccard_relu"] <= 1
        assert r["cond_relu"] >= 1 and r["cond_attn"] >= 1  # κ of the solved systems
        assert len(r["ratio_per_seed"]) == 2
        assert min(r["ratio_per_seed"]) <= r["ratio_geomean"] <= max(r["ratio_per_seed"])


def test_unit_ratios_poison_rows_and_targets(smoke: tuple[dict, Path, exp.Config]) -> None:
    _, _, cfg = smoke
    unit = exp.plan(cfg)[0]
    res = exp.run_unit(cfg, unit)
    n = res["n_train"]
    for arch in ("relu", "mlp_attn"):
        att = res[arch]["attacks"]
        assert {a["threat"] for a in att} == {"l2-row", "linf", "poison"}
        poison = [a for a in att if a["threat"] == "poison"]
        assert [len(a["rows"]) for a in poison] == [a["k"] for a in poison]
        assert all(a["k"] < n for a in poison)  # k = n is the linf attack
        assert all(a["value"] == max(a["per_restart"]) >= 0 for a in att)
        assert len(res[arch]["targeted"]) == 2 * cfg.n_targets
    rows = exp.summarize(cfg, [{"unit": unit.as_dict(), "result": res}])["rows"]
    for r in rows:
        a = exp._find(res, "mlp_attn", r["threat"], r["eps"], r["k"], n)["value"]
        b = exp._find(res, "relu", r["threat"], r["eps"], r["k"], n)["value"]
        assert math.isclose(r["ratio"], a / b, rel_tol=1e-15)
    alls = [r for r in rows if r["k_spec"] == "all"]
    linf = [r for r in rows if r["threat"] == "linf" and r["eps"] == cfg.poison_eps]
    assert alls[0]["ratio"] == linf[0]["ratio"]  # the same attack by construction


def _near_black_image(**_: object) -> tuple[SimpleNamespace, SimpleNamespace]:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (20, 16))
    X[0] *= 1e-6  # its kernel diagonal is tiny: κ(K + λI) ≈ λ_max / (K_00 + λ)
    return SimpleNamespace(X=X), SimpleNamespace(X=rng.uniform(0, 1, (4, 16)))


def test_gate_failure_is_recorded_with_its_kappa(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted ill-conditioned system (a near-black image and a tiny shared absolute
    ridge): attention fails κ(K + λI) < 1e12; the unit, row, cell and verdict say so."""
    monkeypatch.setattr(exp, "load_split", lambda *a, **k: _near_black_image())
    cfg = make_config(exp, "smoke", seeds=(0,), relative_ridges=(), absolute_ridges=(1e-8,))
    unit = exp.plan(cfg)[0]
    res = exp.run_unit(cfg, unit)
    assert res["gate_failed"] and res["mlp_attn"]["gate"] == "conditioning"
    assert res["mlp_attn"]["cond_failed"] > PAPER_MAX_COND and res["relu"]["cond"] < 1e12
    s = exp.summarize(cfg, [{"unit": unit.as_dict(), "result": res}])
    assert all(r["status"] == "gate failure" and r["ratio"] is None and r["gate_failures"] == 1
               and r["cond_failed"] > PAPER_MAX_COND for r in s["rows"])
    assert all(c["status"] == "gate failure" for c in s["cells"])
    assert s["verdict"]["status"] == "no comparison" or "failed the κ gate" in \
        s["verdict"]["sentence"]


def _cell(threat: str, status: str, lo: float, hi: float, mode: str = "relative") -> dict:
    return {"threat": threat, "status": status, "ratio_min": lo, "ratio_max": hi,
            "n_gate": 0, "ridge_mode": mode}


def test_one_disagreement_sentence_per_threat_and_the_verdict() -> None:
    cells = [_cell("l2-row", "not reproduced", 0.5 + i / 10, 1.5) for i in range(30)]
    cells += [_cell("linf", "partly reproduced", 1.0, 3.0, "absolute"),
              _cell("poison", "reproduced", 2, 5, "absolute")]
    dis = exp._disagreements(cells)
    assert len(dis) == 1 and "l2-row" in dis[0] and "30 of 30" in dis[0]
    assert "30 relative ridge" in dis[0]
    v = exp._verdict(cells, {"min": 0.5, "max": 5.0, "mean": 1.0})
    assert v["status"] == "partly reproduced"
    assert "some rows of 2 of 32" in v["sentence"] and "(2 absolute ridge)" in v["sentence"]
    assert "every row of 1;" in v["sentence"]
    assert exp._verdict([_cell("linf", "reproduced", 2, 3)], {"min": 2, "max": 3,
                                                            "mean": 2.5})["status"] == \
        "reproduced"


def test_row_status_follows_the_interval() -> None:
    def status(r, lo, hi):
        rows = [{"dataset": "d", "classes": "c", "threat": "linf", "ridge_mode": "relative",
                 "ratio": r, "ratio_lo": lo, "ratio_hi": hi, "status": None,
                 "topk_jaccard_attn": 0.5, "topk_jaccard_relu": 0.5}]
        lo_p, hi_p = exp.PAPER_RANGE
        rows[0]["status"] = ("inside" if lo_p <= r <= hi_p else "below" if hi < lo_p else
                             "above" if lo > hi_p else "undecided")
        return rows[0]["status"], exp._cells(rows)[0]["status"]

    assert status(3.0, 1.0, 5.0) == ("inside", "reproduced")
    assert status(1.0, 0.9, 1.1) == ("below", "not reproduced")
    assert status(1.5, 1.0, 2.5) == ("undecided", "not reproduced")


def test_sizes_are_clamped_per_dataset_with_a_note() -> None:
    n, nt, note = exp.fit_sizes("digits", "binary", 1000, 500, None)
    assert (n, nt) == (284, 76) and "284 train" in note
    assert exp.fit_sizes("digits", "10class", 256, 64, None)[2] == ""


def test_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", classes=("3class",))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", linf_eps=(0.0,))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", poison_k=("200%",))
    with pytest.raises(ConfigError):
        make_config(exp, "smoke", poison_eps=0.5)  # not one of linf_eps


def test_heatmap_helper_rejects_mismatched_bins() -> None:
    import matplotlib.pyplot as plt

    from experiments import plots

    fig, (ax,) = plots.figure()
    with pytest.raises(ConfigError):
        plots.binned_heatmap(ax, [[1.0]], [["1"]], edges=(0.0, 1.0), colors=("r", "g"),
                             names=("a", "b"), xticks=["x"], yticks=["y"], missing="none")
    plt.close(fig)
