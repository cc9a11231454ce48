"""The one tolerance table of the project.

Every comparison between a floating-point computation and the exact reference, and every
numerical gate, takes its tolerance from here.  Tolerances are derived from the unit
roundoff ``eps`` of the arithmetic, the problem size ``n`` and (where the error is
amplified by conditioning) the 2-norm condition number ``cond`` = lambda_max/lambda_min.

The rules are standard first-order forward-error bounds (Higham, *Accuracy and Stability
of Numerical Algorithms*, 2nd ed.), multiplied by a safety factor ``SAFETY`` that absorbs
the constants those bounds leave implicit:

==================  =======================================  ===========================
quantity            bound (relative)                          source
==================  =======================================  ===========================
inner products      n * eps                                   Higham Thm 3.5 (gamma_n)
matrix products     k * n * eps for a chain of k products     Higham Sec. 3.5
symmetric eigvals   n * eps * lambda_max / |lambda_i|         Weyl + backward-stable eigh
condition numbers   2 * n * eps * cond                        from the two extreme eigvals
cube of a matrix    3 * n * eps * cond                        3 products, eigvals cubed
linear solve        n * eps * cond                            Higham Thm 7.2
numerical rank      max(n, d) * eps * sigma_max               numpy.linalg.matrix_rank
==================  =======================================  ===========================

``EPS`` holds the unit roundoff per precision name; ``"mp<digits>"`` names an mpmath
working precision of that many decimal digits.
"""

from __future__ import annotations

import math

from pyverify.errors import InputError

__all__ = [
    "EPS",
    "SAFETY",
    "cond_rtol",
    "cube_rtol",
    "eig_rtol",
    "eps_of",
    "matmul_rtol",
    "rank_rtol",
    "solve_rtol",
]

SAFETY = 16.0
"""Multiplier on every first-order bound (absorbs the O(1) constants the bounds omit)."""

EPS: dict[str, float] = {
    "float16": 2.0**-10,
    "bfloat16": 2.0**-7,
    "float32": 2.0**-23,
    "tf32": 2.0**-10,
    "float64": 2.0**-52,
}


def eps_of(precision: str | float) -> float:
    """Unit roundoff of a precision name (``"float32"``, ``"float64"``, ``"mp50"``, ...).

    A float passes through unchanged (so callers may pass ``torch.finfo(dt).eps``).
    """
    if isinstance(precision, int | float):
        if not precision > 0:
            raise InputError.for_arg("precision", "must be a positive unit roundoff", precision)
        return float(precision)
    name = str(precision).removeprefix("torch.")
    if name in EPS:
        return EPS[name]
    if name.startswith("mp") and name[2:].isdigit():
        return 10.0 ** (-int(name[2:]))
    raise InputError.for_arg(
        "precision", f"must be one of {sorted(EPS)} or 'mp<digits>'", precision
    )


def _check_size(n: int) -> int:
    if not (isinstance(n, int) and n >= 1):
        raise InputError.for_arg("n", "must be an integer >= 1", n)
    return n


def _check_cond(cond: float) -> float:
    if not (cond >= 1.0) or math.isnan(cond):
        raise InputError.for_arg("cond", "must be a 2-norm condition number >= 1", cond)
    return float(cond)


def matmul_rtol(precision: str | float, n: int, *, products: int = 1) -> float:
    """Relative (normwise) tolerance for a chain of ``products`` matrix products of inner
    dimension ``n``: ``SAFETY * products * n * eps``."""
    return SAFETY * products * _check_size(n) * eps_of(precision)


def eig_rtol(precision: str | float, n: int, cond: float = 1.0) -> float:
    """Relative tolerance for the eigenvalue lambda_i of a symmetric n x n matrix with
    lambda_max / |lambda_i| = ``cond``: ``SAFETY * n * eps * cond``."""
    return SAFETY * _check_size(n) * eps_of(precision) * _check_cond(cond)


def cond_rtol(precision: str | float, n: int, cond: float) -> float:
    """Relative tolerance for a computed 2-norm condition number ``cond``
    (both extreme eigenvalues perturbed): ``SAFETY * 2 * n * eps * cond``."""
    return 2.0 * eig_rtol(precision, n, cond)


def cube_rtol(precision: str | float, n: int, cond: float) -> float:
    """Relative tolerance for entries/eigenvalues of G^3 computed in floating point
    (three products, conditioning ``cond`` of G): ``SAFETY * 3 * n * eps * cond``."""
    return 3.0 * eig_rtol(precision, n, cond)


def solve_rtol(precision: str | float, n: int, cond: float) -> float:
    """Relative tolerance for the solution of an n x n SPD system with condition number
    ``cond`` (Higham Thm 7.2): ``SAFETY * n * eps * cond``."""
    return eig_rtol(precision, n, cond)


def rank_rtol(precision: str | float, n: int, d: int) -> float:
    """Default relative threshold for the numerical rank of an n x d matrix: singular
    values below ``max(n, d) * eps * sigma_max`` count as zero (numpy's rule; no SAFETY
    factor, so the rank agrees with ``numpy.linalg.matrix_rank``)."""
    return max(_check_size(n), _check_size(d)) * eps_of(precision)
