"""NTK convergence with width, as a function of a feature matrix (claims ``ntk-width``,
``softmax-attention``, ``multihead-layernorm``, ``qkv-ntk``).

The measurement of ``experiments.ntk_convergence``, made reusable.  For an infinite-width
NTK ``H_∞: (n, n)`` and finite-width NTKs ``H_m`` drawn at widths ``m`` (``draws``
independent draws each), :func:`kernel_regime` computes

* ``err2(m)`` = mean over draws of ``‖H_m − H_∞‖₂`` (spectral norm);
* ``rel_err = err2 / λ_max(H_∞)`` and the kernel-regime ratio ``ratio = err2 / λ_min(H_∞)``
  (< 1/2 keeps H_m positive definite with λ_min(H_m) ≥ λ_min(H_∞)/2, the lazy-training
  condition of Du et al. 2019); the ratio is ``None`` when λ_min(H_∞) is not resolved in
  the dtype (``λ_min ≤ eig_rtol(dtype, n) λ_max``, :mod:`pyverify.tolerance`): a singular
  H_∞ has no kernel regime at any width;
* the least-squares fit ``log10 ratio = a + b log10 m`` (scipy's ``linregress``; slope
  standard error with ≥ 3 points) and the extrapolated width
  ``m_½ = 10^{(log10 ½ − a)/b}`` at which the fitted ratio reaches 1/2 (``None`` unless
  b < 0), and ``m_½`` at the theoretical rate m^(-1/2) anchored at the widest m,
  ``log10 m_last + 2 log10(2 ratio_last)``.

:func:`kernel_regime_curve` applies it to the two-layer ReLU network on fixed features
``F: (n, p)`` (any attention variant's output; only the first layer trained):
``H_∞ = relu_ntk(F)`` and ``H_m = finite_width_ntk(F, None, W)`` with ``W: (m, p)`` iid
Gaussian (the NTK sees W only through its activation pattern, so the init scale drops out).
Speed: both depend on F only through inner products and on W only through its
rotation-invariant law, so F is replaced by its coordinates in an orthonormal basis of its
row space (:func:`linattn.reduce.span_coordinates`, p → rank(F) ≤ n) and W drawn there --
the same distribution of H_m (as in ``ntk_convergence``).  W for (seed, m, draw) comes from
its own generator, seeded ``1_000_003 (1009 seed + draw) + m``, as in ``ntk_convergence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from scipy import stats as sps

from linattn.ntk import finite_width_ntk, relu_ntk_core
from linattn.reduce import span_coordinates
from linattn.validate import as_matrix, dtype_name, linalg_guard, own_dtype
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eig_rtol

__all__ = [
    "KernelRegimeCurve",
    "check_widths",
    "kernel_regime",
    "kernel_regime_curve",
    "log10_m_half",
    "width_seed",
]


@dataclass(frozen=True)
class KernelRegimeCurve:
    """Result of :func:`kernel_regime` (see the module docstring for every definition)."""

    n: int
    widths: tuple[int, ...]
    draws: int
    err2: tuple[float, ...]
    rel_err: tuple[float, ...]
    ratio: tuple[float | None, ...]
    lam_min: float
    lam_max: float
    cond_ntk: float | None  # 2-norm κ(H_∞) = λ_max/λ_min; None when λ_min is not resolved
    lam_min_resolved: bool
    slope: float | None
    intercept: float | None
    se_slope: float | None
    log10_m_half: float | None
    log10_m_half_rate_half: float | None
    d_reduced: int | None = None


def check_widths(widths: Any) -> tuple[int, ...]:
    """``widths`` as a tuple of at least two positive integers, all distinct (InputError
    otherwise)."""
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
        raise InputError.for_arg("widths", "must be a sequence of positive integers", widths)
    out = []
    for m in widths:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise InputError.for_arg("widths", "must hold positive integers", widths)
        out.append(int(m))
    if len(out) < 2 or len(set(out)) != len(out):
        raise InputError.for_arg("widths", "must hold at least two widths, all distinct",
                                 widths)
    return tuple(out)


def _positive_int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError.for_arg(name, "must be an integer >= 1", v)
    return v


def width_seed(seed: int, width: int, draw: int) -> int:
    """The generator seed of the weights of (seed, width, draw):
    ``1_000_003 (1009 seed + draw) + width`` (as ``experiments.ntk_convergence``)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**40:
        raise InputError.for_arg("seed", "must be an integer in [0, 2**40)", seed)
    _positive_int("width", width)
    if isinstance(draw, bool) or not isinstance(draw, int) or not 0 <= draw < 1009:
        raise InputError.for_arg("draw", "must be an integer in [0, 1009)", draw)
    return 1_000_003 * (1009 * seed + draw) + width


def log10_m_half(slope: Any, intercept: Any) -> float | None:
    """``(log10 ½ − a)/b`` for the fit ``log10 ratio = a + b log10 m``: the log10 width at
    which the fitted ratio reaches 1/2; ``None`` unless ``b < 0`` (no decay, no crossing)."""
    if slope is None or intercept is None:
        return None
    try:
        b, a = float(slope), float(intercept)
    except (TypeError, ValueError):
        raise InputError.for_arg("slope/intercept", "must be real numbers",
                                 (slope, intercept)) from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise InputError.for_arg("slope/intercept", "must be finite", (slope, intercept))
    if not b < 0:
        return None
    out = (math.log10(0.5) - a) / b
    if not math.isfinite(out):
        raise NumericalError.for_arg("slope", "log10 m_half overflows a float", slope)
    return out


def _fit(widths: tuple[int, ...], ratios: list[float | None]
         ) -> tuple[float | None, float | None, float | None]:
    pts = [(math.log10(m), math.log10(r)) for m, r in zip(widths, ratios, strict=True)
           if r is not None and 0 < r < math.inf]
    if len({p[0] for p in pts}) < 2:
        return None, None, None
    fit = sps.linregress([p[0] for p in pts], [p[1] for p in pts])
    se = float(fit.stderr) if len(pts) >= 3 and math.isfinite(fit.stderr) else None
    if not (math.isfinite(fit.slope) and math.isfinite(fit.intercept)):
        return None, None, None
    return float(fit.slope), float(fit.intercept), se


def kernel_regime(H_inf: Any, widths: Any,
                  ntk_at: Callable[[int, int], torch.Tensor], *,
                  draws: int = 4) -> KernelRegimeCurve:
    """The kernel-regime curve of ``H_inf: (n, n)`` (symmetric) against the finite-width
    NTKs ``ntk_at(m, k): (n, n)`` (draw ``k`` at width ``m``), ``draws`` per width; see
    the module docstring.  Eigenvalues of the symmetrised ``H_inf`` by ``eigvalsh``."""
    H = as_matrix(H_inf, "H_inf", dtype=own_dtype(H_inf))
    n = H.shape[0]
    if H.shape != (n, n):
        raise InputError.for_arg("H_inf", "must be square", tuple(H.shape))
    ws = check_widths(widths)
    draws = _positive_int("draws", draws)
    if not callable(ntk_at):
        raise InputError.for_arg("ntk_at", "must be callable (width, draw) -> (n, n) NTK",
                                 type(ntk_at).__name__)
    H = 0.5 * (H + H.T)
    with linalg_guard("H_inf", "eigvalsh"):
        ev = torch.linalg.eigvalsh(H.detach())
    lam_min, lam_max = float(ev[0]), float(ev[-1])
    if not (math.isfinite(lam_min) and math.isfinite(lam_max)):
        raise NumericalError.for_arg("H_inf", "eigenvalues overflow the dtype", lam_max,
                                     hint="rescale H_inf (the ratios are scale invariant)")
    if not lam_max > 0:
        raise NumericalError.for_arg("H_inf", "must have a positive largest eigenvalue",
                                     lam_max)
    resolved = lam_min > eig_rtol(dtype_name(H.dtype), n) * lam_max
    err2: list[float] = []
    for m in ws:
        tot = 0.0
        for k in range(draws):
            Hm = ntk_at(m, k)
            if not isinstance(Hm, torch.Tensor):
                raise InputError.for_arg("ntk_at", "must return a tensor",
                                         type(Hm).__name__)
            Hm = as_matrix(Hm, "ntk_at(m, k)", dtype=H.dtype, device=H.device)
            if Hm.shape != H.shape:
                raise InputError.for_arg("ntk_at(m, k)", f"must have shape {tuple(H.shape)}",
                                         tuple(Hm.shape))
            with linalg_guard("ntk_at(m, k)", "matrix 2-norm"):
                tot += float(torch.linalg.matrix_norm((Hm - H).detach(), ord=2))
        if not math.isfinite(tot):
            raise NumericalError.for_arg("ntk_at(m, k)", "||H_m - H_inf||_2 overflows", m)
        err2.append(tot / draws)
    ratio = [e / lam_min if resolved else None for e in err2]
    b, a, se = _fit(ws, ratio)
    last = ratio[-1]
    rate_half = (math.log10(ws[-1]) + 2 * math.log10(2 * last)
                 if last is not None and last > 0 else None)
    return KernelRegimeCurve(
        n=n, widths=ws, draws=draws, err2=tuple(err2),
        rel_err=tuple(e / lam_max for e in err2), ratio=tuple(ratio),
        lam_min=lam_min, lam_max=lam_max,
        cond_ntk=lam_max / lam_min if resolved else None, lam_min_resolved=resolved,
        slope=b, intercept=a, se_slope=se, log10_m_half=log10_m_half(b, a),
        log10_m_half_rate_half=rate_half)


def kernel_regime_curve(F: Any, widths: Any, *, seed: int = 0,
                        draws: int = 4) -> KernelRegimeCurve:
    """The kernel-regime curve of the two-layer ReLU network on fixed features
    ``F: (n, p)``: ``H_∞ = relu_ntk(F)`` against ``finite_width_ntk(F, None, W)``, W drawn
    in the row space of F (module docstring); ``d_reduced`` records that dimension."""
    Ft = as_matrix(F, "F", dtype=own_dtype(F)).detach()
    zero = (Ft.abs().amax(dim=1) == 0).nonzero()
    if zero.numel():
        raise InputError.for_arg("F", "zero row: the ReLU NTK's angle is undefined",
                                 int(zero[0, 0]))
    ws = check_widths(widths)
    width_seed(seed, max(ws), max(0, _positive_int("draws", draws) - 1))  # validates seed
    (Fr,), red = span_coordinates(Ft)
    H = relu_ntk_core(Fr, None, "F", "F")

    def ntk_at(m: int, k: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(width_seed(seed, m, k))
        W = torch.randn(m, Fr.shape[1], generator=g, dtype=Fr.dtype).to(Fr.device)
        return finite_width_ntk(Fr, None, W)

    curve = kernel_regime(H, ws, ntk_at, draws=draws)
    return KernelRegimeCurve(**{**curve.__dict__, "d_reduced": red["d_reduced"]})
