"""Experiment 6: the cubing step in finite precision (the referee's second objection).

Theorem 4.7 says kappa(G^3) = kappa(G)^3 exactly (2-norm, G = X X^T SPD).  In floating
point the two sides are computed differently and fail at very different kappa:

* "formed G³": G3 = G @ G @ G in the working precision, then ``eigvalsh(G3)`` and
  lambda_max / lambda_min.  First-order perturbation (Weyl + backward-stable eigh, the
  ``cube_rtol`` rule of ``pyverify.tolerance``): the relative error of lambda_min(G^3),
  hence of kappa(G^3), is about n eps kappa(G^3) = n eps kappa(G)^3; bound used:
  ``cube_rtol(dtype, n, kappa(G)^3)`` = SAFETY 3 n eps kappa(G)^3.
* "κ(G)³": ``eigvalsh(G)`` then (lambda_max / lambda_min)^3; bound: 3 x
  ``cond_rtol(dtype, n, kappa(G))`` (a relative error e of kappa becomes ~3e in kappa^3).

Reference: ``pyverify.spectrum.spectral_stats`` at 50 digits on the same float64 X
(converted exactly), kappa(G^3) from the eigenvalues of the exact matrix G^3.  Inputs:
synthetic X = U diag(s) V^T (n, d) with U, V random orthonormal and s geometric so that
kappa(G) = (s_1/s_n)^2 takes the values ``kappas``, and a real subset of each dataset.
A computation "breaks down" at a kappa(G) where its relative error is >= ``BREAKDOWN``
(less than one correct digit) or lambda_min <= 0 (kappa undefined).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import plots
from experiments.config import Common, opt, verdict
from experiments.runner import Unit
from experiments.tables import fmt, table
from pyverify.errors import ConfigError
from pyverify.tolerance import SAFETY, cond_rtol, cube_rtol

NAME = "cubing_precision"
TITLE = "The cubing step in finite precision: κ(G³) vs κ(G)³ (referee objection 2)"
CLAIM = "cond-amplification"
DTYPES = ("float32", "float64")
METHODS = ("formed G³", "κ(G)³")
BREAKDOWN = 0.1
"""Relative error of kappa(G^3) at or above which a computation counts as broken down."""

PRESETS = {
    "smoke": {"n": 8, "d": 12, "kappas": (1e1, 1e3, 1e5), "max_seeds": 1, "n_real": 8},
    "full": {"n": 32, "d": 48, "kappas": tuple(10.0 ** (k / 4) for k in range(4, 25)),
             "max_seeds": 3, "n_real": 32},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """Synthetic X: (n, d) with kappa(G) in ``kappas``; real subsets of ``n_real`` images."""

    n: int = opt(24, 'rows of the synthetic X (n <= d, so G is nonsingular)')
    d: int = opt(32, 'columns of the synthetic X')
    kappas: tuple[float, ...] = opt(
        tuple(10.0 ** (k / 2) for k in range(2, 13)),
        'target 2-norm condition numbers kappa(G) of the synthetic X')
    max_seeds: int = opt(2, 'seeds per target kappa')
    n_real: int = opt(24, 'images of each real subset')
    dps: int = opt(50, 'decimal digits of the mpmath reference')

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 2 <= self.n <= self.d:
            raise ConfigError.for_arg("n", "must satisfy 2 <= n <= d (G nonsingular)",
                                      (self.n, self.d))
        if not self.kappas or min(self.kappas) < 1:
            raise ConfigError.for_arg("kappas", "must be condition numbers >= 1", self.kappas)
        if self.n_real < 2 or self.max_seeds < 1:
            raise ConfigError.for_arg("n_real/max_seeds", "must be >= 2 / >= 1",
                                      (self.n_real, self.max_seeds))



def plan(cfg: Config) -> list[Unit]:
    """Synthetic units (kappa x seed) then one real unit per dataset."""
    units = [Unit(NAME, "synthetic", "kappa", s, cfg.n, (("kappa", float(k)), ("d", cfg.d)))
             for k in cfg.kappas for s in cfg.seeds[: cfg.max_seeds]]
    units += [Unit(NAME, ds, "real", cfg.seeds[0], cfg.n_real) for ds in cfg.datasets]
    return units


def synthetic(n: int, d: int, kappa: float, seed: int) -> np.ndarray:
    """X = U diag(s) V^T, (n, d), U (n, n) and V (d, n) random orthonormal (QR of Gaussian
    matrices, ``numpy.random.default_rng(seed)``), s geometric from 1 to kappa^(-1/2), so
    kappa(G) = kappa up to the rounding of X."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((d, n)))
    s = np.geomspace(1.0, kappa ** -0.5, n)
    return (U * s) @ V.T


def _kappa(ev: np.ndarray) -> float:
    lo, hi = float(ev[0]), float(ev[-1])
    return hi / lo if lo > 0 else math.inf


def float_conds(X: np.ndarray, dtype: str, device: str = "cpu") -> dict[str, float]:
    """kappa(G^3) by both methods in ``dtype`` on ``device`` (inf when lambda_min <= 0)."""
    import torch

    Xt = torch.as_tensor(X, dtype=getattr(torch, dtype), device=device)
    G = Xt @ Xt.T
    k = _kappa(torch.linalg.eigvalsh(G).cpu().numpy())
    return {"formed G³": _kappa(torch.linalg.eigvalsh(G @ G @ G).cpu().numpy()),
            "κ(G)³": k**3 if math.isfinite(k) else math.inf}


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    """Reference kappa at 50 digits and the float32/float64 estimates with their bounds."""
    from pyverify.spectrum import spectral_stats

    if unit.setting == "kappa":
        X = synthetic(unit.size, int(unit.param("d")), float(unit.param("kappa")), unit.seed)
    else:
        from linattn.data import load_dataset

        X = load_dataset(unit.dataset, split="train", classes="10class", n=unit.size,
                         seed=unit.seed, data_dir=cfg.data_dir).X
    n = X.shape[0]
    rep = spectral_stats(X, dps=cfg.dps)
    k, k3 = float(rep.cond), float(rep.cond_cube)
    rows = []
    for dt in DTYPES:
        est = float_conds(X, dt, cfg.device)
        bounds = {"formed G³": cube_rtol(dt, n, min(k**3, 1e300)),
                  "κ(G)³": 3 * cond_rtol(dt, n, k)}
        for m in METHODS:
            err = abs(est[m] - k3) / k3 if math.isfinite(est[m]) else math.inf
            status = "vacuous" if bounds[m] >= 1 else ("yes" if err <= bounds[m] else "NO")
            rows.append({"dtype": dt, "method": m, "estimate": est[m], "rel_error": err,
                         "bound": bounds[m], "within_bound": status,
                         "broken": not err < BREAKDOWN})
    return {"n": n, "d": int(X.shape[1]), "rank": rep.rank, "cond_mp": k, "cond_cube_mp": k3,
            "rows": rows}


def _breakdown(points: list[tuple[float, bool]]) -> float:
    broken = [k for k, b in sorted(points) if b]
    return broken[0] if broken else math.inf


def summarize(cfg: Config, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Worst error over seeds per (kappa, dtype, method); breakdown kappa; real subsets."""
    worst: dict[tuple, dict[str, Any]] = {}
    real = []
    for rec in records:
        u, res = rec["unit"], rec["result"]
        for row in res["rows"]:
            err = math.inf if row["rel_error"] == "inf" else row["rel_error"]
            if u["setting"] == "real":
                real.append({"dataset": u["dataset"], "n": res["n"], "d": res["d"],
                             "cond_mp": res["cond_mp"], "cond_cube_mp": res["cond_cube_mp"],
                             **row})
                continue
            key = (u["params"]["kappa"], row["dtype"], row["method"])
            cur = worst.get(key)
            cur_err = None if cur is None else cur["rel_error"]
            if cur is None or err > (math.inf if cur_err == "inf" else cur_err):
                worst[key] = {"kappa_target": u["params"]["kappa"], "cond_mp": res["cond_mp"],
                              **row}
    rows = sorted(worst.values(), key=lambda r: (r["dtype"], r["method"], r["kappa_target"]))
    breakdown = []
    for dt in DTYPES:
        for m in METHODS:
            sel = [r for r in rows if r["dtype"] == dt and r["method"] == m]
            bnd = [(r["cond_mp"], r["bound"] >= BREAKDOWN) for r in sel]
            breakdown.append({"dtype": dt, "method": m,
                              "measured_kappa": _breakdown([(r["cond_mp"], r["broken"])
                                                            for r in sel]),
                              "predicted_kappa": _breakdown(bnd),
                              "within_bound": sum(r["within_bound"] == "yes" for r in sel),
                              "informative": sum(r["within_bound"] != "vacuous" for r in sel),
                              "points": len(sel)})
    outside = [r for r in rows + real if r["within_bound"] == "NO"]
    dis = [f"{r['dtype']} {r['method']} at κ(G) = {fmt(r['cond_mp'])}: relative error "
           f"{fmt(r['rel_error'])} exceeds the first-order bound {fmt(r['bound'])}."
           for r in outside]
    findings = []
    for b in breakdown:
        k = b["measured_kappa"]
        if b["method"] == "formed G³" and math.isfinite(k):
            findings.append(f"{b['dtype']}: κ(G³) from the eigenvalues of the formed G³ has "
                            f"less than one correct digit from κ(G) ≈ {fmt(k)} on (κ(G³) ≈ "
                            f"{fmt(k ** 3)}); compute κ(G³) as κ(G)³ or at high precision.")
    f64 = next((b for b in breakdown if b["dtype"] == "float64"
                and b["method"] == "formed G³"), None)
    f32 = next((b for b in breakdown if b["dtype"] == "float32"
                and b["method"] == "formed G³"), None)
    where = ", ".join(f"{b['dtype']} from κ(G) ≈ {fmt(b['measured_kappa'])}"
                      for b in (f32, f64) if b is not None and math.isfinite(b["measured_kappa"]))
    v = verdict("reproduced" if not dis else "partly reproduced",
                "κ(G³) = κ(G)³ holds at 50 digits; in floating point, cubing κ(G) keeps it "
                "within its bound, while taking eigenvalues of the formed G³ loses every digit "
                f"({where or 'not within the κ range tested'}), as the referee feared.")
    return {"rows": rows, "real": real, "breakdown": breakdown, "breakdown_threshold": BREAKDOWN,
            "findings": findings, "safety": SAFETY, "verdict": v,
            "n": cfg.n, "d": cfg.d, "disagreements": dis,
            "paper": "κ(G³) = κ(G)³ (Theorem 4.7), no error bound given"}


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    """Relative error of kappa(G^3) vs kappa(G), measured (markers) and bound (dashed)."""
    rows = summary["rows"]
    if not rows:
        return []
    fig, (ax,) = plots.figure(width=6.5, height=4.5)
    colors = {"float32": "tab:red", "float64": "tab:blue"}
    for dt in DTYPES:
        for m, mk in zip(METHODS, ("o", "^"), strict=True):
            sel = [r for r in rows if r["dtype"] == dt and r["method"] == m]
            x = [r["cond_mp"] for r in sel]
            err = [1e3 if r["rel_error"] == "inf" else max(r["rel_error"], 1e-17) for r in sel]
            plots.series(ax, x, err, label=f"{dt}, {m}", marker=mk, color=colors[dt],
                          ls="-" if m == METHODS[0] else ":")
            plots.series(ax, x, [r["bound"] for r in sel], label=f"bound {dt}, {m}",
                          color=colors[dt], ls="--", lw=0.8, alpha=0.6)
    ax.axhline(summary["breakdown_threshold"], color="k", lw=0.8, ls="-.",
               label="breakdown (no correct digit)")
    ax.set_ylim(1e-17, 1e4)
    plots.axes(ax, xlabel="κ(G) (50-digit reference) [1]",
                ylabel="relative error of κ(G³) [1]", xlog=True, ylog=True,
                title=f"Synthetic X (n = {summary['n']}, d = {summary['d']}); errors "
                      "≥ 1e3 plotted at 1e3 (λ_min ≤ 0)")
    return [plots.save(fig, fig_dir, "cubing_precision")]


def section(summary: dict[str, Any]) -> str:
    """Markdown: breakdown table, real subsets, full synthetic table."""
    bd = [[b["dtype"], b["method"], b["measured_kappa"], b["predicted_kappa"],
           b["within_bound"], b["informative"], b["points"]] for b in summary["breakdown"]]
    real = [[r["dataset"], r["n"], r["d"], r["cond_mp"], r["cond_cube_mp"], r["dtype"],
             r["method"], r["estimate"], r["rel_error"], r["bound"],
             "broken" if r["broken"] else "ok"] for r in summary["real"]]
    syn = [[r["kappa_target"], r["cond_mp"], r["dtype"], r["method"], r["estimate"],
            r["rel_error"], r["bound"], r["within_bound"]]
           for r in summary["rows"]]
    out = [f"Paper: {summary['paper']}.  The identity is exact (checked at 50 digits in the "
           "spectral table); the question is how well each floating-point route computes it. "
           f"Breakdown: smallest κ(G) tested with relative error ≥ "
           f"{fmt(summary['breakdown_threshold'])} or λ_min ≤ 0 (`inf`: none up to the "
           "largest κ tested); predicted: where the first-order bound reaches that level.\n\n",
           table(["dtype", "method", "breakdown κ(G) measured", "predicted by bound",
                  "points within bound", "points with bound < 1", "points"], bd),
           "\nA bound ≥ 1 is vacuous (it allows no correct digit) and is not counted.  The "
           f"bounds carry the tolerance table's safety factor ({fmt(summary['safety'])}), so "
           "the predicted breakdown is pessimistic.\n\n"]
    out += ["Real subsets (10 classes, pixels in [0, 1]):\n\n",
            table(["dataset", "n", "d", "κ(G) (50 digits)", "κ(G³) (50 digits)", "dtype",
                   "method", "computed κ(G³)", "rel. error", "bound", "status"], real), "\n",
            "Synthetic matrices (worst over seeds):\n\n",
            table(["target κ(G)", "κ(G) (50 digits)", "dtype", "method", "computed κ(G³)",
                   "rel. error", "bound", "within bound"], syn), "\n"]
    return "".join(out)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
