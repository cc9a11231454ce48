"""Shared by the beyond-the-paper experiments: influence malleability of each attention
variant against the two-layer ReLU network (claim ``malleability-ratio``'s measurement,
extended to the variants of :mod:`linattn.feature_maps`).  Not an experiment itself.

Definition and estimator: :mod:`linattn.malleability` (M = max_{δ ∈ B} ‖I(X + δ) − I(X)‖_F
/ ‖I(X)‖_F, I the NTK kernel-ridge influence, projected gradient ascent differentiating
through the variant's feature map -- through the softmax for softmax attention -- and the
solve).  Threat models as ``experiments.influence_malleability`` (:mod:`linattn.threats`;
pixels in [0, 1]): ``l2-row`` (‖δ_j‖₂ ≤ ε‖x_j‖₂ per row), ``linf`` (|δ_ja| ≤ ε inside the
[0, 1] box) and ``poison`` (k rows of the linf set, chosen by first-order gain).  Ridges:
``relative`` λ = ridge · tr K/n per architecture, ``absolute`` one λ for all, in the kernel
units of pixels in [0, 1].  A kernel failing an Appendix A.8 gate (symmetry, PSD,
κ(K + λI) < 1e12) is recorded with the gate and its value (``gates_failed_*``; κ as
``cond_failed_*``), not attacked.

One unit per (dataset, ridge, seed) runs the ReLU network and every variant of the
experiment on the same subsample (the seed draws it and the attack's starts), so that per
seed ``ratio = M_variant / M_relu`` (and, where a reference is named, M_variant / M_ref);
rows: mean and Student-t 95% interval over seeds.  Coordinates: rotation-equivariant maps
(relu, linear, softmax, qkv-*) run the l2-row attack in the exact span coordinates of
:mod:`linattn.reduce`; the multi-head maps (fixed projections) and LayerNorm always in pixel
coordinates.  Rows (results.json, ``summary["malleability"]``): ``variant``, ``setting``,
``dataset``, ``threat``, ``eps``, ``k``, ``ridge_mode``, ``ridge``, ``ratio``, ``ratio_lo``,
``ratio_hi``, ``M_variant``, ``M_relu``, ``topk_jaccard_attn`` (the variant's),
``topk_jaccard_relu``, ``cond_variant``, ``cond_relu`` (2-norm κ(K + λI)), ``ridge_abs_*``,
and ``ratio_ref*`` against the reference named by the experiment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from experiments import stats
from experiments.config import Common, opt
from experiments.malleability_gap import fit_sizes
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import Preprocess, load_split
from linattn.malleability import malleability_sweep
from linattn.reduce import span_coordinates
from linattn.threats import Threat, poison_count
from pyverify.errors import ConfigError, InputError, KernelHealthError

__all__ = ["MallOptions", "Variant", "load_pair", "mall_rows", "mall_sentence", "mall_table",
           "mall_units", "run_mall_unit"]

SETTING = "malleability"
THREATS = ("l2-row", "linf", "poison")


@dataclasses.dataclass(frozen=True)
class MallOptions(Common):
    """The malleability units' sizes, budgets, ridges and attack (smaller than
    ``influence_malleability``'s quick n = 128: every variant is one more attack per seed)."""

    mall: bool = opt(True, "run the malleability units (M_variant / M_relu)")
    mall_n_train: int = opt(16, "training rows of the malleability units")
    mall_n_test: int = opt(4, "test rows of the malleability units (influence columns)")
    mall_l2_eps: float = opt(0.05, "l2-row budget ε of the malleability units")
    mall_linf_eps: float = opt(8 / 255, "linf budget ε (pixels in [0, 1], box kept); also "
                               "the poisoned rows' budget")
    mall_poison_k: str = opt("10%", "poisoned rows: a count or a percentage of mall_n_train")
    mall_relative_ridge: float = opt(1e-2, "relative ridge (multiple of tr K / n)")
    mall_absolute_ridge: float = opt(1.0, "absolute ridge shared by all architectures, in "
                                     "kernel units of pixels in [0, 1]")
    mall_steps: int = opt(8, "projected-gradient ascent steps per start")
    mall_init_samples: int = opt(3, "random starts screened before the ascent")
    mall_topk: int = opt(5, "k of the top-k Jaccard overlap")
    mall_classes: str = opt("10class", "class setting of the malleability subsample")

    def __post_init__(self) -> None:
        super().__post_init__()
        ok = (self.mall_n_train >= 2 and self.mall_n_test >= 1
              and 1 <= self.mall_topk < self.mall_n_train and min(
                  self.mall_l2_eps, self.mall_linf_eps, self.mall_relative_ridge,
                  self.mall_absolute_ridge) > 0 and self.mall_steps >= 1
              and self.mall_init_samples >= 1)
        if not ok:
            raise ConfigError.for_arg("mall_*", "need n_train >= 2, n_test >= 1, 1 <= topk < "
                                      "n_train, budgets and ridges > 0, steps, init_samples "
                                      ">= 1", (self.mall_n_train, self.mall_n_test,
                                               self.mall_topk))
        try:
            poison_count(self.mall_poison_k, self.mall_n_train)
        except InputError as exc:
            raise ConfigError.for_arg("mall_poison_k", str(exc), self.mall_poison_k) from None

    def mall_ridges(self) -> list[tuple[str, float]]:
        return [("relative", self.mall_relative_ridge), ("absolute", self.mall_absolute_ridge)]


@dataclasses.dataclass(frozen=True)
class Variant:
    """One architecture of a unit: ``label`` (unique in the unit), ``variant`` (the results
    vocabulary, "relu" for the baseline), ``arch`` (a name of
    :data:`linattn.malleability.ARCH_NAMES` or a feature map), ``equivariant`` (l2-row in
    span coordinates) and ``extra`` JSON fields of its rows (τ, heads, ...)."""

    label: str
    variant: str
    arch: Any
    equivariant: bool
    extra: tuple[tuple[str, Any], ...] = ()


def mall_units(cfg: MallOptions, name: str) -> list[Unit]:
    """One unit per (dataset, ridge, seed), sizes clamped to the split (with a note)."""
    if not cfg.mall:
        return []
    units = []
    for ds in cfg.datasets:
        n, nt, note = fit_sizes(ds, cfg.mall_classes, cfg.mall_n_train, cfg.mall_n_test,
                                cfg.data_dir)
        units += [Unit(name, ds, SETTING, seed, n, (("ridge_mode", m), ("ridge", r),
                                                    ("n_test", nt), ("clamp_note", note)))
                  for m, r in cfg.mall_ridges() for seed in cfg.seeds]
    return units


def load_pair(cfg: MallOptions, unit: Unit) -> tuple[torch.Tensor, torch.Tensor]:
    """The unit's (X_train, X_test), float64, pixels in [0, 1]."""
    tr, te = load_split(unit.dataset, classes=cfg.mall_classes, n=unit.size,
                        n_test=unit.param("n_test"), seed=unit.seed, preprocess=Preprocess(),
                        data_dir=cfg.data_dir)
    return (torch.as_tensor(tr.X, dtype=torch.float64),
            torch.as_tensor(te.X, dtype=torch.float64))


def run_mall_unit(cfg: MallOptions, unit: Unit, X: torch.Tensor, T: torch.Tensor,
                  variants: Sequence[Variant]) -> dict[str, Any]:
    """Every variant's attacks on (X, T) under the unit's ridge (module docstring)."""
    n = X.shape[0]
    (Xr, Tr), red = span_coordinates(X, T, pad=n)
    k = poison_count(cfg.mall_poison_k, n)
    pixel = [Threat("linf", cfg.mall_linf_eps)] + (
        [Threat("poison", cfg.mall_linf_eps, k)] if k < n else [])
    kw = {"ridge": unit.param("ridge"), "ridge_mode": unit.param("ridge_mode"),
          "steps": cfg.mall_steps, "init_samples": cfg.mall_init_samples, "seed": unit.seed,
          "topk": cfg.mall_topk}
    out: dict[str, Any] = {"n_train": n, "n_test": T.shape[0], "d": X.shape[1], "poison_k": k,
                           "reduction": red, "archs": {}}
    for v in variants:
        try:
            pix = malleability_sweep(X, T, arch=v.arch, threats=pixel, **kw)
        except KernelHealthError as exc:
            out["archs"][v.label] = {"gate_failed": True, "gate": exc.check,
                                     "gate_value": exc.value, "threshold": exc.threshold}
            continue
        A, B = (Xr, Tr) if v.equivariant else (X, T)
        l2 = malleability_sweep(A, B, arch=v.arch, threats=[Threat("l2-row", cfg.mall_l2_eps)],
                                check=False, **kw)
        out["archs"][v.label] = {
            "gate_failed": False, "cond": pix.cond, "ridge_abs": pix.ridge_abs,
            "base_norm": pix.base_norm,
            "attacks": [{"threat": a.threat.name, "eps": a.threat.eps, "k": a.threat.k,
                         "value": a.value, "topk_jaccard": a.topk_jaccard,
                         "spearman": a.spearman} for a in (*l2.attacks, *pix.attacks)]}
    return out


def _attack(rec: dict[str, Any], threat: str) -> dict[str, Any] | None:
    if rec["gate_failed"]:
        return None
    return next((a for a in rec["attacks"] if a["threat"] == threat), None)


def _ci(xs: list[float]) -> dict[str, Any]:
    return stats.mean_ci(xs)


def mall_rows(cfg: MallOptions, records: list[dict[str, Any]], variants: Sequence[Variant],
              refs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows per (dataset, ridge, variant, threat) over the seeds' records of the units
    (``records`` may hold other units: only ``setting == "malleability"`` ones are read).
    ``refs`` maps a label to the label of its reference (fields ``ratio_ref*``)."""
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for rec in records:
        u = rec["unit"]
        if u["setting"] == SETTING:
            groups.setdefault((u["dataset"], u["params"]["ridge_mode"], u["params"]["ridge"]),
                              []).append(rec["result"])
    rows = []
    for (ds, mode, ridge), res in groups.items():
        for v in variants:
            if v.variant == "relu":
                continue
            for th in THREATS:
                rows.append(_row(ds, mode, ridge, v, th, res, (refs or {}).get(v.label)))
    return [r for r in rows if r is not None]


def _row(ds: str, mode: str, ridge: float, v: Variant, th: str, res: list[dict[str, Any]],
         ref: str | None) -> dict[str, Any] | None:
    per = [(r["archs"].get(v.label), r["archs"].get("relu"),
            r["archs"].get(ref) if ref else None) for r in res]
    per = [p for p in per if p[0] is not None and p[1] is not None]
    if not per or not any(_attack(a, th) for a, _, _ in per):
        return None
    va = [_attack(a, th) for a, _, _ in per]
    vr = [_attack(b, th) for _, b, _ in per]
    ok = [(x, y) for x, y in zip(va, vr, strict=True) if x and y]
    ratios = [x["value"] / y["value"] for x, y in ok if y["value"] > 0]
    ci = _ci(ratios)
    first = next(x for x in va if x)
    row: dict[str, Any] = {
        "variant": v.variant, "setting": v.label, **dict(v.extra), "dataset": ds,
        "threat": th, "eps": first["eps"], "k": first["k"], "ridge_mode": mode,
        "ridge": ridge, "n_train": res[0]["n_train"], "n_test": res[0]["n_test"], "d": res[0]["d"],
        "seeds_ok": len(ok), "gate_failures": sum(a["gate_failed"] or b["gate_failed"]
                                                  for a, b, _ in per),
        "ratio": ci["mean"], "ratio_lo": ci["lo"], "ratio_hi": ci["hi"],
        "ratio_per_seed": ratios}
    for tag, xs, recs in (("variant", va, [a for a, _, _ in per]),
                          ("relu", vr, [b for _, b, _ in per])):
        row[f"M_{tag}"] = _ci([x["value"] for x in xs if x])["mean"]
        row[f"cond_{tag}"] = max((r["cond"] for r in recs if not r["gate_failed"]
                                  and r["cond"] is not None), default=None)
        row[f"gates_failed_{tag}"] = [[r["gate"], r["gate_value"]] for r in recs
                                      if r["gate_failed"]]
        row[f"cond_failed_{tag}"] = max((r["gate_value"] for r in recs if r["gate_failed"]
                                         and "cond" in str(r["gate"])), default=None)
        row[f"ridge_abs_{tag}"] = _ci([r["ridge_abs"] for r in recs
                                       if not r["gate_failed"]])["mean"]
        row[f"spearman_{tag}"] = _ci([x["spearman"] for x in xs if x])["mean"]
    row["topk_jaccard_attn"] = _ci([x["topk_jaccard"] for x in va if x])["mean"]
    row["topk_jaccard_relu"] = _ci([x["topk_jaccard"] for x in vr if x])["mean"]
    if ref:
        vf = [_attack(c, th) if c else None for _, _, c in per]
        rr = [x["value"] / y["value"] for x, y in zip(va, vf, strict=True)
              if x and y and y["value"] > 0]
        cr = _ci(rr)
        row.update({"ref": ref, "ratio_ref": cr["mean"], "ratio_ref_lo": cr["lo"],
                    "ratio_ref_hi": cr["hi"], "ratio_ref_per_seed": rr})
    return row


def mall_table(rows: list[dict[str, Any]], dataset: str, ref_name: str | None = None) -> str:
    """The malleability table of one dataset (every number fmt() of a stored value)."""
    sel = [r for r in rows if r["dataset"] == dataset]
    if not sel:
        return ""
    hdr = ["setting", "threat", "ridge", "M variant", "M relu", "ratio", "CI lo", "CI hi",
           "Jaccard variant", "Jaccard relu", "κ(K+λI) variant"]
    if ref_name:
        hdr += [f"ratio vs {ref_name}", "CI lo", "CI hi"]
    body = []
    for r in sorted(sel, key=lambda r: (r["ridge_mode"], THREATS.index(r["threat"]))):
        line = [r["setting"], r["threat"], r["ridge_mode"], r["M_variant"], r["M_relu"],
                r["ratio"], r["ratio_lo"], r["ratio_hi"], r["topk_jaccard_attn"],
                r["topk_jaccard_relu"], r["cond_variant"] or r["cond_failed_variant"]]
        if ref_name:
            line += [r.get("ratio_ref"), r.get("ratio_ref_lo"), r.get("ratio_ref_hi")]
        body.append(line)
    return table(hdr, body)


def mall_sentence(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> str:
    """One plain sentence: the range of ``ratio`` per ridge convention over ``rows``, and
    for each group of ``key(row)`` its geometric mean (numbers from the rows)."""
    parts = []
    for mode in ("relative", "absolute"):
        sel = [r for r in rows if r["ridge_mode"] == mode and r["ratio"]]
        if not sel:
            continue
        groups: dict[str, list[float]] = {}
        for r in sel:
            groups.setdefault(key(r), []).append(math.log(r["ratio"]))
        gm = "; ".join(f"{g} {fmt(math.exp(sum(v) / len(v)))}" for g, v in groups.items())
        parts.append(f"{mode} ridge: M_variant/M_relu {fmt(min(r['ratio'] for r in sel))}–"
                     f"{fmt(max(r['ratio'] for r in sel))} over {len(sel)} rows "
                     f"(geometric means {gm})")
    gates = sum(r["gate_failures"] > 0 for r in rows)
    tail = (f"; {gates} rows had seeds failing an Appendix A.8 kernel gate (recorded, not "
            "attacked)") if gates else ""
    return ("Malleability against the two-layer ReLU network: " + "; ".join(parts) + tail
            + "." if parts else "No malleability was measured.")
