"""``python -m experiments.compare RUN_A RUN_B``: do two runs agree within the tolerance table?

The reproducibility promise, stated exactly:

* **same machine, same thread count, same package versions** -> ``results.json`` is byte for
  byte identical (tested by running the job twice);
* **another machine, CPU capability (``ATEN_CPU_CAPABILITY``) or thread count** -> floating
  point routes may round differently, so the numbers agree within the bounds of
  :mod:`pyverify.tolerance`, value by value.  This command checks that second promise.

It walks both ``results.json`` in parallel.  Structure, keys, list lengths, integers
(sizes, ranks, seeds, counts), booleans and text must be equal; numbers written inside text
(the sentences of findings and verdicts) must agree to the digits printed (one unit in the
last printed digit) or within the float rule below.  Floats are compared by the rule that
applies to their quantity, per experiment ``e``:

* **first-order bound** (every float not matched below): ``|a − b| <= rtol_e · max(|a|, |b|)``
  with ``rtol_e = eig_rtol("float64", n_e, κ_e) = SAFETY · n_e · eps · κ_e`` -- Weyl's bound on
  an eigenvalue or a solve of the worst-conditioned matrix the experiment computes: ``n_e``
  is the largest matrix size it records (keys ``n``, ``d``, ``n_train``, ``size``) and
  ``κ_e`` the largest finite 2-norm condition number it records (keys starting with
  ``cond`` or ``kappa``; cubes ``cond_cube*`` count as their cube root), at least 1;
* **cubes** (keys containing ``cube``): three times that;
* **arc-cosine factors** (keys containing ``schur``: the factor (π − arccos u)/(2π) of the
  ReLU NTK and its eigenvalues): ``arccos_rtol("float64", n_e) · κ_e`` -- near |u| = 1
  arccos turns the rounding of u into its square root;
* **logarithms** (keys starting with ``log10``): absolute, ``6 · rtol_e / ln 10`` (the
  highest power of κ in a reported logarithm is κ⁶, the width bound);
* **rounding-error measurements** (keys naming an error, residual or difference:
  ``rel_diff``, ``error``, ``residual``, ``asymmetry``, ``accuracy``, ``*_rel``): such a
  value is itself a few units of rounding, different on every route, so only its order of
  magnitude must agree: ``|log10(a / b)| <= 1``, or both below ``SAFETY · eps``.

Exit status 0 when every value agrees, 1 when one does not (the worst disagreements are
printed), 2 on a bad option or an unreadable run folder.  The worst margins are printed in
both cases (``--top``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.driver import cli_main
from pyverify.errors import DataError
from pyverify.tolerance import EPS, SAFETY, arccos_rtol, eig_rtol

__all__ = ["Comparison", "Finding", "compare_results", "experiment_tolerance", "main"]

_ROUNDING = re.compile(r"(rel_diff|rel_error|residual|asymmetry|accuracy|_rel$)")
_SIZE_KEYS = ("n", "d", "n_train", "size")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
EPS64 = EPS["float64"]


@dataclass(frozen=True)
class Finding:
    """One compared value: its path, the two values, the rule, the allowed difference and
    ``excess`` = difference / allowed (> 1: a disagreement)."""

    path: str
    a: Any
    b: Any
    rule: str
    allowed: float
    excess: float


@dataclass(frozen=True)
class Comparison:
    """All findings (sorted, worst first), the number of values compared, the structural
    differences, and whether the two runs agree."""

    findings: list[Finding]
    compared: int
    structural: list[str]

    @property
    def agree(self) -> bool:
        return not self.structural and all(f.excess <= 1 for f in self.findings)


def _leaves(obj: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _leaves(v, str(k))
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v, key)
    else:
        yield key, obj


def _as_float(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    if v in ("inf", "-inf"):
        return float(v)
    return None


def experiment_tolerance(entry: Mapping[str, Any]) -> tuple[float, int, float]:
    """``(rtol_e, n_e, κ_e)`` of one ``results.json`` experiment entry (module docstring);
    its arc-cosine tolerance is ``arccos_rtol("float64", n_e) · κ_e``."""
    n, kappa = 1, 1.0
    for key, v in _leaves({"c": entry.get("config", {}), "s": entry.get("summary", {})}):
        f = _as_float(v)
        if f is None or not math.isfinite(f):
            continue
        if key in _SIZE_KEYS and isinstance(v, int) and v > n:
            n = v
        if key.startswith(("cond", "kappa")) and f >= 1:
            kappa = max(kappa, f ** (1 / 3) if "cube" in key else f)
    kappa = min(kappa, 1e300)
    return eig_rtol("float64", n, kappa), n, kappa


def _float_rule(key: str, a: float, b: float, rtol: float,
                arc: float = 0.0) -> tuple[str, float, float]:
    """(rule, allowed, actual difference measure) for two finite or infinite floats;
    ``rtol`` the experiment's first-order rtol_e, ``arc`` its arc-cosine rtol."""
    if math.isinf(a) or math.isinf(b):
        return "infinite: equal", 0.0, 0.0 if a == b else math.inf
    if _ROUNDING.search(key):
        floor = SAFETY * EPS64
        if max(abs(a), abs(b)) <= floor:
            return "rounding error: both below SAFETY eps", 1.0, 0.0
        if a == 0 or b == 0 or (a > 0) != (b > 0):
            return "rounding error: order of magnitude", 1.0, math.inf
        return "rounding error: order of magnitude", 1.0, abs(math.log10(abs(a) / abs(b)))
    if key.startswith("log10"):
        return "log10: 6 rtol_e / ln 10", 6 * rtol / math.log(10), abs(a - b)
    scale = max(abs(a), abs(b))
    if "schur" in key:
        return "arc-cosine: arccos_rtol(n_e) kappa_e |x|", arc * scale, abs(a - b)
    allowed = (3 if "cube" in key else 1) * rtol * scale
    return ("first-order: 3 rtol_e |x|" if "cube" in key else "first-order: rtol_e |x|",
            allowed, abs(a - b))


def _digits_rule(x: str, y: str) -> tuple[float, float]:
    """Allowed and actual difference of two printed numbers: one unit in the last digit."""
    a, b = float(x), float(y)
    mant = x.lower().split("e")[0].lstrip("+-")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    exp = int(x.lower().split("e")[1]) if "e" in x.lower() else 0
    return 10.0 ** (exp - decimals), abs(a - b)


class _Walker:
    def __init__(self) -> None:
        self.rtol, self.arc = eig_rtol("float64", 1), 0.0  # of the part being walked
        self.findings: list[Finding] = []
        self.structural: list[str] = []
        self.compared = 0

    def add(self, path: str, a: Any, b: Any, rule: str, allowed: float, diff: float) -> None:
        self.compared += 1
        excess = 0.0 if diff == 0 else (math.inf if allowed == 0 else diff / allowed)
        self.findings.append(Finding(path, a, b, rule, allowed, excess))

    def text(self, path: str, a: str, b: str) -> None:
        if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
            self.structural.append(f"{path}: text differs: {a[:80]!r} vs {b[:80]!r}")
            return
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True):
            if x == y:
                continue
            allowed, diff = _digits_rule(x, y)
            allowed = max(allowed, self.rtol * max(abs(float(x)), abs(float(y))))
            self.add(f"{path} (number in text)", x, y, "printed digits", allowed, diff)

    def walk(self, a: Any, b: Any, path: str, key: str) -> None:
        fa, fb = _as_float(a), _as_float(b)
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if k not in a or k not in b:
                    self.structural.append(f"{path}/{k}: only in run {'A' if k in a else 'B'}")
                    continue
                self.walk(a[k], b[k], f"{path}/{k}", str(k))
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                self.structural.append(f"{path}: {len(a)} vs {len(b)} items")
                return
            for i, (u, v) in enumerate(zip(a, b, strict=True)):
                self.walk(u, v, f"{path}[{i}]", key)
        elif isinstance(a, float) or isinstance(b, float) or (
                fa is not None and fb is not None and isinstance(a, str) != isinstance(b, str)):
            if fa is None or fb is None:
                self.structural.append(f"{path}: {a!r} vs {b!r}")
                return
            rule, allowed, diff = _float_rule(key, fa, fb, self.rtol, self.arc)
            self.add(path, a, b, rule, allowed, diff)
        elif isinstance(a, str) and isinstance(b, str):
            self.text(path, a, b)
        elif type(a) is not type(b) or a != b:
            self.structural.append(f"{path}: {a!r} vs {b!r} (must be equal)")
        else:
            self.compared += 1


def compare_results(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    """Compare two ``results.json`` contents value by value (module docstring)."""
    w = _Walker()
    for top in sorted(set(a) | set(b)):
        if top not in a or top not in b:
            w.structural.append(f"/{top}: only in run {'A' if top in a else 'B'}")
        elif top == "experiments":
            ea, eb = a[top], b[top]
            for name in sorted(set(ea) | set(eb)):
                if name not in ea or name not in eb:
                    w.structural.append(f"/experiments/{name}: only in run "
                                        f"{'A' if name in ea else 'B'}")
                    continue
                (ra, na, ka), (rb, nb, kb) = (experiment_tolerance(e[name]) for e in (ea, eb))
                w.rtol = max(ra, rb)
                w.arc = arccos_rtol("float64", max(na, nb)) * max(ka, kb)
                w.walk(ea[name], eb[name], f"/experiments/{name}", name)
        else:
            w.rtol, w.arc = eig_rtol("float64", 1), 0.0
            w.walk(a[top], b[top], f"/{top}", top)
    findings = sorted(w.findings, key=lambda f: -f.excess)
    return Comparison(findings, w.compared, w.structural)


def _load(run: str) -> dict[str, Any]:
    path = Path(run)
    path = path / "results.json" if path.is_dir() else path
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError.for_arg("RUN", "must be a run folder or a readable results.json",
                                str(path), hint=str(exc)) from None


def _row(f: Finding) -> str:
    return (f"{f.excess:9.3g}  {f.path}\n           A = {f.a!r}, B = {f.b!r}; allowed "
            f"{f.allowed:.3g} ({f.rule})")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m experiments.compare",
                                description="Compare two runs' results.json within the "
                                            "tolerance table.")
    p.add_argument("run_a", metavar="RUN_A", help="a run folder or its results.json")
    p.add_argument("run_b", metavar="RUN_B", help="a run folder or its results.json")
    p.add_argument("--top", type=int, default=10, help="how many worst margins to print")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")

    def body(args: argparse.Namespace) -> int:
        cmp = compare_results(_load(args.run_a), _load(args.run_b))
        bad = [f for f in cmp.findings if f.excess > 1]
        print(f"compared {cmp.compared} values; {len(bad)} outside their tolerance, "
              f"{len(cmp.structural)} structural difference(s)")
        for line in cmp.structural[: args.top]:
            print(f"  structure: {line}")
        if cmp.findings:
            print("worst margins (difference / allowed):")
            for f in cmp.findings[: args.top]:
                print("  " + _row(f))
        print("AGREE" if cmp.agree else "DISAGREE")
        return 0 if cmp.agree else 1

    return cli_main(body, p, argv)


if __name__ == "__main__":
    raise SystemExit(main())
