"""SPD solves for kernel ridge regression and influence at sizes where n×n is too big.

``solve_spd(A, B, ridge=λ)`` returns ``X = (A + λ I)⁻¹ B`` for a symmetric positive
(semi)definite ``A: (n, n)`` (a dense tensor or a :class:`KernelOperator` whose blocks are
computed on the fly) and ``B: (n,)`` or ``(n, k)``:

* ``method="cholesky"``: dense Cholesky (``O(n³)`` time, ``O(n²)`` memory), followed by up to
  two steps of iterative refinement while the residual exceeds ``tol``;
* ``method="pcg"``: preconditioned conjugate gradients run on all ``k`` columns at once
  (one product ``A V`` per iteration for the whole block; each column has its own step
  lengths), preconditioned by randomized Nyström (Frangella, Tropp, Udell 2021) or partial
  pivoted Cholesky (Harbrecht et al. 2012; Gardner et al. 2018) of rank ``k``;
* ``method="auto"``: Cholesky when ``n <= cholesky_max_n``, PCG above.

Residual (the norm and the tolerance): ``max_j ‖(A + λI) x_j − b_j‖₂ / ‖b_j‖₂`` over the
columns, recomputed from scratch at the end (not the CG recurrence).  A result is returned
only when it is ``<= tol``; otherwise :class:`NumericalError` names ``tol``, the iterations
and the residual reached.  ``ridge < 0`` is an :class:`InputError`; ``ridge = 0`` on a
singular ``A`` ends in :class:`NumericalError` (Cholesky breakdown or no convergence).

Used by the influence matrix ``I = K_test,train (K + λI)⁻¹`` (:mod:`linattn.influence`) when
n is too large for a dense factorization.  ``approx_influence`` replaces ``K`` by its rank-k
Nyström approximation and reports the relative Frobenius error against the exact influence
when that is affordable.
"""


from __future__ import annotations

from dataclasses import dataclass

import torch

from linattn.solvers.operator import KernelOperator, Matrix, check_matrix, matmul_of
from linattn.solvers.precond import (
    NystromApprox,
    nystrom_preconditioner,
    pivoted_cholesky,
    randomized_nystrom,
)
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eps_of

__all__ = [
    "ApproxInfluence",
    "SolveResult",
    "approx_influence",
    "nystrom_approx",
    "solve_spd",
]

_PIVCHOL_RTOL_FACTOR = 1.0
"""Pivoted Cholesky stops when the remaining trace is below n·eps·trace(A) times this."""

@dataclass(frozen=True)
class SolveResult:
    """``X = (A + ridge I)⁻¹ B``; ``residual = max_j ‖(A+ridge I)x_j − b_j‖₂/‖b_j‖₂``."""

    X: torch.Tensor
    method: str
    iterations: int
    residual: float
    converged: bool
    precond: str | None
    rank: int | None


def _check_rhs(B: torch.Tensor, n: int, dtype: torch.dtype, device: torch.device):
    if not isinstance(B, torch.Tensor):
        raise InputError.for_arg("B", "must be a torch.Tensor", type(B).__name__)
    if B.ndim not in (1, 2) or B.shape[0] != n:
        raise InputError.for_arg("B", f"must have shape ({n},) or ({n}, k)", tuple(B.shape))
    if not (B.is_floating_point() or B.dtype in (torch.int32, torch.int64)):
        raise InputError.for_arg("B", "must be numeric", B.dtype)
    B = B.to(dtype=dtype, device=device)
    if not bool(torch.isfinite(B).all()):
        raise InputError.for_arg("B", "must be finite (no NaN/Inf)")
    return B


def _check_ridge(ridge: float) -> float:
    try:
        r = float(ridge)
    except (TypeError, ValueError):
        raise InputError.for_arg("ridge", "must be a real number", ridge) from None
    if not r >= 0 or r == float("inf"):
        raise InputError.for_arg("ridge", "must be finite and >= 0", ridge)
    return r


def _rel_residual(matmul, X: torch.Tensor, B: torch.Tensor, ridge: float) -> torch.Tensor:
    R = B - matmul(X) - ridge * X
    bn = torch.linalg.vector_norm(B, dim=0)
    rn = torch.linalg.vector_norm(R, dim=0)
    return torch.where(bn > 0, rn / torch.where(bn > 0, bn, 1.0), rn)


def _fail(method: str, tol: float, iterations: int, residual: float, why: str = ""):
    return NumericalError.for_arg(
        "A", f"{method} did not reach residual <= tol={tol:.3g} after {iterations} "
        f"iteration(s){why}", f"residual {residual:.3e}",
        hint="increase ridge, max_iter or the preconditioner rank")


def _cholesky(A: Matrix, B: torch.Tensor, ridge: float, tol: float) -> SolveResult:
    Ad = A.to_dense() if isinstance(A, KernelOperator) else A
    M = Ad.clone()  # A + ridge·I without an n×n identity temporary
    M.diagonal().add_(ridge)
    L, info = torch.linalg.cholesky_ex(M)
    if int(info) != 0:
        raise NumericalError.for_arg(
            "A", f"A + ridge·I is not numerically positive definite (ridge={ridge:g}); "
            "Cholesky broke down at pivot", int(info), hint="use ridge > 0")
    X = torch.cholesky_solve(B, L)
    res = _rel_residual(lambda V: Ad @ V, X, B, ridge)
    steps = 0
    while float(res.max()) > tol and steps < 2:  # iterative refinement
        X = X + torch.cholesky_solve(B - M @ X, L)
        res = _rel_residual(lambda V: Ad @ V, X, B, ridge)
        steps += 1
    r = float(res.max())
    if not r <= tol:
        raise _fail("cholesky", tol, steps, r, " (with iterative refinement)")
    return SolveResult(X, "cholesky", steps, r, True, None, None)


def _preconditioner(A: Matrix, n: int, ridge: float, precond: str | None, rank: int,
                    seed: int, like: torch.Tensor):
    if precond is None:
        return (lambda V: V.clone()), None
    approx = _low_rank(A, n, rank, precond, seed, like)
    return nystrom_preconditioner(approx, ridge), approx.rank


def _low_rank(A: Matrix, n: int, rank: int, method: str, seed: int,
              like: torch.Tensor) -> NystromApprox:
    if method == "nystrom":
        return randomized_nystrom(matmul_of(A), n, rank, like, seed)
    if method == "pivoted-cholesky":
        if isinstance(A, KernelOperator):
            diag, column = A.diag(), (lambda p: A.columns([p])[:, 0])
        else:
            diag, column = torch.diagonal(A).clone(), (lambda p: A[:, p])
        rtol = _PIVCHOL_RTOL_FACTOR * n * eps_of(str(like.dtype))
        return pivoted_cholesky(diag, column, rank, rtol=rtol)
    raise InputError.for_arg("precond", "must be 'nystrom', 'pivoted-cholesky' or None", method)


def _pcg(A: Matrix, B: torch.Tensor, ridge: float, tol: float, max_iter: int,
         precond: str | None, rank: int, seed: int) -> SolveResult:
    n = B.shape[0]
    mm = matmul_of(A)
    apply_p, used_rank = _preconditioner(A, n, ridge, precond, rank, seed, B)
    bn = torch.linalg.vector_norm(B, dim=0)
    safe_bn = torch.where(bn > 0, bn, torch.ones_like(bn))
    X = torch.zeros_like(B)
    it = 0
    res = _rel_residual(mm, X, B, ridge)
    while it < max_iter and float(res.max()) > tol:  # restarts from the true residual
        R = B - mm(X) - ridge * X
        Z = apply_p(R)
        P = Z.clone()
        rz = (R * Z).sum(0)
        while it < max_iter:
            active = torch.linalg.vector_norm(R, dim=0) / safe_bn > tol
            if not bool(active.any()):
                break
            AP = mm(P).add_(P, alpha=ridge)
            pap = (P * AP).sum(0)
            if bool((pap[active] <= 0).any()):
                raise NumericalError.for_arg(
                    "A", "A + ridge·I is not positive definite: pᵀ(A+ridge·I)p <= 0 in CG",
                    float(pap[active].min()), hint="use ridge > 0")
            alpha = torch.where(active, rz / torch.where(active, pap, 1.0), 0.0)
            X.addcmul_(P, alpha)
            R.addcmul_(AP, alpha, value=-1.0)
            it += 1
            Z = apply_p(R)
            rz_new = (R * Z).sum(0)
            beta = torch.where(active, rz_new / torch.where(rz != 0, rz, 1.0), 0.0)
            P = Z.addcmul_(P, beta)
            rz = rz_new
        res = _rel_residual(mm, X, B, ridge)
        if it >= max_iter:
            break
    r = float(res.max())
    if not r <= tol:
        raise _fail(f"pcg (precond={precond}, rank={used_rank})", tol, it, r)
    return SolveResult(X, "pcg", it, r, True, precond, used_rank)


def solve_spd(A: Matrix, B: torch.Tensor, *, ridge: float = 0.0, method: str = "auto",
              tol: float = 1e-10, max_iter: int | None = None,
              precond: str | None = "nystrom", rank: int | None = None,
              cholesky_max_n: int = 8000, seed: int = 0) -> SolveResult:
    """Solve ``(A + ridge I) X = B`` for SPD ``A: (n, n)`` (tensor or :class:`KernelOperator`).

    ``B: (n,)`` or ``(n, k)``, cast to ``A``'s dtype and device.  ``method``: ``"auto"``
    (Cholesky for ``n <= cholesky_max_n``, else PCG), ``"cholesky"`` or ``"pcg"``.
    ``precond`` (PCG only): ``"nystrom"`` (default), ``"pivoted-cholesky"`` or ``None``;
    ``rank`` defaults to ``min(n, 256)``; ``max_iter`` to ``min(10 n, 1000)``.
    Returns a :class:`SolveResult` with ``residual <= tol`` or raises NumericalError.
    """
    n, dtype, device = check_matrix(A)
    B = _check_rhs(B, n, dtype, device)
    ridge = _check_ridge(ridge)
    if not (tol > 0 and tol >= eps_of(str(dtype).removeprefix("torch."))):
        raise InputError.for_arg("tol", f"must be >= the unit roundoff of {dtype}", tol)
    if method not in ("auto", "cholesky", "pcg"):
        raise InputError.for_arg("method", "must be 'auto', 'cholesky' or 'pcg'", method)
    if precond not in ("nystrom", "pivoted-cholesky", None):
        raise InputError.for_arg("precond", "must be 'nystrom', 'pivoted-cholesky' or None",
                                 precond)
    rank = min(n, 256) if rank is None else rank
    if not (isinstance(rank, int) and 1 <= rank <= n):
        raise InputError.for_arg("rank", f"must be an integer in [1, {n}]", rank)
    max_iter = min(10 * n, 1000) if max_iter is None else max_iter
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise InputError.for_arg("max_iter", "must be an integer >= 1", max_iter)
    vec = B.ndim == 1
    B2 = B[:, None] if vec else B
    if method == "cholesky" or (method == "auto" and n <= cholesky_max_n):
        out = _cholesky(A, B2, ridge, tol)
    else:
        out = _pcg(A, B2, ridge, tol, max_iter, precond, rank, seed)
    if vec:
        out = SolveResult(out.X[:, 0], out.method, out.iterations, out.residual, out.converged,
                          out.precond, out.rank)
    return out


def nystrom_approx(A: Matrix, rank: int, *, seed: int = 0,
                   method: str = "nystrom") -> NystromApprox:
    """Rank-``rank`` approximation ``A ≈ U diag(lam) Uᵀ`` of SPD ``A: (n, n)``.

    ``method="nystrom"``: randomized Nyström with a Gaussian test matrix (seeded);
    ``"pivoted-cholesky"``: greedy partial pivoted Cholesky (deterministic)."""
    n, dtype, device = check_matrix(A)
    if not (isinstance(rank, int) and 1 <= rank <= n):
        raise InputError.for_arg("rank", f"must be an integer in [1, {n}]", rank)
    like = torch.empty(0, dtype=dtype, device=device)
    return _low_rank(A, n, rank, method, seed, like)


@dataclass(frozen=True)
class ApproxInfluence:
    """``I ≈ K_test,train (K_nys + ridge I)⁻¹`` (``(n_test, n)``); ``rel_error`` is
    ``‖I_approx − I_exact‖_F / ‖I_exact‖_F`` or ``None`` when the exact one was not computed."""

    influence: torch.Tensor
    rank: int
    method: str
    rel_error: float | None
    exact_method: str | None


def approx_influence(K_train: Matrix, K_test_train: torch.Tensor, ridge: float, rank: int, *,
                     seed: int = 0, method: str = "nystrom", exact: bool | None = None,
                     cholesky_max_n: int = 8000, tol: float = 1e-10) -> ApproxInfluence:
    """Influence of kernel ridge regression with ``K_train`` replaced by its rank-k Nyström
    approximation: ``I = K_test,train (U diag(lam) Uᵀ + ridge I)⁻¹`` by Woodbury (``O(n k)``
    per test row, ``ridge > 0`` required).  ``exact=None`` computes the exact influence (by
    :func:`solve_spd`) when ``n <= cholesky_max_n`` and reports the relative Frobenius error.
    """
    n, dtype, device = check_matrix(K_train)
    if not (isinstance(K_test_train, torch.Tensor) and K_test_train.ndim == 2
            and K_test_train.shape[1] == n):
        raise InputError.for_arg("K_test_train", f"must have shape (n_test, {n})",
                                 tuple(getattr(K_test_train, "shape", ())))
    ridge = _check_ridge(ridge)
    if ridge == 0:
        raise InputError.for_arg("ridge", "must be > 0 for the Nyström influence", ridge)
    Kt = K_test_train.to(dtype=dtype, device=device)
    approx = nystrom_approx(K_train, rank, seed=seed, method=method)
    infl = approx.solve_shifted(Kt.T, ridge).T
    do_exact = (n <= cholesky_max_n) if exact is None else exact
    if not do_exact:
        return ApproxInfluence(infl, approx.rank, method, None, None)
    sol = solve_spd(K_train, Kt.T, ridge=ridge, tol=tol, cholesky_max_n=cholesky_max_n,
                    seed=seed)
    ex = sol.X.T
    err = float(torch.linalg.matrix_norm(infl - ex) / torch.linalg.matrix_norm(ex))
    return ApproxInfluence(infl, approx.rank, method, err, sol.method)
