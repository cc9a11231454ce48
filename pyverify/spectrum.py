"""Eigenvalues and 2-norm condition numbers at high precision (paper Theorem 4.7).

* kappa(S) = lambda_max / lambda_min for symmetric positive definite S: the 2-NORM
  condition number ||S||_2 ||S^-1||_2.  ``mpmath.cond`` defaults to the 1-NORM
  (||S||_1 ||S^-1||_1) and is NOT used anywhere here; the paper's theorems are about the
  2-norm.
* kappa_d(G) = lambda_1 / lambda_r over the top r = min(n, d) eigenvalues of G = X X^T
  (a rank-min(n, d) truncation; G has rank <= min(n, d)).  Undefined (inf) when the
  numerical rank is below r.
* Theorem 4.7: kappa(G^3) = kappa(G)^3 for SPD G.  :func:`check_cond_cubed` computes
  kappa(G^3) from the eigenvalues of the MATRIX G^3 (formed exactly), not by cubing the
  eigenvalues of G, and compares.

Method: G (and G^3) are formed exactly (integer arithmetic), rounded once per entry to
``dps`` digits, and diagonalised with ``mpmath.eigsy`` inside ``mpmath.workdps(dps)``.
Every eigendecomposition is checked: the relative residual ||S Q - Q Lambda||_F / ||S||_F
must be <= ``tolerance.mp_residual_rtol(dps, n)`` = SAFETY * n * 10^-dps, else
NumericalError.  Numerical rank: eigenvalues <= rtol * lambda_max count as zero, default
``tolerance.mp_rank_rtol(dps, n, d)`` = SAFETY * max(n, d) * 10^-dps (exact zeros come
out near 10^-dps relative).  Returned mpf values carry ``dps`` digits; do further
arithmetic on them inside ``mpmath.workdps(dps)`` (the global mpmath default is 15).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import ScaledInt, as_exact_scalar, as_scaled_int, check_dps
from pyverify.tolerance import mp_rank_rtol, mp_residual_rtol, mp_symmetry_rtol

__all__ = [
    "SpectralStats",
    "check_cond_cubed",
    "cond",
    "cond_d",
    "eigenvalues",
    "numerical_rank",
    "spectral_stats",
]


def _symmetric(S: Any, name: str, dps: int) -> ScaledInt:
    """Exact square symmetric form of S (symmetrised if asymmetric within tolerance)."""
    s = as_scaled_int(S, name)
    n, m = s.shape
    if n != m:
        raise InputError.for_arg(name, "must be square", (n, m))
    A = s.num
    D = A - A.transpose()
    if D.is_zero_matrix:
        return s
    asym = max(abs(int(v)) for row in D.to_list() for v in row)
    scale = max(abs(int(v)) for row in A.to_list() for v in row)
    rel = Fraction(asym, scale)
    tol = mp_symmetry_rtol(dps)
    if rel > Fraction(tol):
        raise InputError.for_arg(name, "must be symmetric", f"max|S - S^T| / max|S| = "
                                 f"{float(rel):.3g} > {tol:.1g}")
    return ScaledInt(A + A.transpose(), 2 * s.den)


def _eigh(s: ScaledInt, name: str, dps: int) -> tuple[list[mpmath.mpf], mpmath.mpf]:
    """Descending eigenvalues of the exact symmetric ``s`` at ``dps`` digits, and the
    checked relative residual."""
    n = s.shape[0]
    M = s.to_mp(dps)
    with mpmath.workdps(dps):
        E, Q = mpmath.eigsy(M)
        norm = mpmath.mnorm(M, "f")
        R = M * Q - Q * mpmath.diag(E)
        res = mpmath.mnorm(R, "f") / norm if norm else mpmath.mpf(0)
        tol = mp_residual_rtol(dps, n)
        if res > tol:
            raise NumericalError.for_arg(name, "eigen-residual ||S Q - Q Lambda||_F / ||S||_F "
                                         f"above mp_residual_rtol = {tol:.1e}", res)
        return sorted((E[i] for i in range(n)), reverse=True), +res


def eigenvalues(S: Any, *, dps: int = 50) -> list[mpmath.mpf]:
    """Eigenvalues of a symmetric matrix S: (n, n), descending, as mpf at ``dps`` digits.

    Uses ``mpmath.eigsy`` at ``workdps(dps)``.  S must be symmetric exactly or to within
    relative ``mp_symmetry_rtol(dps)`` = 10^-(dps-5) (then it is symmetrised), else
    InputError "must be symmetric".  NumericalError if the eigen-residual exceeds
    ``mp_residual_rtol(dps, n)``.
    """
    dps = check_dps(dps)
    return _eigh(_symmetric(S, "S", dps), "S", dps)[0]


def _is_matrix(obj: Any) -> bool:
    if isinstance(obj, ScaledInt):
        return True
    if isinstance(obj, sympy.MatrixBase | mpmath.matrix):
        return obj.cols > 1 or obj.rows == 1  # a column of eigenvalues (eigsy's E) is 1-D
    if isinstance(obj, np.ndarray):
        return obj.ndim == 2
    if isinstance(obj, list | tuple) and obj:
        return isinstance(obj[0], list | tuple | np.ndarray)
    return False


def _eig_list(eigs: Any, dps: int, name: str = "eigs") -> list[mpmath.mpf]:
    """Validated eigenvalue list (descending mpf at ``dps`` digits)."""
    if isinstance(eigs, sympy.MatrixBase | mpmath.matrix):
        items = [eigs[i] for i in range(eigs.rows * eigs.cols)]
    elif isinstance(eigs, np.ndarray):
        if eigs.ndim != 1:
            raise InputError.for_arg(name, "must be 1-D (a list of eigenvalues)", eigs.ndim)
        items = list(eigs)
    elif isinstance(eigs, list | tuple):
        items = list(eigs)
    else:
        raise InputError.for_arg(name, "must be a 1-D sequence of eigenvalues",
                                 type(eigs).__name__)
    if not items:
        raise InputError.for_arg(name, "must be non-empty", "length 0")
    out = []
    with mpmath.workdps(dps):
        for i, v in enumerate(items):
            if isinstance(v, mpmath.mpf) and mpmath.isfinite(v):
                out.append(+v)
                continue
            f = as_exact_scalar(v, name, where=f"entry [{i}]")
            out.append(mpmath.mpf(f.numerator) / f.denominator)
    return sorted(out, reverse=True)


def _check_rtol(rtol: Any) -> mpmath.mpf:
    f = as_exact_scalar(rtol, "rtol")
    if not 0 <= f < 1:
        raise InputError.for_arg("rtol", "must satisfy 0 <= rtol < 1", rtol)
    return mpmath.mpf(f.numerator) / f.denominator


def _rank(eigs: list[mpmath.mpf], rtol: mpmath.mpf) -> int:
    top = eigs[0]
    if top <= 0:
        return 0
    return sum(1 for v in eigs if v > rtol * top)


def numerical_rank(eigs: Any, *, rtol: float) -> int:
    """Number of eigenvalues lambda_i > rtol * lambda_max (0 if lambda_max <= 0).

    ``rtol`` is explicit (0 <= rtol < 1); :func:`spectral_stats` records the one it used.
    """
    with mpmath.workdps(60):
        return _rank(_eig_list(eigs, 60), _check_rtol(rtol))


def _default_rtol(rtol: Any, dps: int, n: int, d: int | None = None) -> mpmath.mpf:
    return _check_rtol(mp_rank_rtol(dps, n, d) if rtol is None else rtol)


def cond(S_or_eigs: Any, *, dps: int = 50, rtol: float | None = None) -> mpmath.mpf:
    """2-norm condition number kappa = lambda_max / lambda_min of an SPD matrix.

    S_or_eigs: a symmetric (n, n) matrix, or its eigenvalues (1-D).  Not mpmath's
    ``cond`` (1-norm by default).  Raises NumericalError "cond undefined: lambda_min <= 0
    ..." (with the numerical rank) for a singular or indefinite matrix, and likewise when
    0 < lambda_min <= rtol * lambda_max (singular to working precision; default rtol
    ``mp_rank_rtol(dps, n)``), rather than returning inf.
    """
    dps = check_dps(dps)
    if _is_matrix(S_or_eigs):
        name, eigs = "S", eigenvalues(S_or_eigs, dps=dps)
    else:
        name, eigs = "eigs", _eig_list(S_or_eigs, dps)
    n = len(eigs)
    tol = _default_rtol(rtol, dps, n)
    with mpmath.workdps(dps):
        lo, hi, rank = eigs[-1], eigs[0], _rank(eigs, tol)
        hint = f"matrix is singular or indefinite, rank {rank} of {n} (rtol {mpmath.nstr(tol, 3)})"
        if lo <= 0:
            raise NumericalError.for_arg(name, "cond undefined: lambda_min <= 0",
                                         mpmath.nstr(lo, 10), hint=hint)
        if rank < n:
            raise NumericalError.for_arg(name, "cond undefined: lambda_min <= rtol * "
                                         "lambda_max (numerically zero)", mpmath.nstr(lo, 10),
                                         hint=hint)
        return hi / lo


def cond_d(eigs: Any, r: int, *, dps: int = 50, rtol: float | None = None) -> mpmath.mpf:
    """kappa_d = lambda_1 / lambda_r over the top ``r`` eigenvalues (r = min(n, d) for G).

    Raises NumericalError stating the numerical rank if it is below r (the r-th largest
    eigenvalue is <= rtol * lambda_max, default rtol ``mp_rank_rtol(dps, len(eigs))``);
    :func:`spectral_stats` records inf with a note instead of raising.
    """
    dps = check_dps(dps)
    vals = _eig_list(eigs, dps)
    if isinstance(r, bool) or not isinstance(r, numbers.Integral) or not 1 <= r <= len(vals):
        raise InputError.for_arg("r", f"must be an integer in 1..{len(vals)}", r)
    tol = _default_rtol(rtol, dps, len(vals))
    with mpmath.workdps(dps):
        rank = _rank(vals, tol)
        if rank < r:
            raise NumericalError.for_arg(
                "eigs", f"cond_d undefined: numerical rank {rank} < r = {r}",
                mpmath.nstr(vals[r - 1], 10),
                hint=f"lambda_r <= rtol * lambda_max (rtol {mpmath.nstr(tol, 3)}); the data "
                "are rank-deficient")
        return vals[0] / vals[r - 1]


@dataclass(frozen=True)
class SpectralStats:
    """Spectrum of G = X X^T (X: (n, d)) and its 2-norm condition numbers at ``dps`` digits.

    ``cond``: lambda_1 / lambda_rank over the numerical rank (inf only if X is zero).
    ``cond_d``: over the top r = min(n, d) eigenvalues; inf (see ``cond_d_note``) if
    rank < r.  ``cond_cube``: from the eigenvalues of the matrix G^3 over the same rank;
    inf (see ``cond_cube_note``) if its smallest one is not resolved at ``dps`` digits.
    ``residual``/``residual_cube``: checked eigen-residuals of G and G^3.
    """

    n: int
    d: int
    dps: int
    rtol: mpmath.mpf
    eigenvalues: tuple[mpmath.mpf, ...]
    eigenvalues_cube: tuple[mpmath.mpf, ...]
    rank: int
    r: int
    cond: mpmath.mpf
    cond_note: str
    cond_d: mpmath.mpf
    cond_d_note: str
    cond_cube: mpmath.mpf
    cond_cube_note: str
    residual: mpmath.mpf
    residual_cube: mpmath.mpf

    def as_dict(self, digits: int = 20) -> dict[str, Any]:
        """JSON-ready dict; mpf values as decimal strings with ``digits`` digits."""
        def fmt(v: Any) -> Any:
            if isinstance(v, mpmath.mpf):
                return mpmath.nstr(v, digits)
            if isinstance(v, tuple):
                return [fmt(x) for x in v]
            return v
        return {k: fmt(getattr(self, k)) for k in self.__dataclass_fields__}


def spectral_stats(X: Any, *, dps: int = 50, rtol: float | None = None) -> SpectralStats:
    """Eigenvalues, numerical rank, kappa(G), kappa_d(G), kappa(G^3) for G = X X^T.

    X: (n, d), numeric.  Norm: 2-norm throughout.  ``rtol`` defaults to
    ``mp_rank_rtol(dps, n, d)`` = SAFETY * max(n, d) * 10^-dps.  Never raises for rank
    deficiency (real images have constant pixels): it records inf and says why.
    """
    dps = check_dps(dps)
    x = as_scaled_int(X, "X")
    n, d = x.shape
    tol = _default_rtol(rtol, dps, n, d)
    g = x @ x.T
    eigs, res = _eigh(g, "X", dps)
    g3 = g @ g @ g
    eigs3, res3 = _eigh(g3, "X", dps)
    r = min(n, d)
    inf = mpmath.inf
    with mpmath.workdps(dps):
        rank = _rank(eigs, tol)
        if rank == 0:
            c, c_note = inf, "inf: X is zero (every eigenvalue of G is numerically zero)"
        else:
            c = eigs[0] / eigs[rank - 1]
            c_note = (f"over all {n} eigenvalues (G is nonsingular)" if rank == n else
                      f"over the top {rank} of {n} eigenvalues (numerical rank {rank}; "
                      "G is singular)")
        if rank >= r:
            cd, cd_note = eigs[0] / eigs[r - 1], f"over the top r = min(n, d) = {r} eigenvalues"
        else:
            cd = inf
            cd_note = (f"inf: numerical rank {rank} < r = min(n, d) = {r}; lambda_{r} = "
                       f"{mpmath.nstr(eigs[r - 1], 5)} <= rtol * lambda_max (rtol "
                       f"{mpmath.nstr(tol, 3)}): rank-deficient data (duplicate or dependent "
                       "rows, zero or constant columns)")
        if rank == 0:
            cc, cc_note = inf, c_note
        elif eigs3[rank - 1] <= tol * eigs3[0]:
            cc = inf
            cc_note = (f"inf: lambda_{rank}(G^3) <= rtol * lambda_max(G^3); kappa(G)^3 is "
                       f"beyond what {dps} digits resolve (raise dps)")
        else:
            cc = eigs3[0] / eigs3[rank - 1]
            cc_note = f"from the eigenvalues of the matrix G^3, over the top {rank}"
    return SpectralStats(n=n, d=d, dps=dps, rtol=tol, eigenvalues=tuple(eigs),
                          eigenvalues_cube=tuple(eigs3), rank=rank, r=r, cond=c,
                          cond_note=c_note, cond_d=cd, cond_d_note=cd_note, cond_cube=cc,
                          cond_cube_note=cc_note, residual=res, residual_cube=res3)


def check_cond_cubed(X: Any, *, dps: int = 50, digits: int = 40) -> mpmath.mpf:
    """Theorem 4.7: kappa(G^3) = kappa(G)^3 (2-norm) for G = X X^T, X: (n, d), G SPD.

    kappa(G^3) is computed from the eigenvalues of the exact matrix G^3 (not by cubing
    those of G).  Returns |kappa(G^3) - kappa(G)^3| / kappa(G)^3 and raises NumericalError
    if it exceeds 10^-digits (1 <= digits < dps), or (from :func:`cond`) if G is singular.
    The attainable agreement is about dps - log10(n * kappa(G)^3) digits.
    """
    dps = check_dps(dps)
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) \
            or not 1 <= digits < dps:
        raise InputError.for_arg("digits", f"must be an integer in 1..{dps - 1} (< dps)", digits)
    x = as_scaled_int(X, "X")
    g = x @ x.T
    k = cond(g, dps=dps)
    k3 = cond(g @ g @ g, dps=dps)
    with mpmath.workdps(dps):
        rel = abs(k3 - k**3) / k**3
        if rel > mpmath.mpf(10) ** (-int(digits)):
            raise NumericalError.for_arg(
                "X", f"kappa(G^3) = kappa(G)^3 holds to fewer than {digits} digits", rel,
                hint=f"kappa(G) = {mpmath.nstr(k, 8)}, kappa(G^3) = {mpmath.nstr(k3, 8)}")
        return rel
