"""Experiment 4b -- the sensitivity gap against n and λ₁(G) (claim ``malleability-ratio``).

The paper's sensitivity analysis (with one ridge λ shared by both networks) bounds
S_att = O(n ‖G‖₂ ‖y‖ / λ²) and S_relu = O(‖y‖ / λ²), so that the gap
S_att / S_relu = O(n λ₁(G)) "grows with both dataset size and spectral concentration"
(G = X Xᵀ, λ₁ its largest eigenvalue).  Here the measured gap is the malleability ratio
M_attn / M_relu (:mod:`linattn.malleability`, threat ``l2-row`` at ``eps``, in the span
coordinates of :mod:`linattn.reduce`), both by projected gradient ascent and to first order
(ε‖JD‖₂/‖I‖_F, power iteration), at training sizes ``sizes`` of every dataset (class
setting ``classes``; sizes above the rows a split has are clamped, with a note), for each
ridge of ``ridges`` (the shared ``absolute`` one the paper presumes, and a ``relative`` one
for contrast).

Fits, per ridge convention and estimator, pooled over datasets and sizes (one point per
(dataset, n) = the mean over seeds): log10 ratio = a + b log10(n λ₁(G)) (least squares,
:func:`experiments.stats.loglog_fit`; 95% interval b ± t_{0.975, k−2} se_b), and per
dataset the slope against n alone.  The paper's bound is exponent 1 in n λ₁(G); "grows"
means b's interval lies above 0.  Caveat: the paper's S is an absolute sensitivity, M is
relative to ‖I(X)‖_F (so a kernel's overall scale cancels); both compare the same
perturbation of the same data under one shared λ.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import torch
from scipy import stats as sps

from experiments import plots, stats
from experiments.config import Common, opt, verdict
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import Preprocess, load_dataset, load_split
from linattn.malleability import ARCHS, malleability_sweep
from linattn.reduce import span_coordinates
from linattn.spectrum import spectral_stats
from linattn.threats import Threat
from pyverify.errors import ConfigError, KernelHealthError

NAME = "malleability_gap"
TITLE = "Sensitivity gap: M_attn/M_relu against n and λ₁(G) (paper: O(n λ₁(G)))"
CLAIM = "malleability-ratio"
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"sizes": (12, 24), "n_test": 6, "steps": 3, "init_samples": 2,
              "power_iters": 3},
    "full": {"sizes": (64, 128, 256, 512, 1024), "steps": 12,
             "init_samples": 4, "power_iters": 8},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """Training sizes, the class setting, the l2-row radius, the ridges ((mode, value):
    absolute in the kernel units of pixels in [0, 1]) and the attack budget."""

    sizes: tuple[int, ...] = opt((64, 128, 256), "training-set sizes n (the gap's growth in n)")
    n_test: int = opt(32, "test rows (influence columns)")
    classes: str = opt("10class", "class setting: binary, 5class or 10class")
    eps: float = opt(0.05, "l2-row budget ε: ‖δ_j‖₂ ≤ ε ‖x_j‖₂")
    ridges: tuple[tuple[str, float], ...] = opt((("absolute", 1.0), ("relative", 1e-3)),
                                                "(mode, ridge) pairs; mode relative (× tr K / n) "
                                                "or absolute (shared)")
    steps: int = opt(8, "projected-gradient ascent steps")
    init_samples: int = opt(3, "random starts screened before the ascent")
    power_iters: int = opt(6, "power iterations of the first-order sensitivity")

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.sizes) < 2 or min(self.sizes) < 2 or self.n_test < 1:
            raise ConfigError.for_arg("sizes/n_test", "need >= 2 sizes >= 2 and n_test >= 1",
                                      (self.sizes, self.n_test))
        if not (self.eps > 0 and self.ridges and all(
                m in ("relative", "absolute") and r > 0 for m, r in self.ridges)):
            raise ConfigError.for_arg("eps/ridges", "need eps > 0 and (mode, ridge > 0) pairs",
                                      (self.eps, self.ridges))


def fit_sizes(dataset: str, classes: str, n: int, n_test: int, data_dir: str | None
              ) -> tuple[int, int, str]:
    """``(n, n_test, note)`` clamped to the rows of ``classes`` in each split of
    ``dataset`` (note "" when nothing was clamped)."""
    avail = [load_dataset(dataset, split=s, classes=classes, data_dir=data_dir).n
             for s in ("train", "test")]
    m, mt = min(n, avail[0]), min(n_test, avail[1])
    note = "" if (m, mt) == (n, n_test) else (
        f"{dataset}/{classes}: n_train {n} -> {m}, n_test {n_test} -> {mt} (rows available: "
        f"{avail[0]} train, {avail[1]} test)")
    return m, mt, note


def plan(cfg: Config) -> list[Unit]:
    units = []
    for ds in cfg.datasets:
        done = set()
        for size in cfg.sizes:
            n, nt, note = fit_sizes(ds, cfg.classes, size, cfg.n_test, cfg.data_dir)
            if n in done:
                continue
            done.add(n)
            units += [Unit(NAME, ds, cfg.classes, seed, n,
                           (("ridge_mode", m), ("ridge", r), ("n_test", nt),
                            ("clamp_note", note)))
                      for m, r in cfg.ridges for seed in cfg.seeds]
    return units


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    tr, te = load_split(unit.dataset, classes=unit.setting, n=unit.size,
                        n_test=unit.param("n_test"), seed=unit.seed, preprocess=Preprocess(),
                        data_dir=cfg.data_dir)
    X, T = torch.as_tensor(tr.X), torch.as_tensor(te.X)
    lam1 = float(spectral_stats(X).eigenvalues[0])
    (Xr, Tr), red = span_coordinates(X, T, pad=X.shape[0])
    out: dict[str, Any] = {"n_train": X.shape[0], "lambda1_G": lam1, "reduction": red}
    for arch in ARCHS:
        try:
            sw = malleability_sweep(Xr, Tr, arch=arch, ridge=unit.param("ridge"),
                                    ridge_mode=unit.param("ridge_mode"),
                                    threats=[Threat("l2-row", cfg.eps, box=None)],
                                    topk=min(10, X.shape[0] - 1),
                                    steps=cfg.steps, init_samples=cfg.init_samples,
                                    seed=unit.seed, first_order=True,
                                    power_iters=cfg.power_iters)
        except KernelHealthError as exc:
            out[arch] = {"gate": exc.check, "cond_failed": exc.value}
            continue
        a = sw.attacks[0]
        out[arch] = {"value": a.value, "first_order": a.first_order, "cond": sw.cond,
                     "ridge_abs": sw.ridge_abs, "topk_jaccard": a.topk_jaccard}
    ok = all("value" in out[a] for a in ARCHS)
    out["ratio"] = out["mlp_attn"]["value"] / out["relu"]["value"] if ok else None
    out["ratio_first_order"] = (out["mlp_attn"]["first_order"] / out["relu"]["first_order"]
                                if ok and out["relu"]["first_order"] else None)
    return out


def _fit(x: list[float], y: list[float]) -> dict[str, Any]:
    f = stats.loglog_fit(x, y)
    b, se, k = f["slope"], f["se_slope"], f["k"]
    half = None if se is None else float(sps.t.ppf(0.975, k - 2)) * se
    return {"slope": b, "slope_lo": None if half is None else b - half,
            "slope_hi": None if half is None else b + half, "intercept": f["intercept"],
            "k": k}


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    notes = []
    for rec in records:
        u, p = rec["unit"], rec["unit"]["params"]
        if p["clamp_note"] and p["clamp_note"] not in notes:
            notes.append(p["clamp_note"])
        groups.setdefault((u["dataset"], p["ridge_mode"], p["ridge"], u["size"]),
                          []).append(rec["result"])
    rows = []
    for (ds, mode, ridge, n), res in groups.items():
        r = stats.mean_ci([x["ratio"] for x in res])
        f = stats.mean_ci([x["ratio_first_order"] for x in res])
        lam1 = stats.mean_ci([x["lambda1_G"] for x in res])["mean"]
        jac = {tag: stats.mean_ci([x[a].get("topk_jaccard") for x in res])["mean"]
               for a, tag in (("relu", "relu"), ("mlp_attn", "attn"))}
        rows.append({"dataset": ds, "threat": "l2-row", "ridge_mode": mode, "ridge": ridge,
                     "n": n, "topk_jaccard_attn": jac["attn"], "topk_jaccard_relu": jac["relu"],
                     "lambda1_G": lam1, "n_lambda1": n * lam1,
                     "ratio": r["mean"], "ratio_lo": r["lo"], "ratio_hi": r["hi"],
                     "ratio_first_order": f["mean"], "ratio_first_order_lo": f["lo"],
                     "ratio_first_order_hi": f["hi"],
                     "gate_failures": sum(x["ratio"] is None for x in res),
                     **{f"cond_{tag}": max((x[a]["cond"] for x in res if "cond" in x[a]),
                                           default=None)
                        for a, tag in (("relu", "relu"), ("mlp_attn", "attn"))}})
    fits = []
    for mode, ridge in {(r["ridge_mode"], r["ridge"]) for r in rows}:
        sel = [r for r in rows if r["ridge_mode"] == mode and r["ridge"] == ridge]
        for est in ("ratio", "ratio_first_order"):
            pooled = _fit([r["n_lambda1"] for r in sel], [r[est] for r in sel])
            fits.append({"ridge_mode": mode, "ridge": ridge, "estimator": est,
                         "against": "n·λ₁(G)", "dataset": "all", **pooled})
            for ds in sorted({r["dataset"] for r in sel}):
                s2 = [r for r in sel if r["dataset"] == ds]
                fits.append({"ridge_mode": mode, "ridge": ridge, "estimator": est,
                             "against": "n", "dataset": ds,
                             **_fit([r["n"] for r in s2], [r[est] for r in s2])})
    fits.sort(key=lambda f: (f["ridge_mode"], f["estimator"], f["against"], f["dataset"]))
    return {"rows": sorted(rows, key=lambda r: (r["ridge_mode"], r["dataset"], r["n"])),
            "fits": fits, "clamp_notes": notes, "eps": cfg.eps, "classes": cfg.classes,
            "findings": _findings(fits), "disagreements": _disagreements(fits),
            "verdict": _verdict(fits)}


def _pooled(fits: list[dict[str, Any]], mode: str, est: str = "ratio") -> dict | None:
    return next((f for f in fits if f["ridge_mode"] == mode and f["estimator"] == est
                 and f["dataset"] == "all"), None)


def _findings(fits: list[dict[str, Any]]) -> list[str]:
    out = []
    for f in fits:
        if f["dataset"] == "all" and f["slope"] is not None:
            out.append(f"{f['ridge_mode']} ridge {fmt(f['ridge'])}, {f['estimator']}: "
                       f"log-log slope against n·λ₁(G) {fmt(f['slope'])} (95% CI "
                       f"{fmt(f['slope_lo'])} to {fmt(f['slope_hi'])}, {f['k']} points); "
                       "paper's bound: 1.")
    return out


def _disagreements(fits: list[dict[str, Any]]) -> list[str]:
    f = _pooled(fits, "absolute")
    if f is None or f["slope_lo"] is None:
        return []
    if f["slope_hi"] < 0 or f["slope_lo"] <= 0:
        return [f"With a shared absolute ridge the PGA ratio does not grow with n·λ₁(G) "
                f"(slope {fmt(f['slope'])}, CI {fmt(f['slope_lo'])} to {fmt(f['slope_hi'])})"
                ", whereas the paper's gap O(n λ₁(G)) is said to grow with n and λ₁(G)."]
    if f["slope_lo"] > 1:
        return [f"The PGA ratio grows faster than the paper's O(n λ₁(G)) (slope "
                f"{fmt(f['slope'])}, CI {fmt(f['slope_lo'])} to {fmt(f['slope_hi'])})."]
    return []


def _verdict(fits: list[dict[str, Any]]) -> dict[str, str]:
    f = _pooled(fits, "absolute")
    if f is None or f["slope_lo"] is None:
        return verdict("no comparison", "Too few sizes to fit the growth of the gap.")
    grows, bounded = f["slope_lo"] > 0, f["slope_lo"] <= 1
    status = ("reproduced" if grows and bounded else "partly reproduced" if grows
              else "not reproduced")
    return verdict(status, f"With one shared absolute ridge ({fmt(f['ridge'])}) M_attn/M_relu "
                   f"scales as (n·λ₁(G))^{fmt(f['slope'])} (95% CI {fmt(f['slope_lo'])} to "
                   f"{fmt(f['slope_hi'])}) against the paper's O(n λ₁(G)).")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    rows = summary["rows"]
    if not rows:
        return []
    modes = sorted({r["ridge_mode"] for r in rows})
    fig, axs = plots.figure(len(modes), width=4.6)
    for ax, mode in zip(axs, modes, strict=True):
        for i, ds in enumerate(sorted({r["dataset"] for r in rows})):
            sel = [r for r in rows if r["ridge_mode"] == mode and r["dataset"] == ds]
            x = [r["n_lambda1"] for r in sel]
            plots.series(ax, x, [r["ratio"] for r in sel], label=f"{ds} PGA", marker="o",
                         color=f"C{i}")
            plots.series(ax, x, [r["ratio_first_order"] for r in sel], label=f"{ds} 1st order",
                         marker="s", ls="--", mfc="none", color=f"C{i}")
        xs = [r["n_lambda1"] for r in rows if r["ridge_mode"] == mode]
        ys = [r["ratio"] for r in rows if r["ridge_mode"] == mode and r["ratio"]]
        if xs and ys:
            x0, y0 = min(xs), min(ys)
            ax.plot([x0, max(xs)], [y0, y0 * max(xs) / x0], "k:", label="slope 1 (paper)")
        plots.axes(ax, xlabel="n·λ₁(G) [pixel²]", ylabel="M_attn / M_relu [1]",
                   title=f"{mode} ridge", xlog=True, ylog=True)
    return [plots.save(fig, fig_dir, NAME)]


def section(summary: dict[str, Any]) -> str:
    parts = [f"Threat l2-row at ε = {fmt(summary['eps'])}, classes {summary['classes']}; "
             "ratio mean over seeds (Student-t 95% CI); first order = ε‖JD‖₂/‖I‖_F. M is "
             "relative to ‖I(X)‖_F, the paper's S an absolute sensitivity. "
             f"Clamped sizes: {'; '.join(summary['clamp_notes']) or 'none'}.\n\n"]
    parts.append(table(["ridge", "dataset", "n", "λ₁(G)", "n·λ₁(G)", "ratio (PGA)", "CI lo",
                        "CI hi", "ratio (1st order)", "gate failures"],
                       [[f"{r['ridge_mode']} {fmt(r['ridge'])}", r["dataset"], r["n"],
                         r["lambda1_G"], r["n_lambda1"], r["ratio"], r["ratio_lo"],
                         r["ratio_hi"], r["ratio_first_order"], r["gate_failures"]]
                        for r in summary["rows"]]))
    parts.append("\n" + table(["ridge", "estimator", "against", "dataset", "slope", "CI lo",
                               "CI hi", "points"],
                              [[f"{f['ridge_mode']} {fmt(f['ridge'])}", f["estimator"],
                                f["against"], f["dataset"], f["slope"], f["slope_lo"],
                                f["slope_hi"], f["k"]] for f in summary["fits"]]))
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
