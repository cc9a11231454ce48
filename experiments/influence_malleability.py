"""Experiment 4 -- influence malleability of MLP-Attn vs the two-layer ReLU network.

Definition and estimator: :func:`linattn.malleability.estimate_malleability`.  For
kernel ridge regression with the architecture's infinite-width NTK on training inputs X and
test inputs T, ``I(X) = K(T, X)(K(X, X) + λI)⁻¹``, and

    M(ε) = max_{‖δ_j‖₂ ≤ ε‖x_j‖₂ ∀j} ‖I(X + δ) − I(X)‖_F / ‖I(X)‖_F,

with C rebuilt from the perturbed training inputs for MLP-Attn.  M is estimated from below
by projected gradient ascent (``steps`` steps, ``restarts`` random starts; the best value
seen), and to first order by ε‖J D‖₂/‖I‖_F (a lower estimate) and √n times it (an upper
estimate of the linearisation), J = dI/dX.

Ridge convention: relative, ``λ = ridge · tr K(X, X)/n`` of the unperturbed kernel.  The
attention kernel's scale is ~ (n‖x‖²)² times ReLU's, so one absolute λ would regularise the
two networks incomparably; λ relative to the mean eigenvalue makes the comparison
scale-free.

Speed (exact): every quantity depends on the inputs through inner products only, so X and T
are replaced by their coordinates in an orthonormal basis of the row space of [X; T] plus
n_train zero columns (room for the components of δ orthogonal to that span), see
:mod:`linattn.reduce`; the feasible set and M(ε) are unchanged up to a rotation (the
PGA's random starts are drawn in the reduced space).

What the paper does not say: its text gives neither the attack (norm ball, optimiser,
steps) nor the ridge, the sample sizes or the test set used for the 2–9× figure.  We assume
the per-row relative ℓ2 ball above, PGA, and the sizes in the presets; the ratio
``M_attn / M_relu`` is computed per (dataset, classes, ε, ridge, seed) on the same data
subsample (the seed draws the subsample and the attack's random starts), and summarised by
its mean with a Student-t 95% interval over seeds (and the geometric mean).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import torch

from experiments import plots, stats
from experiments.config import Common, verdict
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import CLASS_SETTINGS, Preprocess, load_split
from linattn.malleability import estimate_malleability
from linattn.reduce import span_coordinates
from pyverify.errors import ConfigError

NAME = "influence_malleability"
TITLE = "Influence malleability: MLP-Attn vs two-layer ReLU (paper: 2–9×)"
CLAIM = "malleability-ratio"
PAPER_RANGE = (2.0, 9.0)
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 12, "n_test": 6, "ridges": (1e-2,), "classes": ("binary",),
              "steps": 3, "power_iters": 3},
    "full": {"n_train": 128, "n_test": 64, "eps": (0.01, 0.05, 0.1), "steps": 30,
             "restarts": 3, "power_iters": 20},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """Sizes, perturbation radii ``eps`` (relative, per row), relative ridges, class
    settings and the attack budget."""

    n_train: int = 64
    n_test: int = 32
    eps: tuple[float, ...] = (0.05,)
    ridges: tuple[float, ...] = (1e-3, 1e-1)
    classes: tuple[str, ...] = CLASS_SETTINGS
    steps: int = 15
    restarts: int = 1
    power_iters: int = 10
    center: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_train < 2 or self.n_test < 1:
            raise ConfigError.for_arg("n_train/n_test", "need n_train >= 2, n_test >= 1",
                                      (self.n_train, self.n_test))
        if not self.eps or min(self.eps) <= 0 or not self.ridges or min(self.ridges) <= 0:
            raise ConfigError.for_arg("eps/ridges", "must be non-empty and > 0",
                                      (self.eps, self.ridges))
        bad = [c for c in self.classes if c not in CLASS_SETTINGS]
        if bad or not self.classes:
            raise ConfigError.for_arg("classes", f"must be among {CLASS_SETTINGS}",
                                      self.classes)



def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, ds, cls_, seed, cfg.n_train,
                 (("eps", eps), ("ridge", ridge), ("n_test", cfg.n_test)))
            for ds in cfg.datasets for cls_ in cfg.classes for eps in cfg.eps
            for ridge in cfg.ridges for seed in cfg.seeds]


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    tr, te = load_split(unit.dataset, classes=unit.setting, n=cfg.n_train, n_test=cfg.n_test,
                        seed=unit.seed, preprocess=Preprocess(center=cfg.center),
                        data_dir=cfg.data_dir)
    (X, T), red = span_coordinates(torch.as_tensor(tr.X), torch.as_tensor(te.X),
                                   pad=cfg.n_train)
    out: dict[str, Any] = {"reduction": red}
    for arch in ("relu", "mlp_attn"):
        r = estimate_malleability(X, T, arch=arch, eps=unit.param("eps"), ridge=unit.param("ridge"),
                         steps=cfg.steps, restarts=cfg.restarts, seed=unit.seed,
                         power_iters=cfg.power_iters, relative_ridge=True)
        out[arch] = {"value": r.value, "first_order": r.first_order,
                     "first_order_upper": r.first_order_upper, "ridge_abs": r.ridge_abs,
                     "base_norm": r.base_norm, "per_restart": list(r.per_restart),
                     "cond": r.cond}
    out["ratio"] = out["mlp_attn"]["value"] / out["relu"]["value"]
    fr, fa = out["relu"]["first_order"], out["mlp_attn"]["first_order"]
    out["ratio_first_order"] = fa / fr if fr else None
    return out


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str, float, float], list[dict[str, Any]]] = {}
    for rec in records:
        u = rec["unit"]
        key = (u["dataset"], u["setting"], u["params"]["eps"], u["params"]["ridge"])
        groups.setdefault(key, []).append(rec["result"])
    rows = []
    for (ds, cls_, eps, ridge), res in groups.items():
        ratios = [r["ratio"] for r in res]
        logs = [math.log(x) for x in ratios if x > 0]
        gm = math.exp(sum(logs) / len(logs)) if logs else None
        rows.append({
            "dataset": ds, "classes": cls_, "eps": eps, "ridge": ridge,
            "M_relu": stats.mean_ci([r["relu"]["value"] for r in res]),
            "M_attn": stats.mean_ci([r["mlp_attn"]["value"] for r in res]),
            "ratio": stats.mean_ci(ratios), "ratio_geomean": gm,
            "ratio_per_seed": ratios,
            "ratio_first_order": stats.mean_ci([r["ratio_first_order"] for r in res]),
            "first_order_relu": stats.mean_ci([r["relu"]["first_order"] for r in res]),
            "first_order_attn": stats.mean_ci([r["mlp_attn"]["first_order"] for r in res]),
            "cond_relu": max(r["relu"]["cond"] for r in res),
            "cond_attn": max(r["mlp_attn"]["cond"] for r in res),
            "ridge_abs_relu": res[0]["relu"]["ridge_abs"],
            "ridge_abs_attn": res[0]["mlp_attn"]["ridge_abs"],
        })
    all_ratios = [x for row in rows for x in row["ratio_per_seed"]]
    overall = {"min": min(all_ratios), "max": max(all_ratios),
               "mean": stats.mean_ci(all_ratios)["mean"]} if all_ratios else None
    dis = []
    lo, hi = PAPER_RANGE
    for row in rows:
        r = row["ratio"]
        if r["hi"] is not None and r["hi"] < lo:
            dis.append(f"{row['dataset']}, {row['classes']}, ε = {row['eps']:g}, relative "
                       f"ridge {row['ridge']:g}: M_attn/M_relu = {r['mean']:.3g} (95% CI "
                       f"{r['lo']:.3g}–{r['hi']:.3g}), below the paper's 2–9×.")
        elif r["lo"] is not None and r["lo"] > hi:
            dis.append(f"{row['dataset']}, {row['classes']}, ε = {row['eps']:g}, relative "
                       f"ridge {row['ridge']:g}: M_attn/M_relu = {r['mean']:.3g} (95% CI "
                       f"{r['lo']:.3g}–{r['hi']:.3g}), above the paper's 2–9×.")
    findings = []
    if overall:
        findings.append(f"Over all settings and seeds M_attn/M_relu ranges {overall['min']:.3g}"
                        f"–{overall['max']:.3g} (mean {overall['mean']:.3g}); paper: 2–9×.")
    for rdg in sorted({row["ridge"] for row in rows}):
        sel = [row["ratio"]["mean"] for row in rows if row["ridge"] == rdg]
        findings.append(f"relative ridge {rdg:g}: mean ratio over settings "
                        f"{sum(sel) / len(sel):.3g} ({len(sel)} settings).")
    return {"rows": rows, "overall_ratio": overall, "findings": findings,
            "paper_range": list(PAPER_RANGE),
            "n_train": cfg.n_train, "n_test": cfg.n_test, "steps": cfg.steps,
            "restarts": cfg.restarts,
            "ridge_convention": "relative: λ = ridge · tr K(X,X)/n of the unperturbed kernel",
            "attack": "per-row ball ‖δ_j‖₂ ≤ ε‖x_j‖₂, projected gradient ascent on "
                      "‖I(X+δ) − I(X)‖_F/‖I(X)‖_F (assumed: the paper does not specify it)",
            "ci_method": "Student-t 95% over seeds (seed = data subsample and attack starts)",
            "disagreements": dis, "verdict": _verdict(rows, overall)}


def _verdict(rows: list[dict[str, Any]], overall: dict[str, Any] | None) -> dict[str, str]:
    """One sentence on the malleability-ratio claim (the paper: 2–9×)."""
    if not overall:
        return verdict("no comparison", "No malleability ratio was measured.")
    lo, hi = PAPER_RANGE
    inside = sum(1 for r in rows if r["ratio"]["mean"] is not None
                 and lo <= r["ratio"]["mean"] <= hi)
    status = ("reproduced" if inside == len(rows) else
              "partly reproduced" if inside else "not reproduced")
    return verdict(status, f"M_attn/M_relu lies in the paper's 2–9× in {inside} of {len(rows)} "
                   f"settings (per-seed range {fmt(overall['min'])}–{fmt(overall['max'])}, "
                   f"mean {fmt(overall['mean'])}).")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:

    rows = summary["rows"]
    if not rows:
        return []
    fig, (ax,) = plots.figure(1, width=7.0)
    labels = [f"{r['dataset']}/{r['classes']}\nε={r['eps']:g}, λ={r['ridge']:g}" for r in rows]
    xs = list(range(len(rows)))
    mean = [r["ratio"]["mean"] for r in rows]
    err = [[m - r["ratio"]["lo"] for m, r in zip(mean, rows, strict=True)],
           [r["ratio"]["hi"] - m for m, r in zip(mean, rows, strict=True)]]
    ax.errorbar(xs, mean, yerr=err, fmt="o", capsize=3, label="PGA ratio (mean, 95% CI)")
    ax.plot(xs, [r["ratio_first_order"]["mean"] for r in rows], "s", mfc="none",
            label="first-order ratio (mean)")
    lo, hi = summary["paper_range"]
    ax.axhspan(lo, hi, color="C2", alpha=0.15, label="paper: 2–9×")
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=6, rotation=60, ha="right")
    plots.axes(ax, xlabel="setting [dataset/classes, ε, relative ridge]",
                ylabel="M_attn / M_relu [1]", title="Influence malleability ratio", ylog=True)
    return [plots.save(fig, fig_dir, NAME)]


def section(summary: dict[str, Any]) -> str:

    parts = [f"Attack: {summary['attack']}; {summary['steps']} steps × {summary['restarts']} "
             f"restart(s). Ridge: {summary['ridge_convention']}. n_train = "
             f"{summary['n_train']}, n_test = {summary['n_test']}. Intervals: "
             f"{summary['ci_method']}. The paper reports 2–9× without stating its attack, "
             "ridge or sample sizes.\n\n"]
    parts.append(table(
        ["dataset", "classes", "ε", "ridge (rel.)", "M_relu", "M_attn", "ratio mean",
         "CI lo", "CI hi", "geo. mean", "first-order ratio"],
        [[r["dataset"], r["classes"], r["eps"], r["ridge"], r["M_relu"]["mean"],
          r["M_attn"]["mean"], r["ratio"]["mean"], r["ratio"]["lo"], r["ratio"]["hi"],
          r["ratio_geomean"], r["ratio_first_order"]["mean"]] for r in summary["rows"]]))
    o = summary["overall_ratio"]
    if o:
        parts.append("\n" + table(["all settings and seeds", "min ratio", "max ratio",
                                   "mean ratio"], [["ours", o["min"], o["max"], o["mean"]],
                                                   ["paper", *summary["paper_range"], None]]))
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
