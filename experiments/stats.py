"""Private: seed statistics shared by the runnable experiments (t-intervals, log-log fits).

Confidence intervals over seeds are Student-t intervals for the mean,
``mean ± t_{(1+level)/2, k-1} · sd / √k`` with ``k`` seeds and ``sd`` the sample standard
deviation (``ddof = 1``).  With one seed the interval is ``[mean, mean]`` and ``method`` says
so.  Non-finite values are dropped and counted (``dropped``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats as _sps

LEVEL = 0.95
"""Default confidence level of every interval in the report."""


def finite(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def mean_ci(values: Sequence[Any], level: float = LEVEL) -> dict[str, Any]:
    """``{"mean", "lo", "hi", "sd", "k", "dropped", "method"}`` (t-interval over seeds)."""
    vals = finite(values)
    k = len(vals)
    out: dict[str, Any] = {"k": k, "dropped": len(values) - k, "level": level}
    if k == 0:
        return {**out, "mean": None, "lo": None, "hi": None, "sd": None,
                "method": "no finite values"}
    m = float(np.mean(vals))
    if k == 1:
        return {**out, "mean": m, "lo": m, "hi": m, "sd": 0.0,
                "method": "single seed: no interval"}
    sd = float(np.std(vals, ddof=1))
    half = float(_sps.t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
    return {**out, "mean": m, "lo": m - half, "hi": m + half, "sd": sd,
            "method": f"Student-t {round(level * 100)}% over {k} seeds"}


def loglog_fit(x: Sequence[float], y: Sequence[float]) -> dict[str, Any]:
    """Least squares ``log10 y = a + b log10 x`` over the positive finite pairs.

    Returns slope ``b``, intercept ``a`` and the slope's standard error
    ``se_b = sqrt(RSS/(k-2) / Σ(u-ū)²)`` (``None`` with fewer than 3 points)."""
    pairs = [(math.log10(float(a)), math.log10(float(b))) for a, b in zip(x, y, strict=True)
             if a is not None and b is not None and math.isfinite(float(a))
             and math.isfinite(float(b)) and float(a) > 0 and float(b) > 0]
    k = len(pairs)
    if k < 2:
        return {"slope": None, "intercept": None, "se_slope": None, "k": k}
    u = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    su = float(((u - u.mean()) ** 2).sum())
    b = float(((u - u.mean()) * (v - v.mean())).sum() / su)
    a = float(v.mean() - b * u.mean())
    se = None
    if k >= 3:
        rss = float(((v - a - b * u) ** 2).sum())
        se = math.sqrt(rss / (k - 2) / su)
    return {"slope": b, "intercept": a, "se_slope": se, "k": k}
