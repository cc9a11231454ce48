"""Shared by the beyond-the-paper experiments (``softmax_attention``, ``multihead_layernorm``,
``trainable_qkv``): data, per-seed kernel-regime records, their aggregation over seeds, the
results.json contract rows and the ratio-against-width panel.  Not an experiment itself.

Aggregation (as ``experiments.ntk_convergence``): per width, Student-t 95% intervals over
seeds of the ratio ‖H_m − H_∞‖₂/λ_min(H_∞) and of its log10 (the figure bands); the
per-seed fitted slope and extrapolated log10 m_½ with the same intervals; a pooled fit of the
mean ratios for the figure's dashed line.  Contract rows (later checks read these names):
``variant``, ``log10_cond_kernel`` where a kernel is defined, ``log10_m_half``,
``log10_m_half_lo``, ``log10_m_half_hi`` where a convergence is measured; 2-norm condition
numbers under keys starting with ``cond``.  κ of a kernel is over its numerical rank (as
``spectral_stats``); rows carry ``rank_kernel`` and ``n`` where the kernel can be singular
(rank < n: then the n×n kernel itself has κ = ∞).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from experiments import plots, stats
from experiments.config import opt
from experiments.tables import fmt
from experiments.variant_malleability import MallOptions
from linattn.data import Preprocess, load_dataset
from linattn.feature_maps import VARIANTS
from linattn.kernel_regime import KernelRegimeCurve, check_widths, log10_m_half
from pyverify.errors import ConfigError, LinAttnError


@dataclasses.dataclass(frozen=True)
class RegimeOptions(MallOptions):
    """The fields every beyond-the-paper experiment shares: the subset (``n`` rows of
    ``classes``, fixed by ``data_seed``), the widths of the kernel-regime curve and the weight
    ``draws`` per width (plus the malleability options of :class:`MallOptions`)."""

    n: int = opt(96, 'rows of the subset (fixed by data_seed)')
    widths: tuple[int, ...] = opt(
        tuple(2**k for k in range(6, 14)), 'widths m of the finite-width networks')
    draws: int = opt(4, 'weight draws per width (their errors are averaged)')
    classes: str = opt("10class", 'class setting of the subset')
    data_seed: int = opt(0, 'seed of the data subsample')
    center: bool = opt(False, 'centre the data by the training mean')

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            check_widths(self.widths)
        except LinAttnError as exc:
            raise ConfigError.for_arg("widths", "need two distinct positive widths",
                                      self.widths) from exc
        if self.n < 2 or self.draws < 1:
            raise ConfigError.for_arg("n/draws", "need n >= 2 and draws >= 1",
                                      (self.n, self.draws))

__all__ = ["VARIANTS", "aggregate", "contract_row", "curve_record", "load_X", "m_half_text",
           "ordered", "ratio_panel"]



def load_X(cfg: Any, dataset: str) -> torch.Tensor:
    """``cfg.n`` rows of ``cfg.classes`` of ``dataset`` (subsample fixed by
    ``cfg.data_seed``), pixels scaled to [0, 1] (centred when ``cfg.center``), float64."""
    ds = load_dataset(dataset, classes=cfg.classes, n=cfg.n, seed=cfg.data_seed,
                      preprocess=Preprocess(center=cfg.center), data_dir=cfg.data_dir)
    return torch.as_tensor(ds.X, dtype=torch.float64)


def curve_record(curve: KernelRegimeCurve) -> dict[str, Any]:
    """The JSON record of one seed's curve (every field of the dataclass)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in curve.__dict__.items()}


def ordered(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(setting, value)`` pairs of ``entry["settings"]`` in ``entry["order"]`` (the order
    of the run; results.json sorts dictionary keys)."""
    return [(k, entry["settings"][k]) for k in entry["order"]]


def _log10(v: Any) -> float | None:
    return math.log10(v) if isinstance(v, int | float) and 0 < v < math.inf else None


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Over the seeds' curve records (same widths): per-width intervals, slope, m_½."""
    widths = records[0]["widths"]
    per_m = []
    for i, m in enumerate(widths):
        rat = [r["ratio"][i] for r in records]
        rel = [r["rel_err"][i] for r in records]
        per_m.append({"m": m, "ratio": stats.mean_ci(rat), "rel_err": stats.mean_ci(rel),
                      "log10_ratio": stats.mean_ci([_log10(v) for v in rat])})
    mean_ratio = [p["ratio"]["mean"] for p in per_m]
    pooled = stats.loglog_fit(widths, mean_ratio)
    return {
        "widths": list(widths), "per_m": per_m, "seeds": len(records),
        "lam_min": records[0]["lam_min"], "lam_max": records[0]["lam_max"],
        "cond_ntk": records[0]["cond_ntk"],
        "lam_min_resolved_seeds": sum(bool(r["lam_min_resolved"]) for r in records),
        "slope": stats.mean_ci([r["slope"] for r in records]),
        "se_slope_per_seed": [r["se_slope"] for r in records],
        "log10_m_half": stats.mean_ci([r["log10_m_half"] for r in records]),
        "log10_m_half_rate_half": stats.mean_ci([r["log10_m_half_rate_half"]
                                                 for r in records]),
        "pooled_fit": pooled,
        "log10_m_half_pooled": log10_m_half(pooled["slope"], pooled["intercept"]),
        "d_reduced": records[0].get("d_reduced"),
    }


def contract_row(variant: str, dataset: str, agg: dict[str, Any] | None,
                 cond_kernel: float | None, **extra: Any) -> dict[str, Any]:
    """One results.json contract row (module docstring); ``extra`` names the setting."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r} is not one of {VARIANTS}")
    row: dict[str, Any] = {"variant": variant, "dataset": dataset, **extra}
    if cond_kernel is not None:
        row["cond_kernel"] = cond_kernel
        row["log10_cond_kernel"] = _log10(cond_kernel)
    if agg is not None:
        mh = agg["log10_m_half"]
        row.update({"log10_m_half": mh["mean"], "log10_m_half_lo": mh["lo"],
                    "log10_m_half_hi": mh["hi"], "cond_ntk": agg["cond_ntk"],
                    "slope": agg["slope"]["mean"], "seeds": agg["seeds"]})
    return row


def m_half_text(agg: dict[str, Any]) -> str:
    """``10^a (95% CI 10^lo–10^hi)`` of the aggregated log10 m_½, or why there is none."""
    mh = agg["log10_m_half"]
    if mh["mean"] is None:
        return "not measurable (no decaying fit: H_∞ singular or the ratio does not fall)"
    return f"10^{fmt(mh['mean'])} (95% CI 10^{fmt(mh['lo'])}–10^{fmt(mh['hi'])})"


def ratio_panel(ax: Any, agg: dict[str, Any], *, label: str, color: str) -> None:
    """Mean ratio against width with the t-band of log10 values and the pooled fit
    (dashed, extended to m_½ when it is finite), on log-log axes (caller labels them)."""
    ms = [p["m"] for p in agg["per_m"]]
    plots.series(ax, ms, [p["ratio"]["mean"] for p in agg["per_m"]], label=label,
                 color=color, marker="o")
    band = [(m, p["log10_ratio"]["lo"], p["log10_ratio"]["hi"])
            for m, p in zip(ms, agg["per_m"], strict=True)
            if p["log10_ratio"]["lo"] is not None and p["log10_ratio"]["hi"] is not None]
    if band:
        ax.fill_between([b[0] for b in band], [10 ** b[1] for b in band],
                        [10 ** b[2] for b in band], color=color, alpha=0.2)
    pf = agg["pooled_fit"]
    if pf["slope"] is not None:
        end = agg["log10_m_half_pooled"]
        xs = [ms[0], 10 ** end if end is not None and end < 40 else ms[-1]]
        ax.plot(xs, [10 ** (pf["intercept"] + pf["slope"] * math.log10(x)) for x in xs],
                "--", color=color, lw=0.9, label=f"{label}: fit slope {pf['slope']:.2f}")
