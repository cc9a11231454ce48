"""The one tolerance table of the project.

Every comparison between a floating-point computation and the exact reference, and every
numerical gate, takes its tolerance from here.  Tolerances are derived from the machine
epsilon ``eps`` of the arithmetic (the spacing of floats at 1, i.e. twice the unit roundoff
u = eps/2, so every rule below is conservative by a factor 2), the problem size ``n``
and (where the error is amplified by conditioning) the 2-norm condition number
``cond`` = lambda_max/lambda_min.

The rules are standard first-order forward-error bounds (Higham, *Accuracy and Stability
of Numerical Algorithms*, 2nd ed.), multiplied by a safety factor ``SAFETY`` that absorbs
the constants those bounds leave implicit:

==================  =======================================  ===========================
quantity            bound (relative)                          source
==================  =======================================  ===========================
inner products      n * eps                                   Higham Thm 3.5 (gamma_n)
arc-cosine of u     delta + sqrt(2 delta), delta = d * eps    arccos' ~ 1/sqrt(2(1-u)) at 1
matrix products     k * n * eps for a chain of k products     Higham Sec. 3.5
symmetric eigvals   n * eps * lambda_max / |lambda_i|         Weyl + backward-stable eigh
condition numbers   2 * n * eps * cond                        from the two extreme eigvals
cube of a matrix    3 * n * eps * cond                        3 products, eigvals cubed
linear solve        n * eps * cond                            Higham Thm 7.2
solve from residual cond * residual (exact)                   Higham Sec. 7.1
refinement inner    sqrt(n) * eps (probabilistic)             Higham & Mary 2019
numerical rank      max(n, d) * eps * sigma_max               numpy.linalg.matrix_rank
mp eigen-residual   n * 10^-dps  (||SQ - QL||_F / ||S||_F)    backward-stable eigsy
mp eigval rank      max(n, d) * 10^-dps * lambda_max          Weyl, exact G rounded once
mp symmetry         10^-(dps - 5) (max|S - S^T| / max|S|)     5 guard digits
dot-product sign    gamma_d (1 + u)^2 + 2u + u^2, u = eps/2   Higham Thm 3.5, rigorous
==================  =======================================  ===========================

The ``dot-product sign`` rule (:func:`dot_sign_rtol`) is the only rigorous one (no SAFETY):
it certifies the sign of an inner product computed in a lower precision, so it must bound
the error, not estimate it (see its docstring).

The three ``mp_*`` rules (owned by the pyverify spectrum layer) are for mpmath at ``dps``
decimal digits; ``mpmath.workdps(dps)`` carries a unit roundoff of at most 10^-dps.

``EPS`` holds the machine epsilon per precision name (``torch.finfo(dtype).eps``);
``"mp<digits>"`` names an mpmath working precision of that many decimal digits.
"""

from __future__ import annotations

import math

from pyverify.errors import InputError, NumericalError

__all__ = [
    "EPS",
    "SAFETY",
    "arccos_rtol",
    "cond_rtol",
    "cube_rtol",
    "dot_sign_rtol",
    "eig_rtol",
    "eps_of",
    "matmul_rtol",
    "mp_rank_rtol",
    "mp_residual_rtol",
    "mp_symmetry_rtol",
    "rank_rtol",
    "refine_inner_rtol",
    "residual_solve_rtol",
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
    """Machine epsilon of a precision name (``"float32"``, ``"float64"``, ``"mp50"``, ...).

    A float passes through unchanged (so callers may pass ``torch.finfo(dt).eps``).
    """
    if isinstance(precision, int | float) and not isinstance(precision, bool):
        if not (0.0 < precision < 1.0):
            raise InputError.for_arg("precision", "must be a machine epsilon in (0, 1)",
                                     precision)
        return float(precision)
    name = str(precision).removeprefix("torch.")
    if name in EPS:
        return EPS[name]
    if name.startswith("mp") and name[2:].isdigit():
        return 10.0 ** (-int(name[2:]))
    raise InputError.for_arg(
        "precision", f"must be one of {sorted(EPS)} or 'mp<digits>'", precision
    )


def _check_size(n: int, name: str = "n") -> int:
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise InputError.for_arg(name, "must be an integer >= 1", n)
    return n


def _check_cond(cond: float) -> float:
    """A finite 2-norm condition number >= 1.  An infinite ``cond`` has no error bound:
    :class:`NumericalError` rather than an infinite tolerance that every check would pass."""
    try:
        value = float(cond)
    except (TypeError, ValueError):
        raise InputError.for_arg("cond", "must be a real number", cond) from None
    if math.isinf(value) and value > 0:
        raise NumericalError.for_arg("cond", "is infinite: no forward-error bound exists "
                                     "for a singular matrix", cond)
    if not value >= 1.0:
        raise InputError.for_arg("cond", "must be a 2-norm condition number >= 1", cond)
    return value


def matmul_rtol(precision: str | float, n: int, *, products: int = 1) -> float:
    """Relative (normwise) tolerance for a chain of ``products`` matrix products of inner
    dimension ``n``: ``SAFETY * products * n * eps``."""
    return SAFETY * _check_size(products, "products") * _check_size(n) * eps_of(precision)


def arccos_rtol(precision: str | float, d: int) -> float:
    """Relative tolerance of arccos(u) (and of the ReLU NTK factor (pi - arccos u)/(2 pi)) for
    a cosine u = x^T y / (||x|| ||y||) computed from d-vectors: u carries a relative error
    delta = ``matmul_rtol(precision, d)``, and near |u| = 1 arccos turns it into
    sqrt(2 delta) (arccos(1 - t) ~ sqrt(2 t)): ``delta + sqrt(2 delta)``."""
    delta = matmul_rtol(precision, d)
    return delta + math.sqrt(2.0 * delta)


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


def dot_sign_rtol(precision: str | float, d: int) -> float:
    """Rigorous bound on ``|fl(x̂ᵀŵ) − xᵀw| / (‖x‖₂ ‖w‖₂)`` when ``x, w`` (d-vectors in a
    wider precision) are rounded to ``precision`` (x̂, ŵ) and their inner product is computed
    in it, in any summation order (a BLAS GEMM, FMA or not):
    ``gamma_d (1 + u)^2 + 2u + u^2`` with ``u = eps/2`` and ``gamma_d = d u / (1 − d u)``.

    Derivation: |x̂_k ŵ_k − x_k w_k| <= (2u + u^2) |x_k w_k| (two roundings); the computed sum
    of d products differs from the exact one by at most gamma_d Σ|x̂_k ŵ_k| (Higham, Thm 3.5;
    any order), and Σ|x̂_k ŵ_k| <= (1 + u)^2 Σ|x_k w_k| <= (1 + u)^2 ‖x‖₂ ‖w‖₂
    (Cauchy-Schwarz).  So whenever ``|fl(x̂ᵀŵ)| > dot_sign_rtol · ‖x‖ ‖w‖`` the computed sign
    is the sign of the exact xᵀw.  No SAFETY factor (a certificate, not an estimate);
    gradual underflow adds an absolute error the caller bounds separately.  InputError when
    d u >= 1/2 (the bound is then useless)."""
    u = eps_of(precision) / 2.0
    du = _check_size(d, "d") * u
    if du >= 0.5:
        raise InputError.for_arg("d", "too long for a rigorous inner-product bound in this "
                                 "precision (d u >= 1/2)", d)
    return du / (1.0 - du) * (1.0 + u) ** 2 + 2.0 * u + u * u


def solve_rtol(precision: str | float, n: int, cond: float) -> float:
    """Relative tolerance for the solution of an n x n SPD system with condition number
    ``cond`` (Higham Thm 7.2): ``SAFETY * n * eps * cond``."""
    return eig_rtol(precision, n, cond)


def rank_rtol(precision: str | float, n: int, d: int) -> float:
    """Default relative threshold for the numerical rank of an n x d matrix: singular
    values below ``max(n, d) * eps * sigma_max`` count as zero (numpy's rule; no SAFETY
    factor, so the rank agrees with ``numpy.linalg.matrix_rank``)."""
    return max(_check_size(n), _check_size(d)) * eps_of(precision)


def _check_dps(dps: int) -> int:
    if isinstance(dps, bool) or not isinstance(dps, int) or not 15 <= dps <= 300:
        # 300: the rules return Python floats, and 10.0**-dps underflows past ~308.
        raise InputError.for_arg("dps", "must be an integer in [15, 300] (decimal digits)", dps)
    return dps


def mp_residual_rtol(dps: int, n: int) -> float:
    """Bound on the relative eigen-residual ``||S Q - Q diag(lambda)||_F / ||S||_F`` of
    ``mpmath.eigsy`` on an n x n symmetric matrix at ``dps`` digits:
    ``SAFETY * n * 10^-dps`` (backward stability of the symmetric QR iteration)."""
    return SAFETY * _check_size(n) * eps_of(f"mp{_check_dps(dps)}")


def mp_rank_rtol(dps: int, n: int, d: int | None = None) -> float:
    """Default relative threshold for the numerical rank of a symmetric PSD matrix (e.g.
    G = X X^T, n x n, from X: n x d) from its eigenvalues at ``dps`` digits: eigenvalues
    ``<= SAFETY * max(n, d) * 10^-dps * lambda_max`` count as zero.

    Why: G is formed exactly and rounded once per entry (relative 10^-dps), and eigsy is
    backward stable, so every computed eigenvalue is within ~n * 10^-dps * lambda_max of
    the true one (Weyl); an exact zero eigenvalue comes out at ~10^-dps relative.  The
    rule keeps a factor ~10^dps/(SAFETY n) of headroom for genuine small eigenvalues
    (a 2-norm condition number up to ~10^(dps-4) is still resolved as full rank)."""
    size = _check_size(n) if d is None else max(_check_size(n), _check_size(d))
    return SAFETY * size * eps_of(f"mp{_check_dps(dps)}")


def mp_symmetry_rtol(dps: int) -> float:
    """Largest accepted relative asymmetry ``max|S_ij - S_ji| / max|S_ij|`` of a matrix that
    must be symmetric, at ``dps`` digits: ``10^-(dps - 5)`` (5 guard digits; a symmetric
    matrix written out at a few digits fewer than ``dps`` still passes)."""
    return eps_of(f"mp{_check_dps(dps) - 5}")



def refine_inner_rtol(precision: str | float, n: int) -> float:
    """Relative residual to which the inner solve of iterative refinement is run when its
    products ``A v`` are computed and accumulated in ``precision`` over ``n`` terms:
    ``SAFETY * sqrt(n) * eps``.

    Why: each product carries a normwise rounding error of about ``sqrt(n) * eps * |A| |v|``
    (the probabilistic bound of Higham & Mary 2019, "A new approach to probabilistic
    rounding error analysis", which holds with high probability; the worst case is ``n *
    eps``).  Below that level further Krylov iterations stop lowering the true residual;
    the outer float64 residual pass corrects what remains, each step contracting the
    residual by about this factor (Carson & Higham 2018).  A choice of work, not a
    correctness bound: the float64 residual of the outer loop is the gate."""
    return SAFETY * math.sqrt(_check_size(n)) * eps_of(precision)


def residual_solve_rtol(residual: float, cond: float) -> float:
    """Relative forward error ``||x - x_hat||_2 / ||x||_2`` of an approximate solution of an
    SPD system whose relative residual ``||b - A x_hat||_2 / ||b||_2`` is ``residual``:
    ``cond * residual`` (exact, not first order: x - x_hat = A^{-1} r, ||A^{-1}|| ||b|| <=
    cond ||x||; Higham Sec. 7.1).  Compare two solves by adding their bounds."""
    try:
        r = float(residual)
    except (TypeError, ValueError):
        raise InputError.for_arg("residual", "must be a real number", residual) from None
    if not (r >= 0 and math.isfinite(r)):
        raise InputError.for_arg("residual", "must be a finite number >= 0", residual)
    return _check_cond(cond) * r
