"""The width law: the width m_½ at which the kernel-regime ratio reaches 1/2, its power law in
n, and the width bounds it is compared with (claim ``ntk-width``).

* :func:`log10_m_half`: least squares ``log10 ratio = a + b log10 m`` over one network's
  widths; ``m_½ = 10^((log10 target − a)/b)`` (extrapolated when the widths stop short).
  The kernel-regime ratio is ‖H_m − H_∞‖₂/λ_min(H_∞); ratio < 1/2 keeps
  λ_min(H_m) ≥ λ_min(H_∞)/2 (Weyl), the lazy-training condition of Du et al. (2019).
* :func:`log10_m_half_at_rate`: the same with the slope fixed at the central-limit rate
  b = −1/2 (H_m − H_∞ is a mean of m i.i.d. zero-mean matrices, so √m ‖H_m − H_∞‖₂
  converges in law): only the intercept is fitted, so m_½ is far less noisy than with a
  free slope, and exact in the limit; the free slope says whether the widths reached it.
* :func:`power_law_fit`: least squares ``log10 y = a + b log10 x`` over all points (seed-level
  replicates included): exponent b with its Student-t interval (k − 2 degrees of freedom);
  at ``x0`` the fitted value with the regression **prediction** interval
  ``ŷ0 ± t s √(1 + 1/k + (u0 − ū)²/S_uu)`` (u = log10 x; a new seed's log10 y at x0) and the
  confidence interval of the mean line (the same without the 1);
  :func:`fit_band` evaluates either interval at any x.
* :func:`width_bounds`: the three bounds at one n, with the eigenvalues they use.
* Bounds, in log10 (no overflow): :func:`log10_cond_width` = log10(κ² n ln n), the paper's
  ``m = Ω(κ⁶ n log n)`` with κ(H_∞)² in place of κ_d(G)⁶ = κ(G³)² (the kernel that governs
  training is H_∞, not G³); :func:`log10_du_width` = log10(n⁶/(λ₀⁴ δ³)), Du, Zhai, Poczos and
  Singh (2019), "Gradient descent provably optimizes over-parameterized neural networks",
  ICLR (arXiv:1810.02054), whose convergence theorems for gradient flow and gradient descent
  ask m = Ω(n⁶/(λ₀⁴ δ³)) for unit-norm inputs ‖x_i‖₂ = 1, failure probability δ and
  λ₀ = λ_min(H_∞) (the theorem numbers differ between the arXiv and ICLR versions).  The
  paper's own κ_d(G)⁶ n ln n is :func:`linattn.spectrum.log10_width` (c = 1 in every bound;
  ln the natural log).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy import stats as sps

from linattn.ntk import relu_ntk
from linattn.spectrum import spectral_stats
from linattn.validate import as_matrix, linalg_guard
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eig_rtol

__all__ = ["fit_band", "log10_cond_width", "log10_du_width", "log10_m_half",
           "log10_m_half_at_rate", "m_half_estimates", "power_law_fit", "width_bounds"]


def _floats(x: Any, name: str) -> np.ndarray:
    """``x`` as a flat float64 array (None entries -> NaN); InputError if not numeric."""
    try:
        seq = [np.nan if v is None else v for v in x] if isinstance(x, list | tuple) else x
        if np.iscomplexobj(seq) or (isinstance(seq, torch.Tensor) and seq.is_complex()):
            raise TypeError("complex")
        if isinstance(seq, torch.Tensor):
            seq = seq.detach().cpu().to(torch.float64).numpy()
        return np.asarray(seq, dtype=np.float64).ravel()
    except (TypeError, ValueError, RuntimeError):
        raise InputError.for_arg(name, "must be a sequence of real numbers",
                                 type(x).__name__) from None


def _pairs(x: Any, y: Any, names: tuple[str, str], *, y_log: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    """(log10 x, log10 y) of the pairs with both finite and positive (``y_log``: y is
    already a log10, any finite value); the other pairs are dropped."""
    xa, ya = _floats(x, names[0]), _floats(y, names[1])
    if xa.shape != ya.shape:
        raise InputError.for_arg(names[1], f"must have as many entries as {names[0]}",
                                 (xa.size, ya.size))
    ok = np.isfinite(xa) & np.isfinite(ya) & (xa > 0) & ((ya > 0) | y_log)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(xa[ok]), (ya[ok] if y_log else np.log10(ya[ok]))


def _finite_fit(out: dict[str, Any], names: str) -> dict[str, Any]:
    """``out`` when every float in it is finite; NumericalError naming ``names`` when the
    least squares over- or underflowed (values near the float range, x nearly all equal)."""
    bad = [k for k, v in out.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise NumericalError.for_arg(names, "least squares in log10 is not finite (values "
                                     "near the float range or x nearly constant)", bad[:3])
    return out


def _ols(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float, float]:
    """(slope, intercept, residual sd or nan, S_uu) of v = a + b u."""
    ub = float(u.mean())
    suu = float(((u - ub) ** 2).sum())
    b = float(((u - ub) * (v - v.mean())).sum() / suu)
    a = float(v.mean() - b * ub)
    k = u.size
    s = math.sqrt(float(((v - a - b * u) ** 2).sum()) / (k - 2)) if k > 2 else math.nan
    return b, a, s, suu


def log10_m_half(widths: Sequence[float], ratios: Sequence[float], *,
                 target: float = 0.5) -> dict[str, Any]:
    """Fit ``log10 ratio = a + b log10 m`` and solve for the width where it equals
    ``target``: ``{"log10_m_half", "slope", "intercept", "se_slope", "k"}``.

    Pairs that are not finite and positive are dropped; ``log10_m_half`` is None with fewer
    than two distinct widths or a slope ≥ 0 (the ratio does not fall with width)."""
    target = _positive(target, "target")
    u, v = _pairs(widths, ratios, ("widths", "ratios"))
    out: dict[str, Any] = {"log10_m_half": None, "slope": None, "intercept": None,
                           "se_slope": None, "k": int(u.size)}
    if u.size < 2 or float(np.ptp(u)) == 0.0:
        return out
    b, a, s, suu = _ols(u, v)
    out.update(slope=b, intercept=a, se_slope=None if math.isnan(s) else s / math.sqrt(suu))
    if b < 0:
        out["log10_m_half"] = (math.log10(target) - a) / b
    return _finite_fit(out, "widths/ratios")


def log10_m_half_at_rate(widths: Sequence[float], ratios: Sequence[float], *,
                         rate: float = -0.5, target: float = 0.5) -> float | None:
    """log10 of the width where ``ratio = c m^rate`` equals ``target``, c fitted by least
    squares in log10 (``log10 c`` = mean of ``log10 ratio − rate log10 m``) over the finite
    positive pairs; None when there are none."""
    target = _positive(target, "target")
    if isinstance(rate, bool) or not isinstance(rate, int | float) \
            or not -math.inf < rate < 0:
        raise InputError.for_arg("rate", "must be a negative finite number", rate)
    u, v = _pairs(widths, ratios, ("widths", "ratios"))
    if u.size == 0:
        return None
    log_c = float((v - rate * u).mean())
    return (math.log10(target) - log_c) / rate


def m_half_estimates(widths: Sequence[float], ratios: Sequence[float], *,
                     rate_from: float = 0.0, target: float = 0.5) -> dict[str, Any]:
    """Both m_½ estimates of one ratio curve: ``{"slope", "log10_m_half",
    "log10_m_half_rate"}`` -- the free-slope fit over all widths (:func:`log10_m_half`) and
    the rate −1/2 fit over the widths ≥ ``rate_from`` (:func:`log10_m_half_at_rate`)."""
    fit = log10_m_half(widths, ratios, target=target)
    if isinstance(rate_from, bool) or not isinstance(rate_from, int | float) \
            or not rate_from < math.inf:
        raise InputError.for_arg("rate_from", "must be a finite number", rate_from)
    w, r = _floats(widths, "widths"), _floats(ratios, "ratios")
    top = w >= rate_from
    rate = log10_m_half_at_rate(w[top], r[top], target=target) if top.any() else None
    return {"slope": fit["slope"], "log10_m_half": fit["log10_m_half"],
            "log10_m_half_rate": rate}


def power_law_fit(x: Sequence[float], log10_y: Sequence[float], *, x0: float | None = None,
                  level: float = 0.95) -> dict[str, Any]:
    """Least squares ``log10 y = a + b log10 x`` (module docstring) over the pairs with x
    finite positive and ``log10_y`` finite (None entries dropped), with the exponent's
    t-interval and, at ``x0``, the prediction and mean intervals.

    Returns ``{"exponent", "exponent_lo", "exponent_hi", "intercept", "k", "dof",
    "resid_sd", "u_mean", "suu", "t", "level"}`` plus, with ``x0``, ``"log10_y0"``,
    ``"log10_y0_lo"``/``"_hi"`` (prediction interval) and ``"log10_y0_mean_lo"``/``"_hi"``.
    Intervals are None with fewer than 3 points (no residual variance)."""
    if not (isinstance(level, float) and 0 < level < 1):
        raise InputError.for_arg("level", "must be a float in (0, 1)", level)
    if x0 is not None:
        x0 = _positive(x0, "x0")
    u, v = _pairs(x, log10_y, ("x", "log10_y"), y_log=True)
    k = int(u.size)
    out: dict[str, Any] = {"exponent": None, "exponent_lo": None, "exponent_hi": None,
                           "intercept": None, "k": k, "dof": max(0, k - 2), "resid_sd": None,
                           "u_mean": None, "suu": None, "t": None, "level": level}
    if x0 is not None:
        out.update(log10_y0=None, log10_y0_lo=None, log10_y0_hi=None,
                   log10_y0_mean_lo=None, log10_y0_mean_hi=None)
    if k < 2 or float(np.ptp(u)) == 0.0:
        return out
    b, a, s, suu = _ols(u, v)
    out.update(exponent=b, intercept=a, u_mean=float(u.mean()), suu=suu)
    if k > 2:
        t = float(sps.t.ppf(0.5 + level / 2, k - 2))
        half = t * s / math.sqrt(suu)
        out.update(exponent_lo=b - half, exponent_hi=b + half, resid_sd=s, t=t)
    if x0 is not None:
        out["log10_y0"] = a + b * math.log10(x0)
        if k > 2:
            lo, hi = fit_band(out, [x0], prediction=True)
            mlo, mhi = fit_band(out, [x0], prediction=False)
            out.update(log10_y0_lo=lo[0], log10_y0_hi=hi[0], log10_y0_mean_lo=mlo[0],
                       log10_y0_mean_hi=mhi[0])
    return _finite_fit(out, "x/log10_y")


def fit_band(fit: dict[str, Any], x: Sequence[float], *, prediction: bool = False
             ) -> tuple[list[float], list[float]]:
    """Lower and upper log10 bounds of the mean line's confidence interval (or, with
    ``prediction``, the prediction interval) of a :func:`power_law_fit` result at each
    ``x > 0``.  InputError when the fit has no interval (fewer than 3 points)."""
    keys = ("exponent", "intercept", "resid_sd", "u_mean", "suu", "t", "k")
    if not isinstance(fit, dict) or any(fit.get(key) is None for key in keys):
        raise InputError.for_arg("fit", "must be a power_law_fit result with an interval "
                                 "(>= 3 points)", type(fit).__name__)
    xs = _floats(x, "x")
    if xs.size == 0 or not bool(np.all(np.isfinite(xs) & (xs > 0))):
        raise InputError.for_arg("x", "must be positive finite numbers", xs.tolist()[:3])
    u = np.log10(xs)
    mid = fit["intercept"] + fit["exponent"] * u
    var = 1.0 / fit["k"] + (u - fit["u_mean"]) ** 2 / fit["suu"] + (1.0 if prediction else 0)
    half = fit["t"] * fit["resid_sd"] * np.sqrt(var)
    return (mid - half).tolist(), (mid + half).tolist()


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value < math.inf:
        raise InputError.for_arg(name, "must be a positive finite number", value)
    return float(value)


def _n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise InputError.for_arg("n", "must be an integer >= 2 (ln 1 = 0)", n)
    return n


def log10_cond_width(cond: float, n: int) -> float | None:
    """log10(κ² n ln n) (c = 1, natural log) for a 2-norm condition number κ ≥ 1;
    None when κ is infinite (singular matrix: no bound)."""
    n = _n(n)
    if isinstance(cond, int | float) and not isinstance(cond, bool) and cond == math.inf:
        return None
    c = _positive(cond, "cond")
    if c < 1:
        raise InputError.for_arg("cond", "must be a 2-norm condition number >= 1", cond)
    return 2 * math.log10(c) + math.log10(n) + math.log10(math.log(n))


def log10_du_width(n: int, lam0: float, delta: float = 0.1) -> float:
    """log10(n⁶/(λ₀⁴ δ³)) (Du et al. 2019, c = 1) for the least eigenvalue
    ``lam0`` = λ_min(H_∞) > 0 of unit-norm inputs and failure probability ``delta`` in
    (0, 1)."""
    n = _n(n)
    lam = _positive(lam0, "lam0")
    d = _positive(delta, "delta")
    if not d < 1:
        raise InputError.for_arg("delta", "must be a probability in (0, 1)", delta)
    return 6 * math.log10(n) - 4 * math.log10(lam) - 3 * math.log10(d)


def _extremes(H: torch.Tensor) -> tuple[float, float, float, bool]:
    """(λ_min, λ_max, κ = λ_max/λ_min or inf, λ_min resolved: > eig_rtol(n) λ_max)."""
    with linalg_guard("X_first", "eigvalsh"):
        ev = torch.linalg.eigvalsh(H)
    lo, hi = float(ev[0]), float(ev[-1])
    return lo, hi, hi / lo if lo > 0 else math.inf, lo > eig_rtol("float64", H.shape[0]) * hi


def width_bounds(X: Any, X_first: Any, *, delta: float = 0.1) -> dict[str, Any]:
    """The width bounds at one n for data ``X: (n, d)`` whose network's first layer sees
    ``X_first: (n, d')`` (X for ReLU, X C for MLP-Attn; any rotation of it, e.g. its
    :mod:`linattn.reduce` coordinates): eigenvalues of H_∞ = ``relu_ntk(X_first)`` (dense
    ``eigvalsh``; λ_min counts as resolved when above ``eig_rtol("float64", n) λ_max``) and of
    H_∞ of its row-normalised rows (Du et al.'s λ₀), the spectrum of G = X Xᵀ
    (:func:`linattn.spectrum.spectral_stats`) and ``log10_bound_paper`` (κ_d(G)⁶ n ln n;
    None when κ_d = ∞), ``log10_bound_cond_h`` (κ(H_∞)² n ln n), ``log10_bound_du``
    (n⁶/(λ₀⁴ δ³)); a bound is None when its eigenvalue is not positive."""
    Xf = as_matrix(X_first, "X_first")
    n = Xf.shape[0]
    if as_matrix(X, "X").shape[0] != n or n < 2:
        raise InputError.for_arg("X_first", "must have the rows of X (n >= 2)", n)
    lam, lam_max, cond, ok = _extremes(relu_ntk(Xf, check=False))
    U = Xf / torch.linalg.vector_norm(Xf, dim=1, keepdim=True)
    lam0, _, cond_u, ok0 = _extremes(relu_ntk(U, check=False))
    st = spectral_stats(X)
    return {"n": n, "lambda_min": lam, "lambda_max": lam_max, "cond_H": cond,
            "lambda_min_resolved": ok, "lambda0_unit": lam0, "cond_H_unit": cond_u,
            "lambda0_resolved": ok0, "cond_G": st.cond, "cond_d_G": st.cond_d,
            "cond_d_note": st.cond_d_note, "log10_bound_paper": st.log10_width,
            "log10_bound_cond_h": log10_cond_width(cond, n) if lam > 0 else None,
            "log10_bound_du": log10_du_width(n, lam0, delta) if lam0 > 0 else None}
