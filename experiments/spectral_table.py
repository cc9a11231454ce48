"""Experiment 2: spectral amplification and the width threshold (the paper's central table).

For G = X X^T (X: (n, d), rows = images) we report, with ``linattn.spectrum
.spectral_stats`` (dual-space: never an n x n matrix when n > d; svd fallback when
kappa > 1/sqrt(eps)):

* the numerical rank (eigenvalues > rtol * lambda_max, rtol stated per row),
* kappa(G) = lambda_1 / lambda_rank over the numerical rank (2-norm),
* kappa_d(G) = lambda_1 / lambda_r over r = min(n, d) eigenvalues; inf, with the reason,
  when rank < r (constant pixels of real images),
* kappa(G^3) = kappa(G)^3 (Theorem 4.7; cross-checked at 50 digits below),
* log10 m = log10(kappa_d^6 n ln n), the paper's width threshold with c = 1,

beside the paper's "m >> 1e24 (MNIST)" and "m >> 1e29 (CIFAR-10)".  Rows: each class
setting (binary / 5-class / 10-class) at the paper's n and at all available rows, and
preprocessing variants of the 10-class set at all rows (at most ``variant_max_n``):
``raw`` (pixels in [0, 1], the default), ``centred``, ``row-normalised``,
``drop-constant`` (pixels constant over the selected images removed, d shrinks) and
``independent-pixels`` (only a maximal numerically independent set of pixels kept:
column-pivoted QR of X, columns with |R_ii| > ``rank_rtol(float64, n, d)`` |R_11|) --
which shows what makes kappa_d finite and how much the threshold depends on that choice.

The paper does not state its n: we assume ``paper_n`` = 1000 images per class setting
(fewer when the subset has fewer), and say so in the report.  Unit ``cube-check``:
``pyverify.spectrum.spectral_stats`` at 50 digits on a few images, comparing kappa(G^3)
computed from the eigenvalues of the exact matrix G^3 with kappa(G)^3, and the float64
kappa(G) of ``spectral_stats`` with the 50-digit one.
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
from pyverify.tolerance import cond_rtol, rank_rtol

NAME = "spectral_table"
TITLE = "Spectral amplification and the width threshold (the paper's central table)"
CLAIM = "width-bound"
ALSO_CLAIMS = ("spectral-form", "cond-amplification")
VARIANTS = ("raw", "centred", "row-normalised", "drop-constant", "independent-pixels")
PAPER = {"mnist": {"claim": "m ≫ 1e24", "log10_m": 24},
         "cifar10": {"claim": "m ≫ 1e29", "log10_m": 29},
         "digits": {"claim": "not in the paper", "log10_m": None}}
NOT_IN_PAPER = {"claim": "not in the paper", "log10_m": None}
"""The paper's figure for a dataset it does not discuss (digits, a user's data)."""
FAR = 10
"""Orders of magnitude above the paper's figure at which a finite threshold is reported as
not reproducing it (it still satisfies the paper's '>>')."""
SPECTRUM_POINTS = 120
"""Eigenvalues kept per spectrum for the figure (log-spaced indices)."""

PRESETS = {
    "smoke": {"paper_n": 60, "max_n": 200, "variant_max_n": 200, "max_seeds": 1,
              "cross_n": 6},
    "full": {"variant_max_n": None, "max_seeds": 5, "cross_n": 20},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    """``paper_n``: assumed n of the paper; ``max_n``: cap on "all rows" (None: no cap);
    ``variant_max_n``: cap on n of the preprocessing variants (cost on CIFAR-10);
    ``max_seeds``: subsamples at the paper's n; ``cross_n``: images of the 50-digit check."""

    paper_n: int = opt(1000, "the paper's n (assumed; it is not stated)")
    max_n: int | None = opt(None, "cap on the 'all rows' size (none: no cap)")
    variant_max_n: int | None = opt(1000, 'cap on n of the preprocessing variants (none: no cap)')
    max_seeds: int = opt(3, "subsamples at the paper's n")
    cross_n: int = opt(12, 'images of the 50-digit cross-check')
    settings: tuple[str, ...] = opt(("binary", "5class", "10class"), 'class settings of the table')
    variants: tuple[str, ...] = opt(
        VARIANTS,
        'preprocessing variants (raw, centred, row-normalised,'
        ' drop-constant, independent-pixels)')
    variant_setting: str = opt("10class", 'class setting of the preprocessing variants')
    dps: int = opt(50, 'decimal digits of the mpmath cross-check')

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, low in (("paper_n", 2), ("max_seeds", 1), ("cross_n", 2)):
            if getattr(self, name) < low:
                raise ConfigError.for_arg(name, f"must be >= {low}", getattr(self, name))
        for name in ("max_n", "variant_max_n"):
            if getattr(self, name) is not None and getattr(self, name) < 2:
                raise ConfigError.for_arg(name, "must be >= 2 or None", getattr(self, name))
        bad = [v for v in self.variants if v not in VARIANTS]
        if bad or "raw" not in self.variants:
            raise ConfigError.for_arg("variants", f"must be a subset of {VARIANTS} with 'raw'",
                                      self.variants)



def _available(cfg: Config, ds: str, setting: str) -> int:
    from linattn.data import load_dataset

    n = load_dataset(ds, split="train", classes=setting, data_dir=cfg.data_dir).n
    return n if cfg.max_n is None else min(n, cfg.max_n)


def plan(cfg: Config) -> list[Unit]:
    """Per dataset: settings x (paper n x seeds, all rows), variants at all rows, one
    50-digit cube check."""
    units = []
    seeds = cfg.seeds[: cfg.max_seeds]
    for ds in cfg.datasets:
        for setting in cfg.settings:
            n_all = _available(cfg, ds, setting)
            n_paper = min(cfg.paper_n, n_all)
            # all rows: one unit (the seed does not change the subset)
            units += [Unit(NAME, ds, f"{setting}/raw", s, n_paper)
                      for s in (seeds if n_all > n_paper else seeds[:1])]
            if n_all > n_paper:
                units.append(Unit(NAME, ds, f"{setting}/raw", seeds[0], n_all))
        n_var = _available(cfg, ds, cfg.variant_setting)
        if cfg.variant_max_n is not None and n_var > cfg.variant_max_n:
            n_var = cfg.variant_max_n
            units.append(Unit(NAME, ds, f"{cfg.variant_setting}/raw", seeds[0], n_var))
        units += [Unit(NAME, ds, f"{cfg.variant_setting}/{v}", seeds[0], n_var)
                  for v in cfg.variants if v != "raw"]
        units.append(Unit(NAME, ds, "cube-check", seeds[0], cfg.cross_n))
    return list(dict.fromkeys(units))  # drop repeats (e.g. variant n = paper n)


def _matrix(cfg: Config, unit: Unit, setting: str, variant: str) -> tuple[np.ndarray, int]:
    from linattn.data import Preprocess, load_dataset

    pre = Preprocess(center=variant == "centred", row_normalize=variant == "row-normalised")
    X = load_dataset(unit.dataset, split="train", classes=setting, n=unit.size, seed=unit.seed,
                     preprocess=pre, data_dir=cfg.data_dir).X
    dropped = 0
    if variant == "drop-constant":
        keep = X.max(axis=0) > X.min(axis=0)
        dropped = int((~keep).sum())
        X = X[:, keep]
    elif variant == "independent-pixels":
        from scipy.linalg import qr

        _, R, piv = qr(X, mode="economic", pivoting=True)
        diag = np.abs(np.diag(R))
        k = int(np.sum(diag > rank_rtol("float64", *X.shape) * diag[0]))
        dropped = X.shape[1] - k
        X = X[:, np.sort(piv[:k])]
    return X, dropped


def _spectrum_points(ev: Sequence[float]) -> dict[str, list]:
    k = len(ev)
    idx = sorted({round(float(v)) for v in np.geomspace(1, k, min(k, SPECTRUM_POINTS))})
    return {"index": idx, "eigenvalue": [float(ev[i - 1]) for i in idx]}


def _cube_check(cfg: Config, unit: Unit) -> dict[str, Any]:
    import mpmath

    from linattn.data import load_dataset
    from linattn.spectrum import spectral_stats
    from pyverify import spectrum as exact

    X = load_dataset(unit.dataset, split="train", classes="10class", n=unit.size,
                     seed=unit.seed, data_dir=cfg.data_dir).X
    rep = exact.spectral_stats(X, dps=cfg.dps)
    st = spectral_stats(X, cross_check=False)
    with mpmath.workdps(cfg.dps):
        k, k3 = rep.cond, rep.cond_cube
        rel_cube = abs(k3 - k**3) / k**3 if mpmath.isfinite(k3) else mpmath.inf
        rel64 = abs(mpmath.mpf(st.cond) - k) / k
    n, d = X.shape
    return {"n": n, "d": d, "rank": rep.rank, "dps": cfg.dps, "cond_mp": k, "cond_cube_mp": k3,
            "cond_cubed_mp": k**3, "cube_rel_diff": rel_cube, "cond_float64": st.cond,
            "float64_rel_diff": rel64,
            "float64_tolerance": cond_rtol("float64", max(n, d), max(float(k), 1.0)),
            "cube_tolerance": cond_rtol(f"mp{cfg.dps}", n, min(float(k) ** 3, 1e300))}


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    """Spectral statistics of one (dataset, classes, preprocessing, n, seed) subset."""
    from linattn.spectrum import spectral_stats

    if unit.setting == "cube-check":
        return _cube_check(cfg, unit)
    setting, variant = unit.setting.split("/")
    X, dropped = _matrix(cfg, unit, setting, variant)
    st = spectral_stats(X, device=cfg.device)
    ev = st.eigenvalues.cpu().tolist()
    return {"n": st.n, "d": st.d, "dropped_columns": dropped, "rank": st.rank, "r": st.r,
            "rtol": st.rtol, "cond": st.cond, "cond_d": st.cond_d,
            "cond_d_note": st.cond_d_note, "cond_cube": st.cond_cube,
            "log10_width": st.log10_width, "method": st.method, "method_note": st.method_note,
            "cross_check": st.cross_check, "cross_check_rel": st.cross_check_rel,
            "spectrum": _spectrum_points(ev)}


def _f(v: Any) -> float:
    return math.inf if v in ("inf", None) else float(v)


def _disagreements(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for ds, paper in PAPER.items():
        if paper["log10_m"] is None:
            continue
        raw = [r for r in rows if r["dataset"] == ds and r["variant"] == "raw"]
        if not raw:
            continue
        infinite = [r for r in raw if math.isinf(r["log10_width"])]
        finite = [r for r in raw if not math.isinf(r["log10_width"])]
        if infinite:
            r = infinite[0]
            out.append(f"{ds}: with pixels scaled to [0, 1] kappa_d(G) is infinite "
                       f"({len(infinite)} of {len(raw)} rows; e.g. {r['classes']}, n = {r['n']}: "
                       f"rank {r['rank']} < min(n, d) = {r['r']}), so the threshold "
                       f"kappa_d^6 n ln n is unbounded as defined, not '{paper['claim']}'; it "
                       "becomes finite only after a preprocessing choice (see the variants).")
        if finite and all(r["log10_width"] >= paper["log10_m"] + FAR for r in finite):
            lo = min(r["log10_width"] for r in finite)
            hi = max(r["log10_width"] for r in finite)
            out.append(f"{ds}: our finite thresholds with pixels in [0, 1] (log10 m = "
                       f"{fmt(lo)} to {fmt(hi)}) satisfy '{paper['claim']}' as a lower bound "
                       f"but exceed the paper's figure by {fmt(lo - paper['log10_m'])} to "
                       f"{fmt(hi - paper['log10_m'])} orders of magnitude: the paper's number "
                       "is not reproduced (its n, rank threshold and preprocessing are not "
                       "stated, and m grows with n).")
        low = [r for r in finite if r["log10_width"] < paper["log10_m"]]
        if low:
            r = min(low, key=lambda t: t["log10_width"])
            out.append(f"{ds}: log10 m = {fmt(r['log10_width'])} for {r['classes']} at n = "
                       f"{r['n']} ({r['variant']}), below the paper's '{paper['claim']}'.")
    for r in rows:
        if r["variant"] != "raw" and not math.isinf(r["log10_width"]):
            paper = PAPER.get(r["dataset"], NOT_IN_PAPER)
            if paper["log10_m"] is not None and r["log10_width"] < paper["log10_m"]:
                out.append(f"{r['dataset']}: with preprocessing '{r['variant']}' (n = {r['n']}, "
                           f"d = {r['d']}) log10 m = {fmt(r['log10_width'])}, below the "
                           f"paper's '{paper['claim']}': the threshold depends on "
                           "preprocessing.")
    return out


def summarize(cfg: Config, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows of the table (first seed shown, log10 m range over seeds), spectra, checks."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    checks = []
    for rec in records:
        u, res = rec["unit"], rec["result"]
        if u["setting"] == "cube-check":
            checks.append({"dataset": u["dataset"], **res,
                           "pass": _f(res["float64_rel_diff"]) <= res["float64_tolerance"]
                           and _f(res["cube_rel_diff"]) <= res["cube_tolerance"]})
            continue
        groups.setdefault((u["dataset"], u["setting"], u["size"]), []).append(rec)
    rows, spectra = [], {}
    for (ds, setting, _size), recs in groups.items():
        classes, variant = setting.split("/")
        res = recs[0]["result"]
        widths = [_f(r["result"]["log10_width"]) for r in recs]
        rows.append({"dataset": ds, "classes": classes, "variant": variant,
                     **{k: v for k, v in res.items() if k != "spectrum"},
                     "log10_width": _f(res["log10_width"]),
                     "seeds": len(recs), "log10_width_min": min(widths),
                     "log10_width_max": max(widths), "paper": PAPER.get(ds, NOT_IN_PAPER)["claim"]})
        if classes == cfg.variant_setting and recs[0]["unit"]["seed"] == cfg.seeds[0]:
            cur = spectra.setdefault(ds, {})
            key = f"{variant}, n={res['n']}"
            if variant in ("raw", "drop-constant", "independent-pixels") and key not in cur:
                cur[key] = res["spectrum"]
    dis = _disagreements(rows) + [
        f"{c['dataset']}: the 50-digit check of kappa(G^3) = kappa(G)^3 or of the "
        f"float64 kappa(G) failed (n = {c['n']})." for c in checks if not c["pass"]]
    return {"rows": rows, "checks": checks, "spectra": spectra, "paper": PAPER,
            "paper_n_assumed": cfg.paper_n, "findings": [], "disagreements": dis,
            "verdict": _verdict(rows)}


def _verdict(rows: list[dict[str, Any]]) -> dict[str, str]:
    """One sentence on the width-bound claim: the raw-pixel thresholds against the paper's."""
    parts, agree = [], True
    for ds, paper in PAPER.items():
        raw = [r["log10_width"] for r in rows if r["dataset"] == ds and r["variant"] == "raw"]
        if paper["log10_m"] is None or not raw:
            continue
        fin = [v for v in raw if not math.isinf(v)]
        infinite = len(raw) - len(fin)
        txt = f"{ds} log10 m = {fmt(min(fin))}–{fmt(max(fin))}" if fin else f"{ds} m = ∞"
        if infinite and fin:
            txt += f" (∞ in {infinite} of {len(raw)} settings)"
        parts.append(f"{txt} against the paper's {paper['claim']}")
        agree &= bool(fin) and not infinite and all(
            paper["log10_m"] <= v < paper["log10_m"] + FAR for v in fin)
    if not parts:
        return verdict("no comparison", "No dataset with a figure in the paper was run "
                       "(digits only); κ_d(G)⁶ n ln n is in the table.")
    status = "reproduced" if agree else "not reproduced"
    return verdict(status, "With pixels in [0, 1], κ_d(G)⁶ n ln n gives " + "; ".join(parts)
                   + ("." if agree else ": the paper's figures are not reproduced (they "
                      "depend on n, the rank threshold and the preprocessing, none stated)."))


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    """Eigenvalue spectra of G (log scale), one panel per dataset."""
    spectra = summary["spectra"]
    if not spectra:
        return []
    fig, axs = plots.figure(ncols=len(spectra))
    for ax, (ds, curves) in zip(axs, sorted(spectra.items()), strict=True):
        for label, sp in curves.items():
            plots.series(ax, sp["index"], sp["eigenvalue"], label=label, marker=".", ms=3)
        plots.axes(ax, xlabel="eigenvalue index i [1]",
                    ylabel="eigenvalue λ_i(G) [(scaled pixel)²]", xlog=True, ylog=True,
                    title=f"{ds}: nonzero spectrum of G = X Xᵀ (10 classes)")
    return [plots.save(fig, fig_dir, "spectral_spectra")]


def section(summary: dict[str, Any]) -> str:
    """Markdown: the central table, the notes on infinite kappa_d, the 50-digit checks."""
    head = ["dataset", "classes", "preprocessing", "n", "d", "rank", "rtol", "κ(G)", "κ_d(G)",
            "κ(G³)", "log10 m", "log10 m min", "log10 m max", "seeds", "paper"]
    rows = [[r["dataset"], r["classes"], r["variant"], r["n"], r["d"], r["rank"], r["rtol"],
             r["cond"], r["cond_d"], r["cond_cube"], r["log10_width"], r["log10_width_min"],
             r["log10_width_max"], r["seeds"], r["paper"]] for r in summary["rows"]]
    out = [f"The paper does not state n; we assume n = {summary['paper_n_assumed']} per class "
           "setting (fewer when the subset is smaller) and also use all available rows.  "
           "κ = λ_max/λ_min (2-norm) over the numerical rank; κ_d over r = min(n, d); "
           "m = κ_d⁶ n ln n (c = 1).  log10 m shows the first seed; min/max are over the "
           "seeds at that n.  `inf`: κ_d infinite, so m is unbounded (reasons below).\n\n",
           table(head, rows), "\n"]
    notes = sorted({f"{r['dataset']} {r['classes']} {r['variant']} n={r['n']}: "
                    f"{r['cond_d_note']}" for r in summary["rows"]
                    if _f(r["log10_width"]) == math.inf})
    if notes:
        out.append("Why κ_d is infinite:\n\n" + "".join(f"- {s}\n" for s in notes) + "\n")
    chk = [[c["dataset"], c["n"], c["d"], c["dps"], c["cond_mp"], c["cond_cube_mp"],
            c["cond_cubed_mp"], c["cube_rel_diff"], c["cube_tolerance"], c["cond_float64"],
            c["float64_rel_diff"], c["float64_tolerance"], "pass" if c["pass"] else "FAIL"]
           for c in summary["checks"]]
    out += ["Cross-check at 50 digits (`pyverify.spectrum.spectral_stats`): κ(G³) from the "
            "eigenvalues of the exact matrix G³ against κ(G)³, and the float64 κ(G):\n\n",
            table(["dataset", "n", "d", "digits", "κ(G)", "κ(G³)", "κ(G)³", "rel. diff",
                   "tolerance", "float64 κ(G)", "rel. diff", "tolerance", "result"], chk),
            "\nTolerances: `cond_rtol(precision, n, κ)` of `pyverify.tolerance` (κ(G)³ for "
            "the 50-digit G³, κ(G) for float64).\n\n"]
    return "".join(out)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
