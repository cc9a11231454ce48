"""Kernel ridge regression, its influence matrix and leave-one-out residuals, in torch.

For a training kernel K (n, n), ridge lambda > 0 and A = K + lambda I:

* ``kernel_ridge``:     alpha = A^{-1} y, predictor f(x) = sum_j K(x, x_j) alpha_j;
* ``influence_matrix``: I = K_test,train A^{-1} (n_test, n), I[t, j] = d f(x_t) / d y_j;
* ``loo_residuals``:    y_j - f_{-j}(x_j) = alpha_j / [A^{-1}]_jj (the refit without point
  j, in closed form: I - K A^{-1} = lambda A^{-1});
* ``linattn_influence``: I for the linearized-attention kernel K(x, y) = x^T C^2 y by the
  push-through identity Phi (Phi^T Phi + lambda I_d)^{-1} = (Phi Phi^T + lambda I_n)^{-1}
  Phi: with Phi = X_train C, Phi_t = X_test C (C = X_train^T X_train),
  I = Phi_t (Phi^T Phi + lambda I_d)^{-1} Phi^T in O(n d^2 + d^3 + n_test n d), no n x n
  matrix; differentiable w.r.t. X_train (C rebuilt from it).  Phi^T Phi = C^3 and
  Phi^T = C X_train^T, so the only O(n d^2) work is the one product C = X^T X.

Every SPD solve goes through the one :func:`ridge_solve`, which routes (``method``):

* ``"cholesky"``: dense Cholesky (differentiable); "auto" takes it when n <= ``PCG_MIN_N``
  or an input requires grad;
* ``"pcg"``: ``linattn.solvers.solve_spd(method="pcg")`` (block preconditioned CG,
  randomized Nystrom preconditioner) on the dense tensor, or on a
  :class:`linattn.solvers.KernelOperator` whose blocks are computed on the fly;
* ``"cached"`` (KernelOperator only): ``linattn.solvers.solve_cached``: the kernel cached
  once in float32 by symmetry (n = 60,000: 7.4 GB), RPCholesky-Nystrom preconditioned CG
  with float64 vectors, and float64 iterative refinement with the exact kernel, so the
  float64 residual meets ``tol`` although the cache is float32; resumable by blocks of
  right-hand sides (``checkpoint``), with tqdm progress bars (``progress``).

For a KernelOperator "auto" takes "cached" when that route's memory
(``linattn.solvers.cached_route_bytes``) fits ``USABLE_FRACTION`` of the memory available
(``memory_bytes`` if given, else ``LINATTN_MEMORY_BYTES``, else /proc/meminfo MemAvailable or
the free CUDA memory), else "pcg" on the fly.  ``SolveInfo.method`` says which route ran and
``SolveInfo.method_note`` why.  Residual (the gate of the iterative routes): max_j ||(K +
lambda I) z_j - b_j||_2 / ||b_j||_2 <= tol in the kernel's dtype (float64 for the cached
route: measured with the exact kernel), default ``PCG_TOL`` = 1e-10, raised to
``matmul_rtol(dtype, n)`` where the residual cannot be measured that finely; NumericalError
if not reached.  ``influence_matrix`` and ``kernel_ridge`` take ``method="auto"|"cholesky"|
"pcg"|"cached"`` and return the solve's :class:`SolveInfo` with ``return_info=True``.

Gates.  With ``check=True`` (default) the Appendix A.8 gates of :mod:`linattn.checks`
run on A (symmetry, PSD, kappa(K + lambda I) < 1e12) and on the solve (backward residual;
the explicit-inverse residual ||A^{-1} A - I||_F where A^{-1} is formed, in
``loo_residuals``).  On the PCG route above ``PCG_MIN_N`` only the symmetry gate runs on K
and the PCG residual (<= tol) gates the solve: the PSD and conditioning gates need an
n x n eigvalsh, O(n^3), which would cost more than the solve saves.  A KernelOperator is
not gated beyond the float64 residual (its kernel_fn must be symmetric PSD; the cached route
stores it exactly symmetric).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from linattn.checks import (
    GATES,
    PAPER_MAX_COND,
    check_inverse,
    check_kernel,
    check_solve,
    shifted_cond,
)
from linattn.solvers import KernelOperator, plan_operator_route, solve_cached, solve_spd
from linattn.validate import (
    as_matrix,
    as_pair,
    as_vector,
    dtype_name,
    finite_result,
    linalg_guard,
    needs_grad,
    own_dtype,
    positive_ridge,
)
from pyverify.errors import InputError, KernelHealthError
from pyverify.tolerance import matmul_rtol

__all__ = [
    "PCG_MIN_N",
    "PCG_TOL",
    "SolveInfo",
    "add_ridge",
    "factor_solve",
    "influence_matrix",
    "kernel_ridge",
    "linattn_influence",
    "loo_residuals",
    "ridge_solve",
    "spd_factor",
]


PCG_MIN_N = 8000
"""n above which "auto" solves by PCG instead of dense Cholesky (no input requiring grad)."""
PCG_TOL = 1e-10
"""Default PCG relative residual tolerance (raised to matmul_rtol(dtype, n) if larger)."""
CACHED_RANK = 2000
"""Largest preconditioner rank of the cached route (:func:`cached_rank`; n = 60,000: two
(n, 2000) float64 factors, 1.9 GB, while it is built; a larger rank costs O(n rank^2) and
saves few iterations, the ReLU-NTK spectrum decaying slowly)."""


def cached_rank(n: int) -> int:
    """RPCholesky rank of the cached route: n / 10 pivots, at least 100 and at most
    CACHED_RANK (never more than n)."""
    return min(n, max(100, min(CACHED_RANK, n // 10)))
SOLVE_METHODS = ("auto", "cholesky", "pcg", "cached")


@dataclass(frozen=True)
class SolveInfo:
    """How (K + ridge I) Z = B was solved.  ``method``: the route that ran ("cholesky",
    "pcg", "cached"), ``method_note`` why; ``residual`` = max_j ||(K + ridge I) z_j - b_j||_2
    / ||b_j||_2 (PCG: recomputed at the end; cached: by the last exact float64 pass;
    Cholesky: only with ``return_info``); ``tol`` the iterative tolerance (None for
    Cholesky); ``gates`` the kernel gates run on K; cached route only: ``refinements``
    (exact float64 passes), ``cache_bytes`` (the float32 panels), ``times`` (seconds per
    phase) and ``history`` (first column of the block, step, PCG iterations, float64
    residual after the step)."""

    method: str
    iterations: int
    residual: float | None
    tol: float | None
    precond: str | None
    rank: int | None
    gates: tuple[str, ...] = ()
    method_note: str = ""
    refinements: int | None = None
    cache_bytes: int | None = None
    times: dict[str, float] | None = None
    history: tuple[tuple[int, int, int, float], ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _route(method: Any, n: int, operator: bool, grad: bool) -> str:
    """"cholesky", "pcg", "cached" or (a KernelOperator with "auto": decided by memory in
    :func:`ridge_solve`) "auto" for ``method`` (see the module docstring)."""
    if not isinstance(method, str) or method not in SOLVE_METHODS:
        raise InputError.for_arg("method", f"must be one of {SOLVE_METHODS}", method)
    if method == "cached" and not operator:
        raise InputError.for_arg("method", "'cached' needs K_train as a KernelOperator (the "
                                 "kernel is evaluated into the cache)", method)
    if method == "auto":
        if operator:
            return "auto"
        return "pcg" if n > PCG_MIN_N and not grad else "cholesky"
    if method in ("pcg", "cached") and grad:
        raise InputError.for_arg("method", f"{method!r} is not differentiable but an input "
                                 "requires grad (use 'cholesky' or 'auto')", method)
    return method


def _note(method: str, route: str, n: int) -> str:
    if method != "auto":
        return f"{route} requested"
    if route == "cholesky":
        return (f"auto: n = {n} <= PCG_MIN_N = {PCG_MIN_N}: Cholesky" if n <= PCG_MIN_N else
                "auto: an input requires grad: Cholesky (differentiable)")
    return f"auto: n = {n} > PCG_MIN_N = {PCG_MIN_N}: PCG on the given matrix"


def _pcg_tol(tol: Any, dtype: torch.dtype, n: int) -> float:
    if tol is None:
        return max(PCG_TOL, matmul_rtol(dtype_name(dtype), n))
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < 1:
        raise InputError.for_arg("tol", "must be a number in (0, 1)", tol)
    return float(tol)




def _kernel(K: Any, name: str = "K_train") -> torch.Tensor:
    Kt = as_matrix(K, name, dtype=own_dtype(K))
    if Kt.shape[0] != Kt.shape[1]:
        raise InputError.for_arg(name, "must be square", tuple(Kt.shape))
    return Kt


def add_ridge(K: torch.Tensor, ridge: float) -> torch.Tensor:
    """K + ridge I for a square K: (n, n), ridge > 0 (a new tensor in K's dtype;
    NumericalError if not finite)."""
    K = _kernel(K, "K")
    ridge = positive_ridge(ridge)
    return finite_result(K + ridge * torch.eye(K.shape[0], dtype=K.dtype, device=K.device),
                         "K + ridge I", "K_train")


def _cholesky(M: torch.Tensor, name: str) -> torch.Tensor:
    with linalg_guard(name, "Cholesky"):
        L, info = torch.linalg.cholesky_ex(M)
    if int(info) != 0:
        raise KernelHealthError.gate("psd", name, "Cholesky of K + ridge I must succeed "
                                     f"(failed at pivot {int(info)})", float(int(info)), 0.0)
    return L


def spd_factor(A: Any, name: str = "K_train + ridge I") -> torch.Tensor:
    """The lower Cholesky factor L of SPD ``A: (n, n)`` (A = L Lᵀ), gated: a failed
    factorisation is a KernelHealthError (gate "psd") naming ``name``.  With
    :func:`factor_solve` it lets one factorisation serve several solves (the attack's forward
    and backward, :mod:`linattn.adjoint`); :func:`ridge_solve` factors its validated A alike."""
    M = as_matrix(A, name, dtype=own_dtype(A))
    if M.shape[0] != M.shape[1]:
        raise InputError.for_arg(name, "must be square", tuple(M.shape))
    return _cholesky(M, name)


def factor_solve(L: Any, B: Any, name: str = "K_train + ridge I") -> torch.Tensor:
    """Z = (L Lᵀ)⁻¹ B for the factor ``L: (n, n)`` of :func:`spd_factor` and ``B: (n, k)``
    (NumericalError if Z is not finite)."""
    Lt = as_matrix(L, "L", dtype=own_dtype(L))
    Bt = as_matrix(B, "B", dtype=Lt.dtype, device=Lt.device)
    if Lt.shape[0] != Lt.shape[1] or Bt.shape[0] != Lt.shape[0]:
        raise InputError.for_arg("B", f"must have n = {Lt.shape[0]} rows (L square)",
                                 (tuple(Lt.shape), tuple(Bt.shape)))
    return finite_result(torch.cholesky_solve(Bt, Lt), "solution of (K + ridge I) Z = B", name)


def ridge_solve(A: torch.Tensor | KernelOperator, B: torch.Tensor, *, check: bool = True,
               name: str = "K_train + ridge I", ridge: float = 0.0, method: str = "auto",
               tol: float | None = None, return_info: bool = False,
               memory_bytes: int | str | None = None, progress: bool | None = None,
               checkpoint: Any = None, rhs_block: int | None = None
               ) -> torch.Tensor | tuple[torch.Tensor, SolveInfo]:
    """Z = (A + ridge I)^{-1} B for SPD A (n, n) (a tensor or a KernelOperator), B (n, k).

    The one place where SPD systems are solved.  Route (module docstring): dense Cholesky
    (differentiable; with ``check`` the backward residual ||A Z - B|| is gated by
    ``checks.check_solve``), PCG by ``linattn.solvers.solve_spd`` or, for a KernelOperator,
    the float32 cache with float64 refinement (``linattn.solvers.solve_cached``), both to
    relative residual ``tol`` (NumericalError if not reached: that residual is the gate).
    ``memory_bytes``: the memory "auto" may plan with (default: what the machine has
    available); ``progress``, ``checkpoint`` (a folder: finished blocks of ``rhs_block``
    columns are kept there and reused) apply to the cached route.  ``return_info``: also
    return a SolveInfo.
    """
    operator = isinstance(A, KernelOperator)
    if not operator:
        A = _kernel(A, "A")
    B = as_matrix(B, "B", dtype=A.dtype, device=A.device)
    n = A.shape[0]
    if B.shape[0] != n:
        raise InputError.for_arg("B", f"must have n = {n} rows", tuple(B.shape))
    ridge = 0.0 if (isinstance(ridge, int | float) and ridge == 0) else positive_ridge(ridge)
    route = _route(method, n, operator, needs_grad(B) or (not operator and needs_grad(A)))
    note = _note(method, route, n)
    if route == "auto":
        plan = plan_operator_route(n, B.shape[1], rank=cached_rank(n), device=A.device,
                                   memory_bytes=memory_bytes, block=None)
        route, note = plan.method, plan.note
    if route == "cached":
        t = _pcg_tol(tol, A.dtype, n)
        sol = solve_cached(A, B.detach(), ridge=ridge, tol=t, rank=cached_rank(n),
                           rhs_block=rhs_block, checkpoint=checkpoint, progress=progress)
        Z = finite_result(sol.X, "solution of (K + ridge I) Z = B", name)
        if sol.blocks_loaded:
            note += f"; {sol.blocks_loaded} block(s) of columns loaded from {checkpoint}"
        info = SolveInfo("cached", sol.iterations, sol.residual, t, "rpcholesky", sol.rank,
                         (), note, sol.refinements, sol.cache_bytes, sol.times,
                         tuple(sol.history))
        return (Z, info) if return_info else Z
    if checkpoint is not None:
        note += "; checkpoint unused (only the cached route solves in resumable blocks)"
    if route == "pcg" or operator:
        t = _pcg_tol(tol, A.dtype, n)
        sol = solve_spd(A, B.detach(), ridge=ridge, method=route, tol=t)
        Z = finite_result(sol.X, "solution of (K + ridge I) Z = B", name)
        info = SolveInfo(sol.method, sol.iterations, sol.residual, t if route == "pcg"
                         else None, sol.precond, sol.rank, (), note)
        return (Z, info) if return_info else Z
    M = add_ridge(A, ridge) if ridge else A
    Z = finite_result(torch.cholesky_solve(B, _cholesky(M, name)), "solution of (K + ridge I) Z"
                      " = B", name)
    if check:
        check_solve(M, Z, B, name=name)
    if not return_info:
        return Z
    with torch.no_grad():
        R = torch.linalg.vector_norm(M @ Z - B, dim=0)
        bn = torch.linalg.vector_norm(B, dim=0)
        res = float(torch.where(bn > 0, R / torch.where(bn > 0, bn, 1.0), R).max())
    return Z, SolveInfo("cholesky", 0, res, None, None, None, (), note)


def _gates(K: torch.Tensor | KernelOperator, ridge: float, check: bool, route: str,
           name: str = "K_train") -> tuple[str, ...]:
    """Run the kernel gates that fit the route (module docstring); return their names."""
    if not check or isinstance(K, KernelOperator):
        return ()
    gates = ("symmetry",) if route == "pcg" and K.shape[0] > PCG_MIN_N else GATES
    check_kernel(K.detach(), ridge=ridge, name=name, gates=gates)
    return tuple(gates)


def _gate(K: torch.Tensor, ridge: float, check: bool, name: str) -> None:
    if check:
        check_kernel(K.detach(), ridge=ridge, name=name)


def kernel_ridge(K_train: Any, y: Any, ridge: float, *, check: bool = True,
                 method: str = "auto", tol: float | None = None, return_info: bool = False,
                 memory_bytes: int | str | None = None, progress: bool | None = None,
                 checkpoint: Any = None, rhs_block: int | None = None
                 ) -> torch.Tensor | tuple[torch.Tensor, SolveInfo]:
    """alpha = (K_train + ridge I)^{-1} y.  K_train: (n, n) tensor/array or a
    ``KernelOperator``; y: (n,) or (n, k); ridge > 0.

    ``method``/``tol``/``memory_bytes``/``progress``/``checkpoint``/``rhs_block``: the solve
    route and its options (module docstring); ``return_info=True`` returns
    ``(alpha, SolveInfo)``."""
    lam = positive_ridge(ridge)
    operator = isinstance(K_train, KernelOperator)
    K = K_train if operator else _kernel(K_train)
    yt = as_vector(y, "y", dtype=K.dtype, device=K.device)
    if yt.shape[0] != K.shape[0]:
        raise InputError.for_arg("y", f"must have n = {K.shape[0]} rows", tuple(yt.shape))
    route = _route(method, K.shape[0], operator,
                   needs_grad(yt) or (not operator and needs_grad(K)))
    gates = _gates(K, lam, check, route)
    B = yt[:, None] if yt.ndim == 1 else yt
    alpha, info = ridge_solve(K, B, check=check, ridge=lam, method=method, tol=tol,
                              return_info=True, memory_bytes=memory_bytes, progress=progress,
                              checkpoint=checkpoint, rhs_block=rhs_block)
    info = SolveInfo(**{**info.as_dict(), "gates": gates})
    alpha = alpha[:, 0] if yt.ndim == 1 else alpha
    return (alpha, info) if return_info else alpha


def influence_matrix(K_train: Any, K_test_train: Any, ridge: float, *, check: bool = True,
                     method: str = "auto", tol: float | None = None,
                     return_info: bool = False, memory_bytes: int | str | None = None,
                     progress: bool | None = None, checkpoint: Any = None,
                     rhs_block: int | None = None
                     ) -> torch.Tensor | tuple[torch.Tensor, SolveInfo]:
    """I = K_test,train (K_train + ridge I)^{-1}: (n_test, n); I[t, j] = d f(x_t)/d y_j.

    K_train: (n, n) tensor/array or a ``KernelOperator`` (K never formed in float64: the
    float32 cache route when it fits, else PCG on the fly); K_test_train: (n_test, n);
    ridge > 0.  ``method``: "auto" (tensor: Cholesky for n <= PCG_MIN_N or when an input
    requires grad, else PCG; KernelOperator: by memory), "cholesky", "pcg" or "cached";
    ``tol``: relative residual of the iterative routes (default PCG_TOL);
    ``memory_bytes``, ``progress``, ``checkpoint``, ``rhs_block``: module docstring (the
    test points are the right-hand sides).  Differentiable on the Cholesky route.  Gates:
    module docstring.  ``return_info=True`` returns ``(I, SolveInfo)``.
    """
    lam = positive_ridge(ridge)
    operator = isinstance(K_train, KernelOperator)
    K = K_train if operator else _kernel(K_train)
    Kt = as_matrix(K_test_train, "K_test_train", dtype=K.dtype, device=K.device)
    if Kt.shape[1] != K.shape[0]:
        raise InputError.for_arg("K_test_train", f"must have n = {K.shape[0]} columns",
                                 tuple(Kt.shape))
    route = _route(method, K.shape[0], operator, needs_grad(Kt) or
                   (not operator and needs_grad(K)))
    gates = _gates(K, lam, check, route)
    Z, info = ridge_solve(K, Kt.T, check=check, ridge=lam, method=method, tol=tol,
                          return_info=True, memory_bytes=memory_bytes, progress=progress,
                          checkpoint=checkpoint, rhs_block=rhs_block)
    info = SolveInfo(**{**info.as_dict(), "gates": gates})
    return (Z.T, info) if return_info else Z.T


def loo_residuals(K_train: Any, y: Any, ridge: float, *, check: bool = True) -> torch.Tensor:
    """Leave-one-out residuals r_j = y_j - f_{-j}(x_j) = alpha_j / [(K + ridge I)^{-1}]_jj.

    K_train: (n, n); y: (n,) or (n, k) -> same shape as y.
    """
    lam, K = positive_ridge(ridge), _kernel(K_train)
    yt = as_vector(y, "y", dtype=K.dtype, device=K.device)
    if yt.shape[0] != K.shape[0]:
        raise InputError.for_arg("y", f"must have n = {K.shape[0]} rows", tuple(yt.shape))
    _gate(K, lam, check, "K_train")
    A = add_ridge(K, lam)
    A_inv = ridge_solve(A, torch.eye(K.shape[0], dtype=K.dtype, device=K.device), check=check,
                       method="cholesky")  # an explicit inverse: n right-hand sides
    if check:
        check_inverse(A, A_inv, name="K_train + ridge I")
    B = yt[:, None] if yt.ndim == 1 else yt
    res = (A_inv @ B) / torch.diagonal(A_inv)[:, None]
    return res[:, 0] if yt.ndim == 1 else res


def linattn_influence(X_train: Any, X_test: Any, ridge: float, *, check: bool = True,
                      dtype: Any = None, device: Any = None) -> torch.Tensor:
    """Influence matrix of kernel ridge regression with K(x, y) = x^T C^2 y, C from X_train.

    X_train: (n, d), X_test: (n_test, d) -> I: (n_test, n) = Phi_t (Phi^T Phi + ridge I_d)^{-1}
    Phi^T with Phi = X_train C, Phi_t = X_test C.  Equal to
    ``influence_matrix(linattn_kernel(X_train), linattn_kernel(X_test, X_train,
    keys=X_train), ridge)`` without any n x n matrix.  The conditioning gate uses the
    exact spectrum of K + ridge I: eig(Phi^T Phi) + ridge, plus ridge (n - d times) if n > d.
    """
    lam = positive_ridge(ridge)
    X, T = as_pair(X_train, X_test, dtype, device)
    n, d = X.shape
    C = X.T @ X  # the one O(n d^2) product
    M = C @ C @ C  # = Phi^T Phi = C X^T X C, in O(d^3)
    M = finite_result(0.5 * M + 0.5 * M.T, "Phi^T Phi = C^3", "X_train")
    Phi_t = T @ C
    if check:
        with linalg_guard("X_train", "eigvalsh of Phi^T Phi"):
            ev = torch.linalg.eigvalsh(M.detach())
        # K = Phi Phi^T (n, n): its eigenvalues are the top min(n, d) of Phi^T Phi, plus
        # n - d zeros when n > d.
        lam_min = float(ev.sort(descending=True).values[min(n, d) - 1])
        lam_min = min(lam_min, 0.0) if n > d else lam_min
        check_kernel(M.detach(), name="Phi^T Phi", gates=("symmetry", "psd"), eigenvalues=ev)
        cond = shifted_cond(lam_min, float(ev.max()), lam)
        if not cond < PAPER_MAX_COND:
            raise KernelHealthError.gate("conditioning", "K_train", "kappa(K + ridge I) < "
                                         f"max_cond (ridge={lam:g})", cond, PAPER_MAX_COND)
    Z = ridge_solve(add_ridge(M, lam), Phi_t.T, check=check, name="Phi^T Phi + ridge I")
    return finite_result((Z.T @ C) @ X.T, "influence matrix", "X_train")  # Z^T Phi^T

