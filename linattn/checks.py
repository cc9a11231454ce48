"""Numerical health gates for kernel matrices (the paper's Appendix A.8), in torch.

For a kernel matrix K (n, n) computed in floating point with unit roundoff ``eps`` and a
ridge ``ridge >= 0``, :func:`check_kernel` measures and gates

* ``symmetry``:      ||K - K^T||_F <= tau * ||K||_F;
* ``psd``:           lambda_min(K) > -tau * lambda_max(K);
* ``conditioning``:  kappa(K + ridge I) = (lambda_max + ridge) / (lambda_min + ridge)
  < ``max_cond`` (default 1e12, the paper's bound); a non-positive denominator counts as
  kappa = inf.

:func:`check_inverse` gates the inversion residual ||A^{-1} A - I||_F <= sqrt(n) *
solve_rtol(dtype, n, kappa(A)) (Higham Thm 7.2, per column; sqrt(n) for Frobenius over the
n columns), and :func:`check_solve` the backward residual of a solve A Z = B.

Deviation from the paper, on purpose: the paper's PSD gate is absolute
(lambda_min > -1e-12).  That is not scale invariant: entries of G^3 are ~1e12 and more on
image data, so rounding alone makes lambda_min ~ -1e-4 while the matrix is PSD to working
precision.  Here tau is relative to lambda_max; its default is
``pyverify.tolerance.eig_rtol(dtype, n)`` = SAFETY * n * eps, the first-order bound on
the absolute eigenvalue error of a backward-stable symmetric eigensolver divided by
lambda_max (Weyl).  Every failure raises :class:`~pyverify.errors.KernelHealthError`
built with ``KernelHealthError.gate(check, argument, condition, value, threshold)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from linattn.validate import as_matrix, dtype_name, ldexp, linalg_guard, own_dtype, pow2_scale
from pyverify.errors import InputError, KernelHealthError
from pyverify.tolerance import eig_rtol, solve_rtol

__all__ = [
    "GATES",
    "CheckArg",
    "InverseHealth",
    "KernelHealth",
    "check_inverse",
    "check_kernel",
    "check_solve",
    "default_tau",
    "inverse_threshold",
    "run_gates",
    "shifted_cond",
]

GATES = ("symmetry", "psd", "conditioning")
"""The kernel gates, in the order they are checked."""

PAPER_MAX_COND = 1e12
"""The paper's bound on kappa(K + ridge I) (Appendix A.8)."""


@dataclass(frozen=True)
class KernelHealth:
    """Measured values of the kernel gates (``None`` where a gate was not run)."""

    name: str
    n: int
    dtype: str
    tau: float
    ridge: float
    max_cond: float
    asymmetry: float | None  # ||K - K^T||_F / ||K||_F
    lambda_min: float | None
    lambda_max: float | None
    cond: float | None  # kappa(K + ridge I), 2-norm
    gates: tuple[str, ...]


@dataclass(frozen=True)
class InverseHealth:
    """Measured inversion residual ||A^{-1} A - I||_F and the threshold it met."""

    name: str
    n: int
    dtype: str
    residual: float
    threshold: float
    cond: float


def default_tau(dtype: torch.dtype, n: int) -> float:
    """Relative gate tolerance tau = eig_rtol(dtype, n) = SAFETY * n * eps(dtype)."""
    return eig_rtol(dtype_name(dtype), n)


def _ldexp(x: float, k: int) -> float:
    try:
        return math.ldexp(x, k)
    except OverflowError:
        return math.copysign(math.inf, x)


def shifted_cond(lam_min: float, lam_max: float, ridge: float) -> float:
    """2-norm kappa(K + ridge I) = (lambda_max + ridge) / (lambda_min + ridge) from the
    extreme eigenvalues of K; inf when the denominator is not positive (K + ridge I is
    singular or indefinite)."""
    try:
        lo, hi, r = float(lam_min), float(lam_max), float(ridge)
    except (TypeError, ValueError):
        raise InputError.for_arg("lam_min/lam_max/ridge", "must be real numbers",
                                 (lam_min, lam_max, ridge)) from None
    if not all(map(math.isfinite, (lo, hi, r))) or r < 0 or isinstance(ridge, bool):
        raise InputError.for_arg("lam_min/lam_max/ridge", "must be finite real numbers, "
                                 "ridge >= 0", (lam_min, lam_max, ridge))
    den = lo + r
    return math.inf if den <= 0 else (hi + r) / den


CheckArg = bool | Sequence[str]
"""The ``check=`` argument of the kernel functions: True (the cheap ``symmetry`` gate),
False/None (no gate) or a subset of :data:`GATES`."""


def run_gates(K: torch.Tensor, check: Any, name: str) -> torch.Tensor:
    """Return ``K`` after running the gates that ``check`` (a :data:`CheckArg`) selects."""
    if check is True:
        gates: tuple[str, ...] = ("symmetry",)
    elif check is False or check is None:
        gates = ()
    else:
        gates = tuple(check)
    if gates:
        check_kernel(K, gates=gates, name=name)
    return K


def check_kernel(
    K: object,
    *,
    ridge: float = 0.0,
    tau: float | None = None,
    max_cond: float = PAPER_MAX_COND,
    name: str = "K",
    gates: Sequence[str] = GATES,
    eigenvalues: torch.Tensor | None = None,
) -> KernelHealth:
    """Run the Appendix A.8 gates on a kernel matrix K: (n, n); return the measurements.

    ``gates`` selects a subset of :data:`GATES`; ``eigenvalues`` may pass precomputed
    eigenvalues of K (then no n x n eigendecomposition is done here).  K keeps its dtype
    (float32 kernels are gated with the float32 tau).  Raises KernelHealthError on failure.
    """
    K = as_matrix(K, name, dtype=own_dtype(K)).detach()
    if K.shape[0] != K.shape[1]:
        raise InputError.for_arg(name, "must be square", tuple(K.shape))
    unknown = set(gates) - set(GATES)
    if unknown:
        raise InputError.for_arg("gates", f"must be a subset of {GATES}", sorted(unknown))
    if not (0.0 <= ridge < math.inf):
        raise InputError.for_arg("ridge", "must be finite and >= 0", ridge)
    if tau is not None and not (0.0 <= tau < math.inf):
        raise InputError.for_arg("tau", "must be finite and >= 0", tau)
    if not max_cond >= 1.0:
        raise InputError.for_arg("max_cond", "must be >= 1", max_cond)
    n = K.shape[0]
    tau = default_tau(K.dtype, n) if tau is None else float(tau)
    asym = lam_min = lam_max = cond = None
    # Every gate is invariant under K -> s K, ridge -> s ridge: scale by an exact power of
    # two (max |K| in [1/2, 1)) so huge kernels (1e300) cannot overflow the measurements.
    k2 = pow2_scale(K)
    K = ldexp(K, -k2)
    s_ridge = _ldexp(float(ridge), -int(k2))
    if eigenvalues is not None:
        eigenvalues = ldexp(eigenvalues.detach().to(K.dtype), -k2)
    if "symmetry" in gates:
        norm = float(torch.linalg.matrix_norm(K))
        asym = float(torch.linalg.matrix_norm(K - K.T)) / norm if norm > 0 else 0.0
        if asym > tau:
            raise KernelHealthError.gate("symmetry", name, "||K - K^T||_F / ||K||_F <= tau",
                                         asym, tau)
    if "psd" in gates or "conditioning" in gates:
        if eigenvalues is None:
            with linalg_guard(name, "eigvalsh of the kernel"):
                eigenvalues = torch.linalg.eigvalsh(0.5 * (K + K.T))
        lam_min, lam_max = float(eigenvalues.min()), float(eigenvalues.max())
    if "psd" in gates and not lam_min > -tau * max(lam_max, 0.0):
        raise KernelHealthError.gate("psd", name, "lambda_min > -tau * lambda_max",
                                     lam_min, -tau * max(lam_max, 0.0))
    if "conditioning" in gates:
        cond = shifted_cond(lam_min, lam_max, s_ridge)
        if not cond < max_cond:
            raise KernelHealthError.gate("conditioning", name,
                                         f"kappa(K + ridge I) < max_cond (ridge={ridge:g})",
                                         cond, max_cond)
    if lam_min is not None:  # report in the kernel's own units
        lam_min, lam_max = _ldexp(lam_min, int(k2)), _ldexp(lam_max, int(k2))
    return KernelHealth(name, n, dtype_name(K.dtype), tau, float(ridge), float(max_cond),
                        asym, lam_min, lam_max, cond, tuple(gates))


def inverse_threshold(dtype: torch.dtype, n: int, cond: float) -> float:
    """sqrt(n) * solve_rtol(dtype, n, cond): bound on ||A^{-1} A - I||_F."""
    rtol = solve_rtol(dtype_name(dtype), n, max(cond, 1.0))  # validates n and cond
    return math.sqrt(n) * rtol


def check_inverse(A: object, A_inv: object, *, cond: float | None = None,
                  name: str = "K") -> InverseHealth:
    """Gate the inversion residual ||A_inv A - I||_F <= sqrt(n) * solve_rtol(dtype, n, kappa).

    A, A_inv: (n, n) in the same dtype.  ``cond`` = kappa(A) (2-norm); computed from the
    eigenvalues of A when omitted.  Raises KernelHealthError (check ``"inversion"``).
    """
    A = as_matrix(A, name, dtype=A.dtype if isinstance(A, torch.Tensor) else None).detach()
    Ai = as_matrix(A_inv, f"{name}_inv", dtype=A.dtype, device=A.device).detach()
    if A.shape[0] != A.shape[1] or Ai.shape != A.shape:
        raise InputError.for_arg(f"{name}_inv", f"must be square of shape {tuple(A.shape)}",
                                 tuple(Ai.shape))
    n = A.shape[0]
    if cond is None:
        with linalg_guard(name, "eigvalsh"):
            ev = torch.linalg.eigvalsh(0.5 * A + 0.5 * A.T)
        cond = shifted_cond(float(ev.min()), float(ev.max()), 0.0)
    eye = torch.eye(n, dtype=A.dtype, device=A.device)
    res = float(torch.linalg.matrix_norm(Ai @ A - eye))
    thr = inverse_threshold(A.dtype, n, cond) if math.isfinite(cond) else math.inf
    if not res <= thr:
        raise KernelHealthError.gate("inversion", name, "||A^-1 A - I||_F <= sqrt(n) * "
                                     "solve_rtol(dtype, n, kappa)", res, thr)
    return InverseHealth(name, n, dtype_name(A.dtype), res, thr, float(cond))


def check_solve(A: torch.Tensor, Z: torch.Tensor, B: torch.Tensor, *,
                name: str = "K") -> float:
    """Gate the backward error of a solve A Z = B computed by a stable method:
    ||A Z - B||_F <= solve_rtol(dtype, n, 1) * (||A||_F ||Z||_F + ||B||_F).

    Independent of kappa: Cholesky is backward stable (Higham Thm 10.4), so only a broken
    factorisation or a non-finite result fails it.  Returns the relative residual.
    """
    A = as_matrix(A, name).detach()
    Z = as_matrix(Z, "Z", dtype=A.dtype, device=A.device).detach()
    B = as_matrix(B, "B", dtype=A.dtype, device=A.device).detach()
    n = A.shape[0]
    if A.shape[1] != n or Z.shape[0] != n or B.shape != (n, Z.shape[1]):
        raise InputError.for_arg(name, "must be square with Z, B of shapes (n, k)",
                                 (tuple(A.shape), tuple(Z.shape), tuple(B.shape)))
    scale = float(torch.linalg.norm(A) * torch.linalg.norm(Z) + torch.linalg.norm(B))
    res = float(torch.linalg.norm(A @ Z - B))
    rel = res / scale if scale > 0 else res
    thr = solve_rtol(dtype_name(A.dtype), n, 1.0)
    if not rel <= thr:
        raise KernelHealthError.gate("inversion", name, "||A Z - B||_F / (||A|| ||Z|| + ||B||)"
                                     " <= solve_rtol(dtype, n, 1)", rel, thr)
    return rel
