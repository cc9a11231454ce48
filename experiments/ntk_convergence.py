"""Experiment 3 -- the NTK width as a law in n: TwoLayerReLU vs MLP-Attn on digits, MNIST and
CIFAR-10 (claim ``ntk-width``; the test the paper names as the one that would settle it).

Per dataset, arch and n (nested subsets: the first n rows of one fixed permutation of the
training split) the first layer sees X' = X (ReLU) or X C, C = Xᵀ X of the subset
(MLP-Attn).  Kernel-regime ratio ``‖H_m − H_∞‖₂ / λ_min(H_∞)`` (< 1/2 keeps λ_min(H_m) ≥
λ_min(H_∞)/2, the lazy-training condition of Du et al. 2019) at ``cfg.widths``:
H_m = (1/m)(X'X'ᵀ) ⊙ (S Sᵀ), S = 1[X'Wᵀ ≥ 0], w_r ~ N(0, κ²I), κ = ``init_scale``
(:func:`linattn.finite_width.kernel_regime_curve`: exact float32 counts, certified signs,
Lanczos norms).  A seed is ``draws`` fresh networks with nested widths (a network's first m
neurons), errors averaged over the draws; X' in the coordinates of its row space
(:mod:`linattn.reduce`; the same law of H_m).  m_½ per seed (:mod:`linattn.widthlaw`): the
free-slope log-log fit reaching 1/2 (``log10_m_half``) and the fit at the central-limit rate
−1/2 over widths ≥ ``rate_from_width`` (``log10_m_half_rate``); t-intervals over seeds.  Per
(dataset, arch): log10 m_½ = a + e log10 n over the seed-level points (e with its
t-interval; prediction interval at the full dataset).  Beside them: κ_d(G)⁶ n ln n
(G = X Xᵀ of the subset; ∞ when rank(G) < min(n, d)), κ(H_∞)² n ln n and Du et al.'s
n⁶/(λ₀⁴ δ³), λ₀ of row-normalised first-layer inputs (Du et al. assume ‖x_i‖ = 1).  Sizes
above a dataset's rows are clamped (the summary's notes).  Checks per (dataset, arch, n):
autograd vs closed-form vs fast NTK on the full-d model, float32 vs float64 counts, the
reduction's H_∞ error.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments import plots, stats
from experiments.config import Common, opt, verdict
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import Preprocess, load_dataset
from linattn.finite_width import kernel_regime_curve, route_check
from linattn.ntk import relu_ntk
from linattn.reduce import span_coordinates
from linattn.widthlaw import fit_band, m_half_estimates, power_law_fit, width_bounds
from pyverify.errors import ConfigError

NAME = "ntk_convergence"
TITLE = "The NTK width as a law in n: TwoLayerReLU vs MLP-Attn"
CLAIM = "ntk-width"
ARCHS = ("relu", "mlp_attn")
FULL_N = {"digits": 1797, "mnist": 60000, "cifar10": 50000}
"""Sizes of the full datasets the width law is extrapolated to (digits: all 1,797 images)."""
PAPER_LOG10 = {"mnist": 24.0, "cifar10": 29.0}
"""The paper's thresholds, "m ≫ 1e24 for MNIST, ≫ 1e29 for CIFAR-10"."""
LARGEST = {"width": 73728, "log10_width": math.log10(73728),
           "source": "PaLM 540B, feed-forward width d_ff = 4 d_model = 4 · 18,432 "
                     "(Chowdhery et al. 2022, arXiv:2204.02311, Table 1)"}
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"ns": (16, 24, 32), "widths": tuple(2**k for k in range(6, 10)), "draws": 2,
              "rate_from_width": 128, "fast_check_width": 256},
    "full": {"ns": (64, 128, 256, 512, 1024, 2048),
             "widths": tuple(2**k for k in range(6, 17))},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """Sizes ``ns`` (clamped per dataset), nested ``widths``, ``draws`` networks per seed."""

    ns: tuple[int, ...] = opt((64, 128, 256, 512), "training-set sizes n (nested subsets; "
                              "clamped to a dataset's rows)")
    widths: tuple[int, ...] = opt(tuple(2**k for k in range(6, 15)),
                                  "nested hidden widths m (increasing, < 2^24)")
    archs: tuple[str, ...] = opt(ARCHS, "architectures: relu (X) and mlp_attn (X Xᵀ X)")
    draws: int = opt(4, "networks drawn per seed (errors averaged over them)")
    rate_from_width: int = opt(1024, "smallest width of the fit at the rate -1/2")
    classes: str = opt("10class", "class subset: binary, 5class or 10class")
    data_seed: int = opt(0, "seed of the fixed row order of the nested subsets")
    center: bool = opt(False, "subtract the training mean from the pixels")
    init_scale: float = opt(0.01, "first-layer weight scale κ, w_r ~ N(0, κ² I)")
    delta: float = opt(0.1, "failure probability δ of Du et al.'s width bound")
    check_width: int = opt(64, "width of the autograd vs closed-form NTK check")
    check_rows: int = opt(16, "rows of the autograd vs closed-form NTK check")
    fast_check_width: int = opt(4096, "width of the float32 vs float64 count check")

    def __post_init__(self) -> None:
        super().__post_init__()
        w, ns = self.widths, self.ns
        for name, ok, what in (
                ("widths", len(w) >= 3 and min(w) >= 1 and list(w) == sorted(set(w))
                 and max(w) < 2**24, "need >= 3 increasing widths in [1, 2^24)"),
                ("ns", len(ns) >= 3 and min(ns) >= 8 and list(ns) == sorted(set(ns)),
                 "need >= 3 increasing sizes >= 8"),
                ("draws/rate_from_width", self.draws >= 1 and max(w) >= self.rate_from_width,
                 "need draws >= 1 and a width >= rate_from_width"),
                ("archs", bool(self.archs) and set(self.archs) <= set(ARCHS),
                 f"must be among {ARCHS}")):
            if not ok:
                raise ConfigError.for_arg(name, what, getattr(self, name.split("/")[0]))


@functools.lru_cache(maxsize=8)
def _rows(dataset: str, cfg: Config) -> np.ndarray:
    """All training rows of the classes, in one fixed random order (nested subsets)."""
    X = load_dataset(dataset, classes=cfg.classes, preprocess=Preprocess(center=cfg.center),
                     data_dir=cfg.data_dir).X
    return X[np.random.default_rng(cfg.data_seed).permutation(X.shape[0])]


def _sizes(cfg: Config, dataset: str) -> tuple[list[int], str]:
    avail = _rows(dataset, cfg).shape[0]
    sizes = sorted({min(n, avail) for n in cfg.ns})
    clamped = [n for n in cfg.ns if n > avail]
    note = (f"{dataset}: n = {', '.join(map(str, clamped))} clamped to the {avail} training "
            f"rows of {dataset} ({cfg.classes})" if clamped else "")
    return sizes, note


def plan(cfg: Config) -> list[Unit]:
    units = []
    for ds in cfg.datasets:
        for n in _sizes(cfg, ds)[0]:
            for arch in cfg.archs:
                units.append(Unit(NAME, ds, arch, 0, n, (("kind", "spectrum"),)))
                units += [Unit(NAME, ds, arch, s, n, (("kind", "curve"),
                                                      ("widths", list(cfg.widths))))
                          for s in cfg.seeds]
    return units


def _inputs(cfg: Config, unit: Unit) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, X') of the unit's subset: X' = X (ReLU) or X C = (X Xᵀ) X (MLP-Attn)."""
    X = torch.as_tensor(_rows(unit.dataset, cfg)[: unit.size])
    return X, (X if unit.setting == "relu" else (X @ X.T) @ X)


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    X, Xp = _inputs(cfg, unit)
    (Xr,), red = span_coordinates(Xp)
    if unit.param("kind") == "spectrum":
        H, ref = relu_ntk(Xr), relu_ntk(Xp)
        return {**width_bounds(X, Xr, delta=cfg.delta), "reduction": red,
                "reduction_rel_diff": float((H - ref).abs().max() / ref.abs().max()),
                "checks": route_check(X, unit.setting, width=cfg.check_width,
                                      rows=cfg.check_rows, init_scale=cfg.init_scale,
                                      count_width=cfg.fast_check_width)}
    curves = [kernel_regime_curve(Xr, list(cfg.widths), seed=1_000_003 * unit.seed + k,
                                  init_scale=cfg.init_scale) for k in range(cfg.draws)]
    err = [float(np.mean([c["err2"][i] for c in curves])) for i in range(len(cfg.widths))]
    res = [r for c in curves for r in c["lanczos_residual"] if r is not None]
    return {"n": X.shape[0], "err2": err, "err2_draws": [c["err2"] for c in curves],
            "norm_methods": sorted({m for c in curves for m in c["norm_method"]}),
            "lanczos_residual_max": max(res) if res else None,
            "sign_recompute_rel": max(c["recomputed_signs"][-1] for c in curves)
            / (X.shape[0] * cfg.widths[-1])}


def _ci(values: list[Any], key: str) -> dict[str, Any]:
    c = stats.mean_ci(values)
    return {key: c["mean"], f"{key}_lo": c["lo"], f"{key}_hi": c["hi"],
            f"{key}_seeds": c["k"]}


def _scaling(cfg: Config, spec: dict[str, Any], curves: list[dict[str, Any]], ds: str,
             arch: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lam, ws = spec["lambda_min"], list(cfg.widths)
    est = [m_half_estimates(ws, [e / lam for e in c["err2"]], rate_from=cfg.rate_from_width)
           for c in curves] if lam > 0 else []
    row = {"dataset": ds, "arch": arch, "n": spec["n"],
           **_ci([e["log10_m_half"] for e in est], "log10_m_half"),
           **_ci([e["log10_m_half_rate"] for e in est], "log10_m_half_rate"),
           **_ci([e["slope"] for e in est], "slope"),
           "ratio_mean": [float(np.mean(v)) / lam for v in zip(*[c["err2"] for c in curves],
                                                               strict=True)] if lam > 0 else [],
           **{k: v for k, v in spec.items() if k not in ("n", "reduction")},
           "d_reduced": spec["reduction"]["d_reduced"],
           "lanczos_residual_max": max([c["lanczos_residual_max"] or 0.0 for c in curves]),
           "sign_recompute_rel": max(c["sign_recompute_rel"] for c in curves)}
    return row, est


def _fit(cfg: Config, ds: str, arch: str, rows: list[dict[str, Any]],
         ests: list[list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {"dataset": ds, "arch": arch, "n_full": FULL_N[ds],
                           "ns": [r["n"] for r in rows], "paper_log10": PAPER_LOG10.get(ds)}
    for key, suffix in (("log10_m_half", ""), ("log10_m_half_rate", "_rate")):
        xs = [r["n"] for r, es in zip(rows, ests, strict=True) for _ in es]
        f = power_law_fit(xs, [e[key] for es in ests for e in es], x0=FULL_N[ds])
        out[f"fit{suffix}"] = f
        for e in ("", "_lo", "_hi"):
            out[f"exponent_n{suffix}{e}"] = f[f"exponent{e}"]
            out[f"log10_m_half{suffix}_full_dataset{e}"] = f[f"log10_y0{e}"]
    for b in ("paper", "cond_h", "du"):
        f = power_law_fit([r["n"] for r in rows], [r[f"log10_bound_{b}"] for r in rows])
        out[f"exponent_bound_{b}"] = f["exponent"]
    return out


def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[tuple[str, str, int], dict[str, Any]] = {}
    curves: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for rec in records:
        u, res = rec["unit"], rec["result"]
        key = (u["dataset"], u["setting"], u["size"])
        _ = spec.__setitem__(key, res) if u["params"]["kind"] == "spectrum" \
            else curves.setdefault(key, []).append(res)
    notes = [note for ds in cfg.datasets if (note := _sizes(cfg, ds)[1])]
    scaling, fits = [], []
    for ds in cfg.datasets:
        for arch in cfg.archs:
            pairs = [_scaling(cfg, spec[(ds, arch, n)], curves.get((ds, arch, n), []), ds,
                              arch) for n in _sizes(cfg, ds)[0]]
            scaling += [p[0] for p in pairs]
            fits.append(_fit(cfg, ds, arch, [p[0] for p in pairs], [p[1] for p in pairs]))
    findings, dis, ver = _sentences(scaling, fits)
    return {"scaling": scaling, "scaling_fit": fits, "notes": notes,
            "widths": list(cfg.widths), "draws": cfg.draws, "seeds": list(cfg.seeds),
            "rate_from_width": cfg.rate_from_width, "init_scale": cfg.init_scale,
            "classes": cfg.classes, "delta": cfg.delta, "largest": LARGEST,
            "ci_method": "Student-t 95% over seeds (a seed: draws networks); n-law: least "
                         "squares over seed-level points, prediction interval at full n",
            "findings": findings, "disagreements": dis, "verdict": ver}


def _g(v: Any) -> str:
    return "—" if v is None else f"{v:.3g}"


PI = ("_lo", "_hi")


def _span(vals: list[Any]) -> str:
    v = [x for x in vals if x is not None]
    return "—" if not v else f"10^{_g(min(v))}…10^{_g(max(v))}"


def _sentences(scaling: list[dict[str, Any]], fits: list[dict[str, Any]]
               ) -> tuple[list[str], list[str], dict[str, str]]:
    """Findings: one per dataset (its fits), the MLP-Attn/ReLU gap, the slopes, the ordering,
    the checks; one disagreement per dataset (MLP-Attn against the bounds over all n)."""
    fnd, dis = [], []
    for ds in dict.fromkeys(f["dataset"] for f in fits):
        fnd.append(f"{ds}: " + "; ".join(
            f"{f['arch']} m_½ ∝ n^{_g(f['exponent_n'])} (95% CI {_g(f['exponent_n_lo'])}…"
            f"{_g(f['exponent_n_hi'])}; rate −½: n^{_g(f['exponent_n_rate'])}), "
            f"10^{_g(f['log10_m_half_full_dataset'])} at n = {f['n_full']} (prediction interval "
            f"{_span([f['log10_m_half_full_dataset' + e] for e in PI])}; rate −½: "
            f"10^{_g(f['log10_m_half_rate_full_dataset'])})" for f in fits if f["dataset"] == ds)
            + ".")
        rs = [r for r in scaling if r["dataset"] == ds and r["arch"] == "mlp_attn"]
        fin = [r for r in rs if r["log10_bound_paper"] is not None]
        above = sum(r["log10_m_half_hi"] is not None and r["log10_bound_paper"]
                    > r["log10_m_half_hi"] for r in fin)
        f = next((x for x in fits if x["dataset"] == ds and x["arch"] == "mlp_attn"), None)
        if rs and f:
            dis.append(
                f"{ds}: MLP-Attn's m_½ is {_span([r['log10_m_half'] for r in rs])} (rate −½: "
                f"{_span([r['log10_m_half_rate'] for r in rs])}) at n = {rs[0]['n']}…"
                f"{rs[-1]['n']}" + (f"; κ_d(G) = ∞ (rank(G) < min(n, d)) at {len(rs) - len(fin)}"
                                    f" of {len(rs)} sizes" if len(fin) < len(rs) else "")
                + (f"; κ_d(G)⁶ n ln n is {_span([r['log10_bound_paper'] for r in fin])}, above "
                   f"the m_½ interval at {above} of {len(fin)} sizes, growing like "
                   f"n^{_g(f['exponent_bound_paper'])} against n^{_g(f['exponent_n'])}"
                   if fin else "") + f"; κ(H_∞)² n ln n is "
                f"{_span([r['log10_bound_cond_h'] for r in rs])}, Du et al. "
                f"{_span([r['log10_bound_du'] for r in rs])}.")
    by = {(r["dataset"], r["arch"], r["n"]): r["log10_m_half_rate"] for r in scaling}
    gap = [v - by[(d, "relu", n)] for (d, a, n), v in by.items() if a == "mlp_attn"
           and v is not None and by.get((d, "relu", n)) is not None]
    slopes = [r["slope"] for r in scaling if r["slope"] is not None]
    if gap and slopes:
        fnd.append(f"At equal n MLP-Attn needs 10^{_g(min(gap))}…10^{_g(max(gap))} times "
                   f"ReLU's width (rate −½). Mean per-seed slopes of log10 ratio against log10 m:"
                   f" {_g(min(slopes))}…{_g(max(slopes))} (central-limit rate −1/2).")
    full = {(f["dataset"], f["arch"]): f for f in fits}
    for arch in ARCHS:
        a, c = full.get(("mnist", arch)), full.get(("cifar10", arch))
        if a and c and None not in (a["log10_m_half_full_dataset"],
                                    c["log10_m_half_full_dataset"]):
            fnd.append(f"{arch}, the paper's ordering (MNIST needs less width than CIFAR-10) at "
                       "the full datasets: " + "; ".join(
                           f"{w}: 10^{_g(a[k])} vs 10^{_g(c[k])}, "
                           + ("holds" if a[k] < c[k] else "does not hold")
                           + (" (prediction intervals overlap)" if a[k + '_hi'] is not None
                              and c[k + '_lo'] is not None and a[k + "_hi"] > c[k + "_lo"]
                              and c[k + "_hi"] > a[k + "_lo"] else "")
                           for w, k in (("free slope", "log10_m_half_full_dataset"),
                                        ("rate −½", "log10_m_half_rate_full_dataset"))) + ".")
    chk = [r["checks"] for r in scaling]
    fnd.append(f"Checks: autograd vs closed-form NTK max rel. diff "
               f"{_g(max(c['autograd_rel_diff'] for c in chk))}, fast path "
               f"{_g(max(c['fast_rel_diff'] for c in chk))}; float32 vs float64 counts "
               f"differ by ≤ {_g(max(c['count_diff_rel'] for c in chk))} · m (a fraction "
               f"≤ {_g(max(c['count_undecided_rel'] for c in chk))} of signs undecided in "
               "float64).")
    return fnd, dis, _verdict(scaling, fits)


def _verdict(scaling: list[dict[str, Any]], fits: list[dict[str, Any]]) -> dict[str, str]:
    """Does the width law follow κ_d(G)⁶ n ln n?  MLP-Attn's m_½ against the bound; partly
    reproduced when the extrapolated m_½ still exceeds the largest trained width."""
    attn = [r for r in scaling if r["arch"] == "mlp_attn" and r["log10_m_half"] is not None]
    fin = [r for r in attn if r["log10_bound_paper"] is not None]
    if not attn:
        return verdict("no comparison", "No MLP-Attn m_½ could be extrapolated.")
    ext = {a: "; ".join(f"{f['dataset']} 10^{_g(f['log10_m_half_full_dataset'])} (rate −½: "
                        f"10^{_g(f['log10_m_half_rate_full_dataset'])})" for f in fits
                        if f["arch"] == a) for a in ARCHS}
    if len(fin) == len(attn) and all((r["log10_m_half_lo"] or -math.inf)
                                     <= r["log10_bound_paper"]
                                     <= (r["log10_m_half_hi"] or math.inf) for r in fin):
        return verdict("reproduced", "Yes: κ_d(G)⁶ n ln n lies inside the interval of "
                       f"MLP-Attn's m_½ at every n; at the full datasets: {ext['mlp_attn']}.")
    gaps = [r["log10_bound_paper"] - r["log10_m_half"] for r in fin]
    lows = [min(v for v in (f["log10_m_half_full_dataset_lo"],
                            f["log10_m_half_rate_full_dataset_lo"], math.inf) if v is not None)
            for f in fits if f["arch"] == "mlp_attn"]
    big = bool(lows) and min(lows) > LARGEST["log10_width"]
    return verdict("partly reproduced" if big else "not reproduced",
                   "No: MLP-Attn's m_½ grows like " + ", ".join(
                       f"{f['dataset']} n^{_g(f['exponent_n'])}" for f in fits
                       if f["arch"] == "mlp_attn")
                   + (f", 10^{_g(min(gaps))}…10^{_g(max(gaps))} below κ_d(G)⁶ n ln n"
                      if gaps else "") + (f" (∞, κ_d(G) = ∞, at {len(attn) - len(fin)} of "
                                          f"{len(attn)} sizes)" if len(fin) < len(attn) else "")
                   + f"; extrapolated to the full datasets {ext['mlp_attn']} neurons (ReLU "
                   f"{ext['relu']}), against the largest trained width {LARGEST['width']}"
                   + (", so no practical width reaches the kernel regime" if big else "") + ".")


def _p(v: Any) -> float | None:  # a stored log10 value -> the value
    return None if v is None else 10.0 ** v


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    """One panel per dataset (m_½ with t-intervals, the n-law fit and its 95% band, the
    rate −½ estimate, the three bounds), the shared legend in a last panel."""
    rows, fits = summary["scaling"], summary["scaling_fit"]
    dss = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axs = plots.figure(len(dss) + 1)
    for ax, ds in zip(axs, dss, strict=False):
        for j, f in enumerate(x for x in fits if x["dataset"] == ds):
            rs = [r for r in rows if r["dataset"] == ds and r["arch"] == f["arch"]]
            ns, c, a = [r["n"] for r in rs], f"C{j}", f["arch"]
            pts = [(r["n"], _p(r["log10_m_half"]), _p(r["log10_m_half_lo"]),
                    _p(r["log10_m_half_hi"])) for r in rs if r["log10_m_half"] is not None]
            ax.errorbar([p[0] for p in pts], [p[1] for p in pts], fmt="o", color=c,  # t-CI
                        yerr=[[m - (lo or m) for _, m, lo, _ in pts],
                              [(hi or m) - m for _, m, _, hi in pts]], label=f"{a} m_½ (95% CI)")
            plots.series(ax, ns, [_p(r["log10_m_half_rate"]) for r in rs], color=c,
                         label=f"{a} m_½ at rate −½", marker="x", ls="none")
            fit = f["fit"]
            if fit["t"] is not None:  # the n-law fit and the 95% band of its mean line
                blo, bhi = fit_band(fit, ns)
                ax.plot(ns, [_p(fit["intercept"] + fit["exponent"] * math.log10(n))
                             for n in ns], "-", color=c, label=f"{a} fit of m_½ in n")
                ax.fill_between(ns, [_p(v) for v in blo], [_p(v) for v in bhi], color=c,
                                alpha=0.2)
            for key, ls, what in (("log10_bound_cond_h", "--", "κ(H_∞)² n ln n"),
                                  ("log10_bound_du", ":", "Du et al. n⁶/(λ₀⁴δ³)")):
                plots.series(ax, ns, [_p(r[key]) for r in rs], label=f"{a} {what}",
                             color=c, ls=ls)
        first = [r for r in rows if r["dataset"] == ds and r["arch"] == rows[0]["arch"]]
        plots.series(ax, [r["n"] for r in first], [_p(r["log10_bound_paper"]) for r in first],
                     label="κ_d(G)⁶ n ln n (paper)", color="k", ls="-.")
        ax.axhline(LARGEST["width"], color="gray", lw=0.8, label="PaLM d_ff = 73,728")
        plots.axes(ax, xlabel="training points n [images]", ylabel="width m [neurons]",
                   title=f"{ds}: width for ratio 1/2", xlog=True, ylog=True, legend=False)
    axs[-1].axis("off")
    axs[-1].legend(*axs[0].get_legend_handles_labels(), loc="center", fontsize=8)
    return [plots.save(fig, fig_dir, f"{NAME}_width_law")]


SCALING_COLUMNS = (
    ("dataset", "dataset"), ("arch", "arch"), ("n", "n"), ("log10 m_½", "log10_m_half"),
    ("CI lo", "log10_m_half_lo"), ("CI hi", "log10_m_half_hi"),
    ("log10 m_½ (rate −½)", "log10_m_half_rate"), ("CI lo", "log10_m_half_rate_lo"),
    ("CI hi", "log10_m_half_rate_hi"), ("slope b", "slope"), ("κ(H_∞)", "cond_H"),
    ("λ_min(H_∞)", "lambda_min"), ("log10 κ_d(G)⁶ n ln n", "log10_bound_paper"),
    ("log10 κ(H_∞)² n ln n", "log10_bound_cond_h"), ("log10 Du", "log10_bound_du"),
    ("λ₀ (unit rows)", "lambda0_unit"))
FIT_COLUMNS = (
    ("dataset", "dataset"), ("arch", "arch"), ("exponent e", "exponent_n"),
    ("CI lo", "exponent_n_lo"), ("CI hi", "exponent_n_hi"), ("e (rate −½)", "exponent_n_rate"),
    ("CI lo", "exponent_n_rate_lo"), ("CI hi", "exponent_n_rate_hi"),
    ("e of κ_d⁶ n ln n", "exponent_bound_paper"), ("e of κ(H)² n ln n", "exponent_bound_cond_h"),
    ("e of Du", "exponent_bound_du"), ("full n", "n_full"),
    ("log10 m_½ (full)", "log10_m_half_full_dataset"), ("PI lo", "log10_m_half_full_dataset_lo"),
    ("PI hi", "log10_m_half_full_dataset_hi"),
    ("log10 m_½ (full, rate −½)", "log10_m_half_rate_full_dataset"),
    ("PI lo", "log10_m_half_rate_full_dataset_lo"),
    ("PI hi", "log10_m_half_rate_full_dataset_hi"), ("paper log10", "paper_log10"))
"""(header, key) of the section's two tables: the ``scaling`` and ``scaling_fit`` rows."""


def section(summary: dict[str, Any]) -> str:
    w = summary["widths"]
    parts = [
        f"Kernel-regime ratio ‖H_m − H_∞‖₂/λ_min(H_∞) at widths {w[0]}…{w[-1]} (nested "
        f"neurons, errors averaged over {summary['draws']} networks per seed, seeds "
        f"{fmt(summary['seeds'])}); w_r ~ N(0, κ²I), κ = {summary['init_scale']}; classes "
        f"{summary['classes']}. m_½: width where the per-seed log-log fit reaches 1/2 (free "
        f"slope), and with the slope fixed at −1/2 over widths ≥ "
        f"{summary['rate_from_width']}. Intervals: {summary['ci_method']}. Bounds (c = 1, "
        "log10): the paper's κ_d(G)⁶ n ln n, κ(H_∞)² n ln n, Du et al.'s n⁶/(λ₀⁴δ³) with "
        f"δ = {summary['delta']} and λ₀ = λ_min(H_∞) of row-normalised inputs. The largest "
        f"trained width: {summary['largest']['width']} ({summary['largest']['source']}).\n"]
    parts += [f"\nNote: {s}.\n" for s in summary["notes"]]
    for cols, rows in ((SCALING_COLUMNS, summary["scaling"]),
                       (FIT_COLUMNS, summary["scaling_fit"])):
        parts.append("\n" + table([h for h, _ in cols], [[r[k] for _, k in cols]
                                                          for r in rows]))
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
