"""Experiment 4 -- influence malleability of MLP-Attn vs the two-layer ReLU network under the
paper's threat models (claim ``malleability-ratio``; the paper: 2–9×).

Definition and estimator: :mod:`linattn.malleability` (M = max_{δ ∈ B} ‖I(X + δ) − I(X)‖_F
/ ‖I(X)‖_F, I the NTK kernel-ridge influence, by projected gradient ascent).  Ratio
``M_attn / M_relu`` per (dataset, task, threat, budget, ridge, seed) on the same subsample
(the seed draws it, the starts, the targets): mean and Student-t 95% interval over seeds.

Threat models (:mod:`linattn.threats`; pixels in [0, 1]):

* ``l2-row``: ‖δ_j‖₂ ≤ ε‖x_j‖₂ per row, in the span coordinates of :mod:`linattn.reduce`
  (exact: the ball and every kernel are rotation invariant);
* ``linf``: |δ_ja| ≤ ε with x + δ ∈ [0, 1], sign-gradient PGD (Madry et al. 2018), in pixel
  coordinates (the box is not rotation invariant);
* ``poison``: only k rows move (k ∈ {1, 1%, 10%, all} of n), each in the ``linf`` set at
  ``poison_eps``; the attacker takes the k rows with the largest first-order gain of the
  objective at its random start (``linattn.threats.sensitive_rows``).  k = n is the
  ``linf`` attack at that ε (the same numbers); budgets that give the same k share one run.

Ridge conventions: ``relative`` λ = ridge · tr K/n per architecture; ``absolute`` one λ for
both, in the kernel units of pixels in [0, 1] (K_relu(x, x) = ‖x‖²/2).  A system failing the
Appendix A.8 gate κ(K + λI) < 1e12 is a gate failure: recorded with its κ, not attacked.

Attribution metrics at the untargeted attack's best δ: mean over test points of the top-10
Jaccard overlap and Spearman's ρ (``linattn.attribution``); targeted: success rates of
pushing a random training point into / a random top-10 point out of a random test point's
top-10 under ``linf`` at ``poison_eps``.

Sizes: ``n_train``/``n_test`` clamped to the rows of the classes in each split, with a note.
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
from experiments.malleability_gap import fit_sizes
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import CLASS_SETTINGS, Preprocess, load_split
from linattn.malleability import ARCHS, malleability_sweep
from linattn.reduce import span_coordinates
from linattn.threats import Threat, poison_count
from pyverify.errors import ConfigError, InputError, KernelHealthError

NAME = "influence_malleability"
TITLE = "Influence malleability: MLP-Attn vs two-layer ReLU under three threat models (paper: 2–9×)"
CLAIM = "malleability-ratio"
PAPER_RANGE = (2.0, 9.0)
THREAT_ORDER = ("l2-row", "linf", "poison")
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 16, "n_test": 6, "absolute_ridges": (1.0,), "classes": ("binary",),
              "linf_eps": (8 / 255,), "poison_k": ("1", "all"), "steps": 3, "init_samples": 2,
              "topk": 3},
    "full": {"n_train": 256, "n_test": 64, "relative_ridges": (1e-3, 1e-1),
             "absolute_ridges": (1e-2, 1.0, 1e2, 1e4), "steps": 10, "n_targets": 2},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """Sizes, threat budgets, ridges (relative: multiples of tr K/n; absolute: in the kernel
    units of pixels in [0, 1]), class settings (tasks) and the attack budget."""

    n_train: int = opt(128, "training rows per task")
    n_test: int = opt(32, "test rows per task (influence columns)")
    l2_eps: tuple[float, ...] = opt((0.05,), "l2-row budgets ε: ‖δ_j‖₂ ≤ ε ‖x_j‖₂ per row")
    linf_eps: tuple[float, ...] = opt((1 / 255, 2 / 255, 4 / 255, 8 / 255),
                                      "per-coordinate budgets ε: |δ_ja| ≤ ε, pixels kept in "
                                      "[0, 1] (Prop. 4.5)")
    poison_eps: float = opt(8 / 255, "per-coordinate budget of the poisoned rows (one of "
                            "linf_eps)")
    poison_k: tuple[str, ...] = opt(("1", "1%", "10%", "all"),
                                    "poisoned rows: a count, a percentage of n_train, or all")
    relative_ridges: tuple[float, ...] = opt((1e-2,), "ridges as multiples of tr K / n (each "
                                             "architecture its own)")
    absolute_ridges: tuple[float, ...] = opt((1e-2, 1.0, 1e2), "ridges shared by both "
                                             "architectures, in kernel units of pixels in [0, 1]")
    classes: tuple[str, ...] = opt(CLASS_SETTINGS, "class settings (tasks): binary, 5class, "
                                   "10class")
    steps: int = opt(8, "projected-gradient ascent steps per start")
    restarts: int = opt(1, "random restarts of the ascent")
    init_samples: int = opt(3, "random starts screened before the ascent")
    n_targets: int = opt(1, "test points of the targeted top-10 attacks")
    topk: int = opt(10, "k of the top-k Jaccard overlap")

    def __post_init__(self) -> None:
        super().__post_init__()
        budgets = (*self.l2_eps, *self.linf_eps, self.poison_eps)
        ridges = (*self.relative_ridges, *self.absolute_ridges)
        for name, ok, got in (
                ("n_train/n_test/topk", self.n_train >= 2 and self.n_test >= 1
                 and 1 <= self.topk < self.n_train, (self.n_train, self.n_test, self.topk)),
                ("l2_eps/linf_eps/poison_eps", self.l2_eps and self.linf_eps and min(budgets)
                 > 0 and self.poison_eps in self.linf_eps, budgets),
                ("relative_ridges/absolute_ridges", ridges and min(ridges) > 0, ridges),
                ("classes", self.classes and set(self.classes) <= set(CLASS_SETTINGS),
                 self.classes)):
            if not ok:
                raise ConfigError.for_arg(name, "out of range (n_train >= 2, 1 <= topk < "
                                          "n_train, budgets > 0 with poison_eps in linf_eps, "
                                          f"ridges > 0, classes in {CLASS_SETTINGS})", got)
        for spec in self.poison_k:
            try:
                poison_count(spec, self.n_train)
            except InputError as exc:
                raise ConfigError.for_arg("poison_k", str(exc), self.poison_k) from None

    def ridges(self) -> list[tuple[str, float]]:
        return [("relative", r) for r in self.relative_ridges] + [
            ("absolute", r) for r in self.absolute_ridges]


def plan(cfg: Config) -> list[Unit]:
    units = []
    for ds in cfg.datasets:
        for cls_ in cfg.classes:
            n, nt, note = fit_sizes(ds, cls_, cfg.n_train, cfg.n_test, cfg.data_dir)
            units += [Unit(NAME, ds, cls_, seed, n, (("ridge_mode", mode), ("ridge", r),
                                                     ("n_test", nt), ("clamp_note", note)))
                      for mode, r in cfg.ridges() for seed in cfg.seeds]
    return units


def _record(a: Any) -> dict[str, Any]:
    """An Attack/Targeted as JSON, its threat flattened to name, eps, k."""
    return {**dataclasses.asdict(a), "threat": a.threat.name, "eps": a.threat.eps,
            "k": a.threat.k}


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    tr, te = load_split(unit.dataset, classes=unit.setting, n=unit.size,
                        n_test=unit.param("n_test"), seed=unit.seed,
                        preprocess=Preprocess(), data_dir=cfg.data_dir)
    X, T = torch.as_tensor(tr.X), torch.as_tensor(te.X)
    n = X.shape[0]
    (Xr, Tr), red = span_coordinates(X, T, pad=n)
    mode, ridge = unit.param("ridge_mode"), unit.param("ridge")
    ks = sorted({poison_count(s, n) for s in cfg.poison_k} - {n})
    pixel = [Threat("linf", e) for e in cfg.linf_eps] + [
        Threat("poison", cfg.poison_eps, k) for k in ks]
    kw = {"ridge": ridge, "ridge_mode": mode, "steps": cfg.steps, "restarts": cfg.restarts,
          "init_samples": cfg.init_samples, "seed": unit.seed, "topk": cfg.topk}
    out: dict[str, Any] = {"n_train": n, "n_test": T.shape[0], "reduction": red}
    gates = {}
    for arch in ARCHS:  # gates first: a failing system is recorded, never attacked
        try:
            gates[arch] = malleability_sweep(X, T, arch=arch, **kw)
        except KernelHealthError as exc:
            gates[arch] = exc
    if any(isinstance(g, KernelHealthError) for g in gates.values()):
        out["gate_failed"] = True
        for arch, g in gates.items():
            out[arch] = ({"gate": g.check, "cond_failed": g.value, "threshold": g.threshold}
                         if isinstance(g, KernelHealthError) else {"cond": g.cond})
        return out
    out["gate_failed"] = False
    for arch in ARCHS:
        pix = malleability_sweep(X, T, arch=arch, threats=pixel, n_targets=cfg.n_targets,
                                 targeted=[Threat("linf", cfg.poison_eps)], check=False, **kw)
        l2 = malleability_sweep(Xr, Tr, arch=arch, threats=[Threat("l2-row", e, box=None)
                                                           for e in cfg.l2_eps],
                                check=False, **kw)
        out[arch] = {"cond": gates[arch].cond, "ridge_abs": pix.ridge_abs,
                     "base_norm": pix.base_norm,
                     "attacks": [_record(a) for a in (*l2.attacks, *pix.attacks)],
                     "targeted": [_record(t) for t in pix.targeted]}
    return out


def _budgets(cfg: Config, n: int) -> list[tuple[str, float, str | None, int | None]]:
    """(threat, eps, k_spec, k) of every row; poison k = n is the linf attack."""
    return [*[("l2-row", e, None, None) for e in cfg.l2_eps],
            *[("linf", e, None, None) for e in cfg.linf_eps],
            *[("poison", cfg.poison_eps, s, poison_count(s, n)) for s in cfg.poison_k]]


def _find(res: dict[str, Any], arch: str, threat: str, eps: float, k: int | None,
          n: int) -> dict[str, Any]:
    if threat == "poison" and k is not None and k >= n:
        threat, k = "linf", None
    for a in res[arch]["attacks"]:
        if a["threat"] == threat and a["eps"] == eps and a["k"] == k:
            return a
    raise ConfigError.for_arg("records", "lack an attack of the configuration",
                              (threat, eps, k))


def _mean(xs: list[Any]) -> float | None:
    return stats.mean_ci(xs)["mean"]


def _row(cfg: Config, key: tuple, res: list[dict[str, Any]]) -> dict[str, Any]:
    ds, cls_, mode, ridge, threat, eps, spec, k = key
    ok = [r for r in res if not r["gate_failed"]]
    failed = [r for r in res if r["gate_failed"]]
    row: dict[str, Any] = {"dataset": ds, "classes": cls_, "threat": threat, "eps": eps,
                           "k_spec": spec, "k": k, "ridge_mode": mode, "ridge": ridge,
                           "n_train": res[0]["n_train"], "n_test": res[0]["n_test"],
                           "seeds_ok": len(ok), "gate_failures": len(failed)}
    row["cond_failed"] = max((r[a]["cond_failed"] for r in failed for a in ARCHS
                              if "cond_failed" in r[a]), default=None)
    vals = {a: [_find(r, a, threat, eps, k, r["n_train"]) for r in ok] for a in ARCHS}
    ratios = [va["value"] / vr["value"] for va, vr in zip(vals["mlp_attn"], vals["relu"],
                                                          strict=True) if vr["value"] > 0]
    ci = stats.mean_ci(ratios)
    logs = [math.log(x) for x in ratios if x > 0]
    row.update({"ratio": ci["mean"], "ratio_lo": ci["lo"], "ratio_hi": ci["hi"],
                "ratio_per_seed": ratios,
                "ratio_geomean": math.exp(sum(logs) / len(logs)) if logs else None})
    for a, tag in (("relu", "relu"), ("mlp_attn", "attn")):
        m = stats.mean_ci([v["value"] for v in vals[a]])
        row.update({f"M_{tag}": m["mean"], f"M_{tag}_lo": m["lo"], f"M_{tag}_hi": m["hi"],
                    f"topk_jaccard_{tag}": _mean([v["topk_jaccard"] for v in vals[a]]),
                    f"spearman_{tag}": _mean([v["spearman"] for v in vals[a]]),
                    f"cond_{tag}": max((r[a]["cond"] for r in ok), default=None),
                    f"ridge_abs_{tag}": _mean([r[a]["ridge_abs"] for r in ok])})
        tg = [t for r in ok for t in r[a]["targeted"]] if (
            threat == "linf" and eps == cfg.poison_eps) else []
        for dr in ("in", "out"):
            hits = [t["success"] for t in tg if t["direction"] == dr]
            row[f"targeted_{dr}_{tag}"] = sum(hits) / len(hits) if hits else None
    lo, hi = PAPER_RANGE
    r, rl, rh = row["ratio"], row["ratio_lo"], row["ratio_hi"]
    row["status"] = ("gate failure" if r is None else "inside" if lo <= r <= hi else
                     "below" if rh < lo else "above" if rl > hi else "undecided")
    return row


def _cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["classes"], row["threat"], row["ridge_mode"]),
                          []).append(row)
    cells = []
    for (ds, cls_, threat, mode), rs in groups.items():
        means = [r["ratio"] for r in rs if r["ratio"] is not None]
        inside = sum(r["status"] == "inside" for r in rs)
        gate = sum(r["status"] == "gate failure" for r in rs)
        status = ("gate failure" if gate == len(rs) else "reproduced" if inside == len(rs)
                  else "partly reproduced" if inside else "not reproduced")
        gm = math.exp(sum(math.log(m) for m in means) / len(means)) if means and min(
            means) > 0 else None
        cells.append({"dataset": ds, "classes": cls_, "threat": threat, "ridge_mode": mode,
                      "n_rows": len(rs), "n_inside": inside, "n_gate": gate,
                      "n_below": sum(r["status"] == "below" for r in rs),
                      "n_above": sum(r["status"] == "above" for r in rs),
                      "ratio_geomean": gm, "ratio_min": min(means, default=None),
                      "ratio_max": max(means, default=None), "status": status,
                      "topk_jaccard_attn": _mean([r["topk_jaccard_attn"] for r in rs]),
                      "topk_jaccard_relu": _mean([r["topk_jaccard_relu"] for r in rs])})
    return cells


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    notes = []
    for rec in records:
        u, res = rec["unit"], rec["result"]
        p = u["params"]
        if p["clamp_note"] and p["clamp_note"] not in notes:
            notes.append(p["clamp_note"])
        for threat, eps, spec, k in _budgets(cfg, res["n_train"]):
            key = (u["dataset"], u["setting"], p["ridge_mode"], p["ridge"], threat, eps,
                   spec, k)
            groups.setdefault(key, []).append(res)
    rows = [_row(cfg, key, res) for key, res in groups.items()]
    cells = _cells(rows)
    per_seed = [x for r in rows for x in r["ratio_per_seed"]]
    overall = ({"min": min(per_seed), "max": max(per_seed),
                "mean": stats.mean_ci(per_seed)["mean"]} if per_seed else None)
    return {"rows": rows, "cells": cells, "overall_ratio": overall, "clamp_notes": notes,
            "paper_range": list(PAPER_RANGE), "findings": _findings(rows, cells),
            "disagreements": _disagreements(cells), "verdict": _verdict(cells, overall),
            "n_train": cfg.n_train, "n_test": cfg.n_test, "steps": cfg.steps,
            "restarts": cfg.restarts, "init_samples": cfg.init_samples, "topk": cfg.topk,
            "poison_eps": cfg.poison_eps,
            "ridge_convention": "relative: λ = ridge · tr K(X,X)/n per architecture; absolute:"
                                " one λ for both, kernel units of pixels in [0, 1]",
            "attack": "PGA on ‖I(X+δ) − I(X)‖_F/‖I(X)‖_F (threats l2-row, linf with the "
                      "pixel box, poison = k rows of linf chosen by first-order gain; "
                      "assumed: the paper does not specify its attack)",
            "ci_method": "Student-t 95% over seeds (seed = data subsample, attack starts, "
                         "targets)"}


def _findings(rows: list[dict[str, Any]], cells: list[dict[str, Any]]) -> list[str]:
    out = []
    for mode, ridge in sorted({(r["ridge_mode"], r["ridge"]) for r in rows}):
        sel = [r for r in rows if (r["ridge_mode"], r["ridge"]) == (mode, ridge) and r["ratio"]]
        if sel:
            gm = math.exp(_mean([math.log(r["ratio"]) for r in sel]))
            out.append(f"{mode} ridge {fmt(ridge)}: M_attn/M_relu geometric mean {fmt(gm)} over "
                       f"{len(sel)} rows (row means {fmt(min(r['ratio'] for r in sel))}–"
                       f"{fmt(max(r['ratio'] for r in sel))}; in 2–9×: "
                       f"{sum(r['status'] == 'inside' for r in sel)}).")
    rel = [r for r in rows if r["ridge_mode"] == "relative" and r["ridge_abs_relu"]]
    scale = [f"{d} {fmt(_mean([r['ridge_abs_relu'] / r['ridge'] for r in sel]))} / "
             f"{fmt(_mean([r['ridge_abs_attn'] / r['ridge'] for r in sel]))}"
             for d in sorted({r["dataset"] for r in rel})
             for sel in [[r for r in rel if r["dataset"] == d]]]
    if scale:
        out.append("Kernel scale tr K/n for pixels in [0, 1] (what an absolute λ compares with),"
                   " ReLU / MLP-Attn: " + "; ".join(scale) + ".")

    def avg(key: str) -> str:
        return fmt(_mean([r[key] for r in rows]))

    out.append(f"Top-10 Jaccard after the untargeted attack (1 = top-10 sets unchanged): "
               f"MLP-Attn {avg('topk_jaccard_attn')}, ReLU {avg('topk_jaccard_relu')}; "
               f"Spearman ρ: MLP-Attn {avg('spearman_attn')}, ReLU {avg('spearman_relu')} "
               "(means over rows).")
    out.append(f"Targeted (linf at poison_eps): push-in success MLP-Attn {avg('targeted_in_attn')}"
               f", ReLU {avg('targeted_in_relu')}; push-out MLP-Attn {avg('targeted_out_attn')}, "
               f"ReLU {avg('targeted_out_relu')} (means over settings).")
    gates = [c for c in cells if c["n_gate"]]
    if gates:
        out.append(f"{len(gates)} cells have rows that failed the κ(K + λI) < 1e12 gate "
                   "(recorded with their κ, not attacked).")
    return out


def _by_mode(cs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{sum(c['ridge_mode'] == m for c in cs)} {m}" for m in
                     sorted({c["ridge_mode"] for c in cs}))


def _disagreements(cells: list[dict[str, Any]]) -> list[str]:
    """One sentence per threat model whose cells miss 2–9× (the detail: table, heatmap)."""
    out = []
    for th in THREAT_ORDER:
        cs = [c for c in cells if c["threat"] == th and c["status"] != "gate failure"]
        miss = [c for c in cs if c["status"] == "not reproduced"]
        if miss:
            lo = min(c["ratio_min"] for c in miss if c["ratio_min"] is not None)
            hi = max(c["ratio_max"] for c in miss if c["ratio_max"] is not None)
            out.append(f"Threat {th}: M_attn/M_relu misses the paper's 2–9× in every row of "
                       f"{len(miss)} of {len(cs)} (ridge, task, dataset) cells ({_by_mode(miss)}"
                       f" ridge; row means {fmt(lo)}–{fmt(hi)}).")
    return out


def _verdict(cells: list[dict[str, Any]], overall: dict[str, Any] | None) -> dict[str, str]:
    """One sentence on the malleability-ratio claim (the paper: 2–9×)."""
    if not overall:
        return verdict("no comparison", "No malleability ratio was measured.")
    full = sum(c["status"] == "reproduced" for c in cells)
    hit = [c for c in cells if c["status"] in ("reproduced", "partly reproduced")]
    gate = sum(c["status"] == "gate failure" for c in cells)
    status = ("reproduced" if full == len(cells) else "partly reproduced" if hit
              else "not reproduced")
    return verdict(status, f"M_attn/M_relu reaches the paper's 2–9× in some rows of {len(hit)} "
                   f"of {len(cells)} (threat, ridge, task, dataset) cells ({_by_mode(hit) or 0} "
                   f"ridge) and in every row of {full}; {gate} cells failed the κ gate; "
                   f"per-seed ratios {fmt(overall['min'])}–{fmt(overall['max'])}.")


_BIN_COLORS = ("#d7301f", "#fdae61", "#66bd63", "#4575b4")
_BIN_NAMES = ("ratio < 1", "ratio 1–2", "ratio 2–9 (paper)", "ratio > 9")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    """One heatmap: rows (threat, ridge convention), columns (dataset, task); colour = the
    bin of the cell's geometric-mean ratio, text = that ratio and rows in 2–9× / rows."""
    cells = summary["cells"]
    if not cells:
        return []
    ylab = sorted({(c["threat"], c["ridge_mode"]) for c in cells},
                  key=lambda t: (THREAT_ORDER.index(t[0]), t[1]))
    xlab = sorted({(c["dataset"], c["classes"]) for c in cells})
    grid, texts = plots.cell_grid(
        cells, ylab, xlab, lambda c: ((c["threat"], c["ridge_mode"]), (c["dataset"], c["classes"])),
        lambda c: c["ratio_geomean"] or math.nan,
        lambda c: ("gate\nfailure" if c["status"] == "gate failure" else f"{c['ratio_geomean']:.3g}"
                   f"\n{c['n_inside']}/{c['n_rows']}" if c["ratio_geomean"] else "—"))
    fig, (ax,) = plots.figure(1, width=1.1 * len(xlab) + 3.2, height=0.6 * len(ylab) + 2.2)
    plots.binned_heatmap(ax, grid, texts, edges=(0.0, 1.0, *PAPER_RANGE, 1e300),
                         colors=_BIN_COLORS, names=_BIN_NAMES, missing="gate failure / none",
                         xticks=[f"{d}\n{c}" for d, c in xlab],
                         yticks=[f"{t}\n{m} ridge" for t, m in ylab])
    plots.axes(ax, xlabel="dataset / task [classes]", ylabel="threat / ridge convention [1]",
               title="M_attn/M_relu: geometric mean over a cell's rows; rows in 2–9× / rows",
               legend=False)
    ax.grid(False)
    return [plots.save(fig, fig_dir, NAME)]


def section(summary: dict[str, Any]) -> str:
    parts = [f"Attack: {summary['attack']}; {summary['steps']} steps × {summary['restarts']} "
             f"restart(s) from the best of {summary['init_samples']} random starts. Ridge: "
             f"{summary['ridge_convention']}. n_train = {summary['n_train']}, n_test = "
             f"{summary['n_test']} (clamped per dataset where a split is smaller: "
             f"{'; '.join(summary['clamp_notes']) or 'none'}). Intervals: "
             f"{summary['ci_method']}. The paper reports 2–9× without stating its attack, "
             "ridge or sample sizes. One row per cell of (threat, ridge convention, task, "
             "dataset), over its budgets and ridges; every per-setting row (ratio with its "
             "CI, Spearman ρ, targeted success rates, κ) is in results.json.\n\n"]
    parts.append(table(
        ["threat", "ridge", "dataset", "classes", "rows", "in 2–9×", "below", "above", "gate",
         "geo. mean ratio", "min", "max", "Jaccard attn", "Jaccard relu", "cell"],
        [[c["threat"], c["ridge_mode"], c["dataset"], c["classes"], c["n_rows"],
          c["n_inside"], c["n_below"], c["n_above"], c["n_gate"], c["ratio_geomean"],
          c["ratio_min"], c["ratio_max"], c["topk_jaccard_attn"], c["topk_jaccard_relu"],
          c["status"]] for c in sorted(summary["cells"], key=lambda c: (
              THREAT_ORDER.index(c["threat"]), c["ridge_mode"], c["dataset"], c["classes"]))]))
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
