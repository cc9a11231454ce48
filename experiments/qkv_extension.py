"""Experiment 5 -- trainable-QKV linear attention at standard initialisation (referee
objection 1): does the induced kernel keep the κ(G)³ amplification?

For ``Q, K, V: (d, h)`` with iid ``N(0, 1/d)`` entries, ``f(X) = X Q Kᵀ C V: (n, h)`` and
``K_h = f(X) f(X)ᵀ`` (see :mod:`linattn.qkv` for the derivations).  For each hidden
width ``h`` and seed we measure, from the singular values of ``f(X)`` (``spectral_stats``
of the features, eigenvalues of ``K_h`` = squared singular values):

* ``cond``: κ(K_h) over its numerical rank; ``cond_top``: over the top r = min(n, d, h)
  eigenvalues (inf when the rank is below r);
* ``exponent`` p = log κ(K_h) / log κ(G) (κ over the numerical ranks): the parameter-free
  kernel G³ has p = 3 exactly, the expected kernel ``E K_h ∝ G`` has p = 1;
* ``cos_G``, ``cos_G3``: Frobenius cosine of K_h with G and with G³ (which one it resembles);
* ``dev_expected``: ‖K_h − E K_h‖₂ / ‖E K_h‖₂ (does K_h concentrate on its mean as h grows?).

The paper's rebuttal says κ_d(G) stays "asymptotically unchanged" under random QKV; the
section reports what the measured exponents show.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import torch

from experiments import plots, stats
from experiments.config import Common, opt, verdict
from experiments.runner import Unit
from experiments.tables import fmt
from linattn.data import Preprocess, load_dataset
from linattn.qkv import expected_qkv_kernel, qkv_features, random_qkv
from linattn.spectrum import spectral_stats
from pyverify.errors import ConfigError

NAME = "qkv_extension"
TITLE = "Trainable QKV at standard initialisation: κ(K_h) versus κ(G)³ (referee objection 1)"
CLAIM = "qkv-extension"

PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n": 24, "hs": (4, 16, 64)},
    "full": {"n": 1000, "hs": (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """``n`` rows of ``classes`` (data subsample fixed by ``data_seed``; the seeds vary only
    Q, K, V); hidden widths ``hs``; entries N(0, 1/d) (``std = None``)."""

    n: int = opt(256, 'rows of the subset (fixed by data_seed; the seeds vary only Q, K, V)')
    hs: tuple[int, ...] = opt(
        (8, 16, 32, 64, 128, 256, 512, 1024), 'hidden widths h of Q, K, V (d x h)')
    classes: str = opt("10class", 'class setting of the subset')
    data_seed: int = opt(0, 'seed of the data subsample')
    center: bool = opt(False, 'centre the data by the training mean')
    std: float | None = opt(None, 'standard deviation of the entries of Q, K, V (none: d^-1/2)')

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 2 or not self.hs or min(self.hs) < 1:
            raise ConfigError.for_arg("n/hs", "need n >= 2 and hidden widths >= 1",
                                      (self.n, self.hs))



def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, ds, cfg.classes, seed, cfg.n, (("hs", list(cfg.hs)),))
            for ds in cfg.datasets for seed in cfg.seeds]


def _data(cfg: Config, dataset: str) -> torch.Tensor:
    ds = load_dataset(dataset, classes=cfg.classes, n=cfg.n, seed=cfg.data_seed,
                      preprocess=Preprocess(center=cfg.center), data_dir=cfg.data_dir)
    return torch.as_tensor(ds.X, dtype=torch.float64)


def _cos(A: torch.Tensor, B: torch.Tensor) -> float:
    return float((A * B).sum() / (A.norm() * B.norm()))


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    X = _data(cfg, unit.dataset)
    n, d = X.shape
    sG = spectral_stats(X)
    G = X @ X.T
    G3 = G @ G @ G
    log_kG = math.log(sG.cond)
    rows = []
    for h in cfg.hs:
        q = random_qkv(d, h, seed=1_000_003 * unit.seed + h, std=cfg.std)
        F = qkv_features(X, q.Q, q.K, q.V)
        sK = spectral_stats(F)
        r = min(n, d, h)
        ev = sK.eigenvalues
        cond_top = float(ev[0] / ev[r - 1]) if sK.rank >= r else math.inf
        Kh = F @ F.T
        EK = expected_qkv_kernel(X, h=h, std=cfg.std)
        dev = float(torch.linalg.matrix_norm(Kh - EK, ord=2)
                    / torch.linalg.matrix_norm(EK, ord=2))
        rows.append({"h": h, "rank": sK.rank, "r": r, "cond": sK.cond, "cond_top": cond_top,
                     "log10_cond": math.log10(sK.cond),
                     "log10_cond_top": math.log10(cond_top) if math.isfinite(cond_top)
                     else None,
                     "exponent": math.log(sK.cond) / log_kG if log_kG > 0 else None,
                     "cos_G": _cos(Kh, G), "cos_G3": _cos(Kh, G3), "dev_expected": dev})
    # parameter-free reference: Q = K = V = I_d (h = d) gives exactly G³
    eye = torch.eye(d, dtype=torch.float64)
    s_ref = spectral_stats(qkv_features(X, eye, eye, eye))
    return {"n": n, "d": d, "rank_G": sG.rank, "cond_G": sG.cond, "cond_d_G": sG.cond_d,
            "cond_d_note": sG.cond_d_note, "cond_G_cubed": sG.cond_cube,
            "cond_identity_qkv": s_ref.cond,
            "exponent_identity_qkv": math.log(s_ref.cond) / log_kG if log_kG > 0 else None,
            "rows": rows}


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    by_ds: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_ds.setdefault(rec["unit"]["dataset"], []).append(rec["result"])
    datasets: dict[str, Any] = {}
    dis: list[str] = []
    findings: list[str] = []
    for ds, results in by_ds.items():
        first = results[0]
        per_h = []
        for i, h in enumerate(cfg.hs):
            rows = [res["rows"][i] for res in results]
            per_h.append({
                "h": h, "r": rows[0]["r"],
                "log10_cond": stats.mean_ci([r["log10_cond"] for r in rows]),
                "exponent": stats.mean_ci([r["exponent"] for r in rows]),
                "cond_top_finite_seeds": sum(math.isfinite(float(r["cond_top"])) for r in rows),
                "log10_cond_top": stats.mean_ci([r["log10_cond_top"] for r in rows]),
                "cos_G": stats.mean_ci([r["cos_G"] for r in rows]),
                "cos_G3": stats.mean_ci([r["cos_G3"] for r in rows]),
                "dev_expected": stats.mean_ci([r["dev_expected"] for r in rows]),
                "per_seed_log10_cond": [r["log10_cond"] for r in rows],
            })
        big = per_h[-1]
        entry = {
            "n": first["n"], "d": first["d"], "rank_G": first["rank_G"],
            "cond_G": first["cond_G"], "log10_cond_G": math.log10(first["cond_G"]),
            "cond_d_G": first["cond_d_G"], "cond_d_note": first["cond_d_note"],
            "cond_G_cubed": first["cond_G_cubed"],
            "log10_cond_G_cubed": 3 * math.log10(first["cond_G"]),
            "cond_identity_qkv": first["cond_identity_qkv"],
            "exponent_identity_qkv": first["exponent_identity_qkv"],
            "per_h": per_h,
        }
        datasets[ds] = entry
        e = big["exponent"]
        entry["exponent_at_largest_h"] = e
        dis.append(
            f"{ds}: the expectation over standard-initialised Q, K, V of the QKV kernel is "
            f"E K_h = h²σ⁶‖C‖_F² G, proportional to G itself (κ(G) = {first['cond_G']:.3g}, "
            f"exponent 1), not to G³ (κ(G)³ = {first['cond_G_cubed']:.3g}); the rebuttal's "
            f"argument that K_h concentrates on a kernel matching the parameter-free case "
            f"cannot hold, since that mean kernel has no cubic amplification.")
        if e["mean"] is not None:
            where = ("below 3" if e["hi"] is not None and e["hi"] < 3 else
                     "above 3" if e["lo"] is not None and e["lo"] > 3 else "consistent with 3")
            findings.append(
                f"{ds}: individual draws at h = {big['h']} still show log κ(K_h)/log κ(G) = "
                f"{e['mean']:.3g} (95% CI {e['lo']:.3g}–{e['hi']:.3g}, {e['k']} seeds; "
                f"{where}): the amplification of a realised kernel is random and comes "
                f"from the random Q Kᵀ, not from an 'asymptotically unchanged' κ_d(G); this "
                f"supports the paper's conclusion (amplification persists per draw) but not "
                f"its argument.")
        d = big["dev_expected"]["mean"]
        if d is not None and d > 0.5:
            dis.append(
                f"{ds}: K_h does not concentrate on its expectation as h grows: "
                f"‖K_h − E K_h‖₂/‖E K_h‖₂ = {d:.3g} at h = {big['h']} (mean over seeds); "
                f"the rebuttal's concentration argument does not hold for QKᵀ, which "
                f"tends to a random Gaussian d×d matrix, not to a multiple of I.")
    return {"datasets": datasets, "hs": list(cfg.hs), "classes": cfg.classes,
            "init": "Q, K, V iid N(0, 1/d)" if cfg.std is None else f"iid N(0, {cfg.std}²)",
            "expected_kernel": "E K_h = h² σ⁶ ‖C‖_F² G (exponent 1)",
            "ci_method": stats.mean_ci([0.0, 1.0])["method"].replace("2 seeds",
                                                                      "the seeds"),
            "findings": findings, "disagreements": dis, "verdict": _verdict(datasets)}


def _verdict(datasets: dict[str, Any]) -> dict[str, str]:
    """One sentence on the referee's objection 1 and the paper's rebuttal."""
    exps = [e["exponent_at_largest_h"]["mean"] for e in datasets.values()
            if e.get("exponent_at_largest_h", {}).get("mean") is not None]
    if not exps:
        return verdict("no comparison", "No κ(K_h) exponent could be measured.")
    return verdict("partly reproduced",
                   "Under standard-initialised QKV the mean kernel is ∝ G (exponent 1), so the "
                   "rebuttal's argument fails, while single draws still amplify κ(G) with "
                   f"exponent {fmt(min(exps))}–{fmt(max(exps))} (parameter-free: 3).")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:

    out = []
    for ds, e in summary["datasets"].items():
        fig, (ax1, ax2) = plots.figure(2)
        hs = [p["h"] for p in e["per_h"]]
        m = [p["log10_cond"]["mean"] for p in e["per_h"]]
        lo = [p["log10_cond"]["lo"] for p in e["per_h"]]
        hi = [p["log10_cond"]["hi"] for p in e["per_h"]]
        ax1.plot(hs, m, "o-", label="log10 κ(K_h), mean over seeds")
        ax1.fill_between(hs, lo, hi, alpha=0.25, label="95% t-interval")
        ax1.axhline(e["log10_cond_G_cubed"], color="C3", ls="--", label="log10 κ(G)³ (G³)")
        ax1.axhline(e["log10_cond_G"], color="C2", ls=":", label="log10 κ(G) (E K_h)")
        plots.axes(ax1, xlabel="hidden width h [1]", ylabel="log10 κ(K_h) [1]",
                    title=f"{ds}: condition number of the random-QKV kernel", xlog=True)
        ax2.plot(hs, [p["cos_G"]["mean"] for p in e["per_h"]], "o-", label="cos(K_h, G)")
        ax2.plot(hs, [p["cos_G3"]["mean"] for p in e["per_h"]], "s-", label="cos(K_h, G³)")
        ax2.plot(hs, [p["dev_expected"]["mean"] for p in e["per_h"]], "^-",
                 label="‖K_h − E K_h‖₂/‖E K_h‖₂")
        plots.axes(ax2, xlabel="hidden width h [1]", ylabel="similarity / deviation [1]",
                    title=f"{ds}: which kernel does K_h resemble?", xlog=True)
        out.append(plots.save(fig, fig_dir, f"{NAME}_{ds}"))
    return out


def section(summary: dict[str, Any]) -> str:
    from experiments.tables import table

    parts = [
        f"Random Q, K, V ∈ R^(d×h), {summary['init']}; f(X) = X Q Kᵀ C V, "
        f"K_h = f(X) f(X)ᵀ; classes: {summary['classes']}. Derivation (experiments/qkv.py): "
        f"{summary['expected_kernel']}; as h → ∞, Q Kᵀ/(√h σ²) tends to a Gaussian d×d "
        "matrix A, so K_h/(h²σ⁶) → X A C² Aᵀ Xᵀ stays random. κ is over the numerical rank; "
        f"intervals: {summary['ci_method']}.\n"]
    for ds, e in summary["datasets"].items():
        parts.append(f"\n**{ds}** (n = {e['n']}, d = {e['d']}, rank(G) = {e['rank_G']}; "
                     f"κ_d(G): {e['cond_d_note']})\n\n")
        parts.append(table(
            ["quantity", "value"],
            [["κ(G) over the numerical rank", e["cond_G"]],
             ["log10 κ(G)", e["log10_cond_G"]], ["κ_d(G)", e["cond_d_G"]],
             ["κ(G)³ (parameter-free kernel)", e["cond_G_cubed"]],
             ["κ(K_h) with Q = K = V = I", e["cond_identity_qkv"]],
             ["exponent log κ / log κ(G) with Q = K = V = I", e["exponent_identity_qkv"]]]))
        parts.append("\n")
        parts.append(table(
            ["h", "log10 κ(K_h) mean", "CI lo", "CI hi", "exponent p mean", "p CI lo",
             "p CI hi", "cos(K_h, G)", "cos(K_h, G³)", "‖K_h − E K_h‖/‖E K_h‖",
             "seeds with finite κ over top min(n,d,h)", "log10 κ over top min(n,d,h)"],
            [[p["h"], p["log10_cond"]["mean"], p["log10_cond"]["lo"], p["log10_cond"]["hi"],
              p["exponent"]["mean"], p["exponent"]["lo"], p["exponent"]["hi"],
              p["cos_G"]["mean"], p["cos_G3"]["mean"], p["dev_expected"]["mean"],
              p["cond_top_finite_seeds"], p["log10_cond_top"]["mean"]] for p in e["per_h"]]))
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
