"""Beyond the paper, D.2 -- parameter-free softmax attention: does NTK non-convergence survive
softmax's competitive normalisation?

For temperatures ``τ = factor · √d`` (``cfg.tau_factors``, from the nearest-neighbour limit
τ → 0 to the mean limit τ → ∞) the features are ``F = softmax(X Xᵀ/τ) X`` (keys = the
training set; :mod:`linattn.softmax_attention`), against the paper's linearized attention
``F = X C = G X`` as the reference (setting ``linear``).  Per dataset and τ:

* the kernel ``K = F Fᵀ``: κ(K) (2-norm, over its numerical rank, from the singular values of
  F) against κ(G) and κ(G)³ = κ(G³), the exponent ``log κ(K)/log κ(G)`` (3 for linearized
  attention) and the number of distinct feature rows (< n: the nearest-neighbour limit has
  merged training points);
* the two-layer ReLU network on F: ``H_∞ = relu_ntk(F)`` (closed form) against the
  finite-width NTKs of ``draws`` weight draws per width and seed
  (:func:`linattn.kernel_regime.kernel_regime_curve`, exactly the measurement of
  ``ntk_convergence``): the kernel-regime ratio ‖H_m − H_∞‖₂/λ_min(H_∞) against m, its
  fitted slope and the extrapolated m_½ (ratio 1/2) per seed, 95% t-intervals over seeds.

The answer to D.2 compares m_½ and κ at the default τ = √d with the linear reference.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import torch

from experiments import plots, regime
from experiments import variant_malleability as vm
from experiments.config import opt, verdict
from experiments.regime import RegimeOptions
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.feature_maps import feature_map
from linattn.kernel_regime import kernel_regime_curve
from linattn.ntk import relu_ntk
from linattn.reduce import span_coordinates
from linattn.softmax_attention import softmax_features
from linattn.spectrum import spectral_stats
from pyverify.errors import ConfigError

NAME = "softmax_attention"
TITLE = "Beyond the paper (D.2): parameter-free softmax attention"
CLAIM = "softmax-attention"
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n": 16, "widths": (64, 256, 1024), "tau_factors": (0.1, 1.0, 10.0),
              "draws": 1, "mall_n_train": 8, "mall_n_test": 2, "mall_topk": 2,
              "mall_steps": 2, "mall_init_samples": 1, "mall_poison_k": "1"},
    "full": {"n": 256, "widths": tuple(2**k for k in range(6, 17)),
             "tau_factors": (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)},
}


@dataclasses.dataclass(frozen=True)
class Config(RegimeOptions):
    """``n`` rows of ``classes`` (subsample fixed by ``data_seed``; seeds vary only the
    weights); τ = factor·√d for each of ``tau_factors``; ``draws`` weight draws per width."""

    n: int = opt(96, 'rows of the subset (fixed by data_seed; the seeds vary only the weights)')
    tau_factors: tuple[float, ...] = opt(
        (0.01, 0.1, 1.0, 10.0, 100.0),
        'temperatures tau = factor * sqrt(d) (small: nearest key; large: the mean)')

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.tau_factors) < 3 or not all(0 < f < math.inf for f in self.tau_factors):
            raise ConfigError.for_arg("tau_factors", "need at least three positive factors",
                                      self.tau_factors)


def _setting(factor: float | None) -> str:
    return "linear" if factor is None else f"tau={factor:g}"


def plan(cfg: Config) -> list[Unit]:
    settings = [None, *cfg.tau_factors]
    return [Unit(NAME, ds, _setting(f), seed, cfg.n,
                 (("widths", list(cfg.widths)), ("tau_factor", f)))
            for ds in cfg.datasets for f in settings for seed in cfg.seeds] + vm.mall_units(
                cfg, NAME)


def mall_variants(cfg: Config, d: int) -> list[vm.Variant]:
    """The malleability unit's architectures: the ReLU baseline, linearized attention (the
    reference) and softmax attention at each τ = factor·√d (d of the pixels, passed
    explicitly so that the span coordinates keep it; rows: ``tau_factor``)."""
    return [vm.Variant("relu", "relu", "relu", True), vm.Variant("linear", "linear", "linear",
                                                                 True)] + [
        vm.Variant(_setting(f), "softmax", feature_map("softmax", tau=f * math.sqrt(d)), True,
                   (("tau_factor", f),)) for f in cfg.tau_factors]


def _features(X: torch.Tensor, factor: float | None) -> torch.Tensor:
    if factor is None:
        return (X @ X.T) @ X
    return softmax_features(X, tau=factor * math.sqrt(X.shape[1]))


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    if unit.setting == vm.SETTING:
        X, T = vm.load_pair(cfg, unit)
        return vm.run_mall_unit(cfg, unit, X, T, mall_variants(cfg, X.shape[1]))
    X = regime.load_X(cfg, unit.dataset)
    factor = unit.param("tau_factor")
    F = _features(X, factor)
    sK, sG = spectral_stats(F), spectral_stats(X)
    curve = kernel_regime_curve(F, cfg.widths, seed=unit.seed, draws=cfg.draws)
    H = relu_ntk(F, check=False)
    lg = math.log(sG.cond)
    rec = regime.curve_record(curve)
    (Fr,), _ = span_coordinates(F)  # the coordinates the curve used
    red = float((H - relu_ntk(Fr, check=False)).abs().max() / H.abs().max())
    return {"n": X.shape[0], "d": X.shape[1], "tau_factor": factor,
            "tau": None if factor is None else factor * math.sqrt(X.shape[1]),
            "cond_kernel": sK.cond, "rank_kernel": sK.rank, "cond_G": sG.cond,
            "rank_G": sG.rank, "cond_G_cubed": sG.cond_cube,
            "exponent": math.log(sK.cond) / lg if lg > 0 and math.isfinite(sK.cond) else None,
            "distinct_rows": int(torch.unique(F, dim=0).shape[0]), "curve": rec,
            "reduction_rel_diff": red}


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        u = rec["unit"]
        if u["setting"] != vm.SETTING:
            groups.setdefault((u["dataset"], u["setting"]), []).append(rec["result"])
    mall = vm.mall_rows(cfg, records, mall_variants(cfg, 1),
                        {_setting(f): "linear" for f in cfg.tau_factors})
    datasets: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    findings: list[str] = []
    for ds in cfg.datasets:
        entries = {}
        for f in [None, *cfg.tau_factors]:
            res = groups.get((ds, _setting(f)))
            if not res:
                continue
            first = res[0]
            agg = regime.aggregate([r["curve"] for r in res])
            entries[_setting(f)] = {
                **{k: first[k] for k in ("tau_factor", "tau", "cond_kernel", "rank_kernel",
                                         "exponent", "distinct_rows")},
                "log10_cond_kernel": math.log10(first["cond_kernel"])
                if math.isfinite(first["cond_kernel"]) else None,
                "convergence": agg,
                "reduction_rel_diff": max(r["reduction_rel_diff"] for r in res)}
            if f is not None:
                rows.append(regime.contract_row("softmax", ds, agg, first["cond_kernel"],
                                                tau_factor=f, tau=first["tau"],
                                                rank_kernel=first["rank_kernel"],
                                                n=first["n"]))
        if not entries:
            continue
        first = groups[(ds, "linear")][0] if (ds, "linear") in groups else \
            next(iter(groups.values()))[0]
        datasets[ds] = {"n": first["n"], "d": first["d"], "cond_G": first["cond_G"],
                        "rank_G": first["rank_G"], "log10_cond_G": math.log10(first["cond_G"]),
                        "cond_G_cubed": first["cond_G_cubed"],
                        "log10_cond_G_cubed": 3 * math.log10(first["cond_G"]),
                        "settings": entries, "order": list(entries)}
        findings += _findings(ds, datasets[ds])
    return {"datasets": datasets, "rows": rows, "widths": list(cfg.widths),
            "tau_factors": list(cfg.tau_factors), "draws": cfg.draws, "classes": cfg.classes,
            "ci_method": "Student-t 95% over seeds (fresh weights per seed and width)",
            "malleability": [r for r in mall if r["variant"] == "softmax"],
            "malleability_reference": [r for r in mall if r["variant"] == "linear"],
            "mall_answer": vm.mall_sentence([r for r in mall if r["variant"] == "softmax"],
                                            lambda r: r["setting"]),
            "findings": [*findings, *_mall_findings(mall), vm.mall_sentence(
                [r for r in mall if r["variant"] == "softmax"], lambda r: r["setting"])],
            "disagreements": [],
            "verdict": _verdict(datasets)}


def _mall_findings(mall: list[dict[str, Any]]) -> list[str]:
    out = []
    for ds in sorted({r["dataset"] for r in mall}):
        sel = [r for r in mall if r["dataset"] == ds and r.get("ratio_ref") is not None
               and r["variant"] == "softmax"]
        if sel:
            out.append(f"{ds}: softmax attention against linearized attention (the same "
                       f"attacks), M_softmax/M_linear {fmt(min(r['ratio_ref'] for r in sel))}–"
                       f"{fmt(max(r['ratio_ref'] for r in sel))} over τ, threats and ridges.")
    return out


def _findings(ds: str, e: dict[str, Any]) -> list[str]:
    out = []
    s, lin = e["settings"].get("tau=1"), e["settings"].get("linear")
    if s and lin:
        out.append(
            f"{ds}: at τ = √d, κ(K) = 10^{fmt(s['log10_cond_kernel'])} against κ(G) = "
            f"10^{fmt(e['log10_cond_G'])} and κ(G)³ = 10^{fmt(e['log10_cond_G_cubed'])} "
            f"(exponent {fmt(s['exponent'])}; linearized attention: 3); the ReLU NTK on the "
            f"softmax features reaches ratio 1/2 at m_½ = "
            f"{regime.m_half_text(s['convergence'])}, linearized attention at "
            f"{regime.m_half_text(lin['convergence'])}.")
    singular = [k for k, v in regime.ordered(e)
                if v["convergence"]["lam_min_resolved_seeds"] == 0]
    if singular:
        out.append(f"{ds}: H_∞ is singular to working precision at {', '.join(singular)}: "
                   "merged features (nearest-neighbour limit) leave no kernel regime at any "
                   "width.")
    return out


def _verdict(datasets: dict[str, Any]) -> dict[str, str]:
    """One sentence answering D.2 with the default-τ numbers."""
    parts = []
    for ds, e in datasets.items():
        s, lin = e["settings"].get("tau=1"), e["settings"].get("linear")
        if not (s and lin):
            continue
        ms, ml = s["convergence"]["log10_m_half"]["mean"], lin["convergence"][
            "log10_m_half"]["mean"]
        parts.append(f"{ds} m_½ 10^{fmt(ms)} vs 10^{fmt(ml)}, κ(K) 10^"
                     f"{fmt(s['log10_cond_kernel'])} vs κ(G)³ 10^{fmt(e['log10_cond_G_cubed'])}")
    if not parts:
        return verdict("no comparison", "No softmax-attention convergence was measured.")
    return verdict("no comparison",
                   "D.2 (open in the paper): with softmax attention at τ = √d the NTK still "
                   "needs an impractical width (softmax vs linearized attention: "
                   + "; ".join(parts) + "); κ and m_½ grow again as τ → ∞ (mean limit) and "
                   "H_∞ degenerates as τ → 0.")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    out = []
    for ds, e in summary["datasets"].items():
        fig, (ax1, ax2, ax3) = plots.figure(3)
        soft = [v for k, v in regime.ordered(e) if k != "linear"]
        taus = [v["tau_factor"] for v in soft]
        plots.series(ax1, taus, [v["cond_kernel"] for v in soft], label="κ(K), softmax",
                     marker="o")
        ax1.axhline(10 ** e["log10_cond_G_cubed"], color="C3", ls="--", label="κ(G)³ = κ(G³)")
        ax1.axhline(e["cond_G"], color="C2", ls=":", label="κ(G)")
        plots.axes(ax1, xlabel="temperature τ/√d [1]", ylabel="κ(K = F Fᵀ) [1]",
                   title=f"{ds}: kernel condition number", xlog=True, ylog=True)
        mh = [v["convergence"]["log10_m_half"] for v in soft]
        ax2.errorbar([t for t, m in zip(taus, mh, strict=True) if m["mean"] is not None],
                     [m["mean"] for m in mh if m["mean"] is not None],
                     yerr=[[m["mean"] - m["lo"] for m in mh if m["mean"] is not None],
                           [m["hi"] - m["mean"] for m in mh if m["mean"] is not None]],
                     marker="o", capsize=3, label="softmax (95% CI)")
        lin = e["settings"].get("linear")
        if lin and lin["convergence"]["log10_m_half"]["mean"] is not None:
            ax2.axhline(lin["convergence"]["log10_m_half"]["mean"], color="C3", ls="--",
                        label="linearized attention")
        plots.axes(ax2, xlabel="temperature τ/√d [1]", ylabel="log10 m_½ [log10 neurons]",
                   title=f"{ds}: width where the ratio reaches 1/2", xlog=True)
        for j, (k, v) in enumerate(regime.ordered(e)):
            regime.ratio_panel(ax3, v["convergence"], label=k, color=f"C{j}")
        ax3.axhline(0.5, color="k", lw=0.8, ls=":")
        plots.axes(ax3, xlabel="width m [neurons]", ylabel="‖H_m − H_∞‖₂/λ_min(H_∞) [1]",
                   title=f"{ds}: kernel-regime ratio", xlog=True, ylog=True)
        out.append(plots.save(fig, fig_dir, f"{NAME}_{ds}"))
    return out


def section(summary: dict[str, Any]) -> str:
    parts = [
        "Features F = softmax(X Xᵀ/τ) X over the training keys (τ = factor·√d) and, as "
        "reference, linearized attention F = X Xᵀ X; kernel K = F Fᵀ, κ over its numerical "
        "rank (2-norm); the two-layer ReLU network on F (only W trained), H_∞ = relu_ntk(F) "
        f"against {summary['draws']} weight draws per width and seed; classes "
        f"{summary['classes']}; intervals: {summary['ci_method']}. m_½ is where the fitted "
        "ratio ‖H_m − H_∞‖₂/λ_min(H_∞) reaches 1/2.\n"]
    for ds, e in summary["datasets"].items():
        parts.append(f"\n**{ds}** (n = {e['n']}, d = {e['d']}, rank(G) = {e['rank_G']}, "
                     f"log10 κ(G) = {fmt(e['log10_cond_G'])})\n\n")
        rows = []
        for k, v in regime.ordered(e):
            c = v["convergence"]
            rows.append([k, v["tau"], v["log10_cond_kernel"], v["exponent"], v["rank_kernel"],
                         v["distinct_rows"], c["cond_ntk"], c["slope"]["mean"],
                         c["log10_m_half"]["mean"], c["log10_m_half"]["lo"],
                         c["log10_m_half"]["hi"], c["log10_m_half_rate_half"]["mean"]])
        parts.append(table(["setting", "τ", "log10 κ(K)", "log κ(K)/log κ(G)", "rank K",
                            "distinct rows", "κ(H_∞)", "slope b", "log10 m_½", "CI lo",
                            "CI hi", "log10 m_½ at rate m^(-1/2)"], rows))
    parts.append(_mall_section(summary))
    return "".join(parts)


def _mall_section(summary: dict[str, Any]) -> str:
    rows = summary.get("malleability", []) + summary.get("malleability_reference", [])
    if not rows:
        return ""
    r0 = rows[0]
    parts = [f"\n\n**Malleability** (M = max ‖I(X+δ) − I(X)‖_F/‖I(X)‖_F by projected gradient "
             "ascent through the softmax; threats l2-row, linf with the [0, 1] box, poison; "
             f"n_train = {r0['n_train']}, n_test = {r0['n_test']}, smaller than "
             "influence_malleability's quick 128 for the budget; ratio = M_variant/M_relu, "
             "t-interval over seeds; 'vs linear': against linearized attention). "
             f"{summary['mall_answer']}\n"]
    for ds in sorted({r["dataset"] for r in rows}):
        parts.append(f"\n*{ds}*\n\n{vm.mall_table(rows, ds, 'linear')}")
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
