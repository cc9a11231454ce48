"""Beyond the paper, D.3 -- multi-head linearized attention and LayerNorm after the attention.

For h heads (``cfg.heads``, e.g. 1, 4, 16) with fixed Haar-random orthonormal head
projections (drawn per seed), each head the paper's parameter-free linearized attention in
its d/h projected coordinates, concatenated (:mod:`linattn.multihead`), with and without a
LayerNorm over the concatenated output.  One head without LayerNorm is exactly the
single-head parameter-free case (``K = G³``; the projection is a rotation).  For each
setting: κ(K) of ``K = F Fᵀ`` (2-norm, over its numerical rank) and the NTK convergence of
the two-layer ReLU network on F (:func:`linattn.kernel_regime.kernel_regime_curve`, the
measurement of ``ntk_convergence``), reported against the single-head case.

Exact speed-up: the features are computed in the coordinates ``X V`` of an orthonormal basis
V of the data's row space with projections distributed as ``Vᵀ P`` (``head_projections(...,
rank=r)``), which gives the same feature vectors as the full d for ``P`` (see
:mod:`linattn.multihead`) at O(d r²) instead of an O(d³) Haar draw.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from pathlib import Path
from typing import Any

from experiments import plots, regime
from experiments import variant_malleability as vm
from experiments.config import opt, verdict
from experiments.regime import RegimeOptions
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.feature_maps import feature_map
from linattn.kernel_regime import kernel_regime_curve
from linattn.multihead import head_projections, multihead_features
from linattn.reduce import span_coordinates
from linattn.spectrum import spectral_stats
from pyverify.errors import ConfigError

NAME = "multihead_layernorm"
TITLE = "Beyond the paper (D.3): multi-head attention and LayerNorm"
CLAIM = "multihead-layernorm"
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n": 16, "widths": (64, 256, 1024), "heads": (1, 4), "draws": 1,
              "mall_n_train": 8, "mall_n_test": 2, "mall_topk": 2, "mall_steps": 2,
              "mall_init_samples": 1, "mall_poison_k": "1"},
    "full": {"n": 256, "widths": tuple(2**k for k in range(6, 17))},
}


@dataclasses.dataclass(frozen=True)
class Config(RegimeOptions):
    """``n`` rows of ``classes`` (subsample fixed by ``data_seed``; the seeds vary the head
    projections and the weights); ``draws`` weight draws per width."""

    n: int = opt(96, 'rows of the subset (fixed by data_seed)')
    heads: tuple[int, ...] = opt(
        (1, 4, 16), 'numbers of heads h (fixed Haar-random head projections)')

    def __post_init__(self) -> None:
        super().__post_init__()
        if 1 not in self.heads or min(self.heads) < 1:
            raise ConfigError.for_arg("heads", "must include the single head 1 (the "
                                      "reference) and be >= 1", self.heads)


def _setting(h: int, ln: bool) -> str:
    return f"h={h}{'+LN' if ln else ''}"


def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, ds, _setting(h, ln), seed, cfg.n,
                 (("widths", list(cfg.widths)), ("heads", h), ("layernorm", ln)))
            for ds in cfg.datasets for ln in (False, True) for h in cfg.heads
            for seed in cfg.seeds] + vm.mall_units(cfg, NAME)


@functools.lru_cache(maxsize=2)
def _haar(d: int, seed: int) -> Any:
    return head_projections(d, 1, seed=seed)  # (d, d) Haar orthogonal


def mall_variants(cfg: Config, d: int, seed: int | None) -> list[vm.Variant]:
    """The malleability unit's architectures: the ReLU baseline; h = 1 without LayerNorm,
    which is linearized attention exactly (P is then a rotation of R^d, and the ReLU NTK
    sees the features X C P only through inner products), run as "linear"; every other
    (h, LayerNorm) with fixed Haar projections, in pixel coordinates.  One Haar draw per
    seed (``head_projections(d, 1, seed=7919·seed)``) serves every h: its first h⌊d/h⌋
    columns are ``head_projections(d, h, seed=7919·seed)`` by construction.  ``seed=None``:
    the labels only (no projections drawn)."""
    out = [vm.Variant("relu", "relu", "relu", True)]
    for ln in (False, True):
        for h in cfg.heads:
            extra = (("heads", h), ("layernorm", ln))
            name = "layernorm" if ln else "multihead"
            if h == 1 and not ln:
                out.append(vm.Variant(_setting(h, ln), name, "linear", True, extra))
            elif seed is None or h > d:
                out.append(vm.Variant(_setting(h, ln), name, None, False, extra))
            else:
                Q = _haar(d, 7919 * seed)
                phi = feature_map(name, P=Q[:, :h * (d // h)], h=h)
                out.append(vm.Variant(_setting(h, ln), name, phi, False, extra))
    return out


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    if unit.setting == vm.SETTING:
        X, T = vm.load_pair(cfg, unit)
        vs = [v for v in mall_variants(cfg, X.shape[1], unit.seed) if v.arch is not None]
        return vm.run_mall_unit(cfg, unit, X, T, vs)
    X = regime.load_X(cfg, unit.dataset)
    h, ln = unit.param("heads"), unit.param("layernorm")
    n, d = X.shape
    if h > d:
        raise ConfigError.for_arg("heads", f"must be at most d = {d}", h)
    (Xr,), red = span_coordinates(X)
    P = head_projections(d, h, seed=7919 * unit.seed + h, rank=Xr.shape[1])
    F = multihead_features(Xr, P, h=h, layernorm=ln)
    sK = spectral_stats(F)
    curve = kernel_regime_curve(F, cfg.widths, seed=unit.seed, draws=cfg.draws)
    return {"n": n, "d": d, "heads": h, "layernorm": ln, "head_dim": d // h,
            "features": F.shape[1], "d_reduced": red["d_reduced"], "cond_kernel": sK.cond,
            "rank_kernel": sK.rank, "cond_G_cubed": spectral_stats(X).cond_cube,
            "curve": regime.curve_record(curve)}


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        u = rec["unit"]
        if u["setting"] != vm.SETTING:
            groups.setdefault((u["dataset"], u["setting"]), []).append(rec["result"])
    mall = vm.mall_rows(cfg, records, mall_variants(cfg, 1, None),
                        {_setting(h, ln): "h=1" for h in cfg.heads for ln in (False, True)
                         if (h, ln) != (1, False)})
    datasets: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    findings: list[str] = []
    for ds in cfg.datasets:
        entries = {}
        for ln in (False, True):
            for h in cfg.heads:
                res = groups.get((ds, _setting(h, ln)))
                if not res:
                    continue
                agg = regime.aggregate([r["curve"] for r in res])
                ck = [r["cond_kernel"] for r in res]
                finite = [math.log10(c) for c in ck if math.isfinite(c)]
                entries[_setting(h, ln)] = {
                    "heads": h, "layernorm": ln, "head_dim": res[0]["head_dim"],
                    "cond_kernel_seeds": ck,
                    "cond_kernel": 10 ** (sum(finite) / len(finite)) if finite else None,
                    "log10_cond_kernel": sum(finite) / len(finite) if finite else None,
                    "rank_kernel": min(r["rank_kernel"] for r in res), "convergence": agg}
                rows.append(regime.contract_row("layernorm" if ln else "multihead", ds, agg,
                                                entries[_setting(h, ln)]["cond_kernel"],
                                                heads=h, n=res[0]["n"],
                                                rank_kernel=entries[_setting(h, ln)][
                                                    "rank_kernel"]))
        if not entries:
            continue
        ref = entries.get("h=1")
        for e in entries.values():
            e["delta_log10_cond_kernel"], e["delta_log10_m_half"] = (
                _delta(e, ref) if ref else (None, None))
        first = next(r for (d_, _), v in groups.items() if d_ == ds for r in v)
        datasets[ds] = {"n": first["n"], "d": first["d"], "d_reduced": first["d_reduced"],
                        "log10_cond_G_cubed": math.log10(first["cond_G_cubed"]),
                        "settings": entries, "order": list(entries)}
        findings += _findings(ds, entries)
    return {"datasets": datasets, "rows": rows, "widths": list(cfg.widths),
            "heads": list(cfg.heads), "draws": cfg.draws, "classes": cfg.classes,
            "ci_method": "Student-t 95% over seeds (fresh projections and weights per seed); "
                         "κ(K) per setting: geometric mean over seeds",
            "malleability": mall, "mall_answer": _mall_answer(mall),
            "findings": [*findings, _mall_answer(mall)], "disagreements": [],
            "verdict": _verdict(datasets)}


def _mall_answer(mall: list[dict[str, Any]]) -> str:
    """The plain answer: M against the single head (and against ReLU) per setting."""
    parts = []
    for mode in ("relative", "absolute"):
        sel = [r for r in mall if r["ridge_mode"] == mode and r.get("ratio_ref")]
        if sel:
            by: dict[str, list[float]] = {}
            for r in sel:
                by.setdefault(r["setting"], []).append(math.log(r["ratio_ref"]))
            parts.append(f"{mode} ridge: M/M_single-head " + ", ".join(
                f"{k} {fmt(math.exp(sum(v) / len(v)))}" for k, v in by.items())
                + " (geometric means over threats and datasets)")
    head = "; ".join(parts) + ". " if parts else ""
    return head + vm.mall_sentence(mall, lambda r: r["setting"])


def _delta(e: dict[str, Any], ref: dict[str, Any]) -> tuple[float | None, float | None]:
    dk = (e["log10_cond_kernel"] - ref["log10_cond_kernel"]
          if e["log10_cond_kernel"] is not None and ref["log10_cond_kernel"] is not None
          else None)
    a, b = e["convergence"]["log10_m_half"]["mean"], ref["convergence"]["log10_m_half"]["mean"]
    return dk, (a - b if a is not None and b is not None else None)


def _findings(ds: str, entries: dict[str, Any]) -> list[str]:
    ref = entries.get("h=1")
    if ref is None:
        return []
    parts = []
    for k, e in entries.items():
        if k == "h=1":
            continue
        parts.append(f"{k}: Δlog10 κ(K) = {fmt(e['delta_log10_cond_kernel'])}, "
                     f"Δlog10 m_½ = {fmt(e['delta_log10_m_half'])}")
    return [f"{ds}: against the single head (log10 κ(K) = {fmt(ref['log10_cond_kernel'])}, "
            f"m_½ = {regime.m_half_text(ref['convergence'])}): " + "; ".join(parts) + "."]


def _verdict(datasets: dict[str, Any]) -> dict[str, str]:
    parts = []
    for ds, e in datasets.items():
        s = e["settings"]
        mh = {k: v["convergence"]["log10_m_half"]["mean"] for k, v in s.items()}
        known = [v for v in mh.values() if v is not None]
        if known:
            parts.append(f"{ds} log10 m_½ {fmt(min(known))}–{fmt(max(known))} (single head "
                         f"{fmt(mh.get('h=1'))})")
    if not parts:
        return verdict("no comparison", "No multi-head convergence was measured.")
    return verdict("no comparison",
                   "D.3 (open in the paper): neither more heads nor LayerNorm after the "
                   "attention bring the NTK of linearized attention to a practical width: "
                   + "; ".join(parts) + ".")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    out = []
    for ds, e in summary["datasets"].items():
        fig, (ax1, ax2) = plots.figure(2)
        for ln, color in ((False, "C0"), (True, "C1")):
            ent = [v for _, v in regime.ordered(e) if v["layernorm"] == ln]
            plots.series(ax1, [v["heads"] for v in ent], [v["cond_kernel"] for v in ent],
                         label="with LayerNorm" if ln else "no LayerNorm", color=color,
                         marker="o")
        ax1.axhline(10 ** e["log10_cond_G_cubed"], color="C3", ls="--", label="κ(G)³")
        plots.axes(ax1, xlabel="heads h [1]", ylabel="κ(K = F Fᵀ) [1]",
                   title=f"{ds}: kernel condition number", xlog=True, ylog=True)
        for j, (k, v) in enumerate(regime.ordered(e)):
            regime.ratio_panel(ax2, v["convergence"], label=k, color=f"C{j}")
        ax2.axhline(0.5, color="k", lw=0.8, ls=":")
        plots.axes(ax2, xlabel="width m [neurons]", ylabel="‖H_m − H_∞‖₂/λ_min(H_∞) [1]",
                   title=f"{ds}: kernel-regime ratio", xlog=True, ylog=True)
        out.append(plots.save(fig, fig_dir, f"{NAME}_{ds}"))
    return out


def section(summary: dict[str, Any]) -> str:
    parts = [
        "h heads of parameter-free linearized attention on Haar-random orthonormal head "
        "projections (d/h coordinates each), concatenated and scaled by h^(-1/2); +LN: "
        "LayerNorm over the concatenated output (no affine, eps 1e-5). K = F Fᵀ, κ over its "
        "numerical rank (2-norm); two-layer ReLU network on F, H_∞ = relu_ntk(F) against "
        f"{summary['draws']} weight draws per width and seed; classes {summary['classes']}; "
        f"intervals: {summary['ci_method']}.\n"]
    for ds, e in summary["datasets"].items():
        parts.append(f"\n**{ds}** (n = {e['n']}, d = {e['d']}, log10 κ(G)³ = "
                     f"{fmt(e['log10_cond_G_cubed'])})\n\n")
        rows = []
        for k, v in regime.ordered(e):
            c = v["convergence"]
            rows.append([k, v["head_dim"], v["log10_cond_kernel"], v["delta_log10_cond_kernel"],
                         v["rank_kernel"], c["cond_ntk"], c["slope"]["mean"],
                         c["log10_m_half"]["mean"], c["log10_m_half"]["lo"],
                         c["log10_m_half"]["hi"], v["delta_log10_m_half"],
                         c["log10_m_half_rate_half"]["mean"]])
        parts.append(table(["setting", "head dim", "log10 κ(K)", "Δ vs h=1", "rank K",
                            "κ(H_∞)", "slope b", "log10 m_½", "CI lo", "CI hi", "Δ vs h=1",
                            "log10 m_½ at rate m^(-1/2)"], rows))
    rows = summary.get("malleability", [])
    if rows:
        r0 = rows[0]
        parts.append("\n\n**Malleability** (M by projected gradient ascent; threats l2-row, "
                     "linf with the [0, 1] box, poison; n_train = "
                     f"{r0['n_train']}, n_test = {r0['n_test']}, smaller than "
                     "influence_malleability's quick 128 for the budget; ratio = "
                     "M_variant/M_relu and 'vs h=1' = M/M of the single-head parameter-free "
                     "case (h = 1 without LayerNorm is linearized attention exactly), "
                     f"t-intervals over seeds). {summary['mall_answer']}\n")
        for ds in sorted({r["dataset"] for r in rows}):
            parts.append(f"\n*{ds}*\n\n{vm.mall_table(rows, ds, 'h=1')}")
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
