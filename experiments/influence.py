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

Every SPD solve goes through the one private :func:`_solve_spd` (dense Cholesky).  With
``check=True`` (default) the Appendix A.8 gates of :mod:`experiments.checks` run on A
(symmetry, PSD, kappa(K + lambda I) < 1e12) and on the solve (backward residual; the
explicit-inverse residual ||A^{-1} A - I||_F where A^{-1} is formed, in
``loo_residuals``).  ``malleability`` lives in :mod:`experiments.malleability` and is
re-exported here.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from experiments._validate import as_matrix, as_vector, finite_result, linalg_guard
from experiments.checks import PAPER_MAX_COND, _cond, check_inverse, check_kernel, check_solve
from experiments.kernels import _pair
from pyverify.errors import InputError, KernelHealthError

__all__ = [
    "MalleabilityResult",  # noqa: F822  (lazy re-export, see __getattr__)
    "influence_matrix",
    "kernel_ridge",
    "linattn_influence",
    "loo_residuals",
    "malleability",  # noqa: F822
]


def _ridge(ridge: Any) -> float:
    try:
        r = float(ridge)
    except (TypeError, ValueError) as exc:
        raise InputError.for_arg("ridge", "must be a real number > 0", ridge) from exc
    if not (r > 0 and math.isfinite(r)):
        raise InputError.for_arg("ridge", "must be a finite number > 0", ridge)
    return r


def _kernel(K: Any, name: str = "K_train") -> torch.Tensor:
    dt = K.dtype if isinstance(K, torch.Tensor) and K.is_floating_point() else None
    Kt = as_matrix(K, name, dtype=dt)
    if Kt.shape[0] != Kt.shape[1]:
        raise InputError.for_arg(name, "must be square", tuple(Kt.shape))
    return Kt


def _shifted(K: torch.Tensor, ridge: float) -> torch.Tensor:
    return finite_result(K + ridge * torch.eye(K.shape[0], dtype=K.dtype, device=K.device),
                         "K + ridge I", "K_train")


def _factor(A: torch.Tensor, name: str) -> torch.Tensor:
    with linalg_guard(name, "Cholesky"):
        L, info = torch.linalg.cholesky_ex(A)
    if int(info) != 0:
        raise KernelHealthError.gate("psd", name, "Cholesky of K + ridge I must succeed "
                                     f"(failed at pivot {int(info)})", float(int(info)), 0.0)
    return L


def _solve_spd(A: torch.Tensor, B: torch.Tensor, *, check: bool = True,
               name: str = "K_train + ridge I") -> torch.Tensor:
    """Z = A^{-1} B for SPD A (n, n), B (n, k), by dense Cholesky (differentiable).

    With ``check`` the backward residual ||A Z - B|| is gated (``checks.check_solve``).
    The one place where SPD systems are solved (large n will be routed to PCG here).
    """
    Z = finite_result(torch.cholesky_solve(B, _factor(A, name)), "solution of (K + ridge I) Z"
                      " = B", name)
    if check:
        check_solve(A, Z, B, name=name)
    return Z


def _gate(K: torch.Tensor, ridge: float, check: bool, name: str) -> None:
    if check:
        check_kernel(K.detach(), ridge=ridge, name=name)


def kernel_ridge(K_train: Any, y: Any, ridge: float, *, check: bool = True) -> torch.Tensor:
    """alpha = (K_train + ridge I)^{-1} y.  K_train: (n, n); y: (n,) or (n, k); ridge > 0."""
    lam, K = _ridge(ridge), _kernel(K_train)
    yt = as_vector(y, "y", dtype=K.dtype, device=K.device)
    if yt.shape[0] != K.shape[0]:
        raise InputError.for_arg("y", f"must have n = {K.shape[0]} rows", tuple(yt.shape))
    _gate(K, lam, check, "K_train")
    B = yt[:, None] if yt.ndim == 1 else yt
    alpha = _solve_spd(_shifted(K, lam), B, check=check)
    return alpha[:, 0] if yt.ndim == 1 else alpha


def influence_matrix(K_train: Any, K_test_train: Any, ridge: float, *,
                     check: bool = True) -> torch.Tensor:
    """I = K_test,train (K_train + ridge I)^{-1}: (n_test, n); I[t, j] = d f(x_t)/d y_j.

    K_train: (n, n); K_test_train: (n_test, n); ridge > 0.  Differentiable.
    """
    lam, K = _ridge(ridge), _kernel(K_train)
    Kt = as_matrix(K_test_train, "K_test_train", dtype=K.dtype, device=K.device)
    if Kt.shape[1] != K.shape[0]:
        raise InputError.for_arg("K_test_train", f"must have n = {K.shape[0]} columns",
                                 tuple(Kt.shape))
    _gate(K, lam, check, "K_train")
    return _solve_spd(_shifted(K, lam), Kt.T, check=check).T


def loo_residuals(K_train: Any, y: Any, ridge: float, *, check: bool = True) -> torch.Tensor:
    """Leave-one-out residuals r_j = y_j - f_{-j}(x_j) = alpha_j / [(K + ridge I)^{-1}]_jj.

    K_train: (n, n); y: (n,) or (n, k) -> same shape as y.
    """
    lam, K = _ridge(ridge), _kernel(K_train)
    yt = as_vector(y, "y", dtype=K.dtype, device=K.device)
    if yt.shape[0] != K.shape[0]:
        raise InputError.for_arg("y", f"must have n = {K.shape[0]} rows", tuple(yt.shape))
    _gate(K, lam, check, "K_train")
    A = _shifted(K, lam)
    A_inv = _solve_spd(A, torch.eye(K.shape[0], dtype=K.dtype, device=K.device), check=check)
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
    lam = _ridge(ridge)
    X, T = _pair(X_train, X_test, dtype, device)
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
        cond = _cond(lam_min, float(ev.max()), lam)
        if not cond < PAPER_MAX_COND:
            raise KernelHealthError.gate("conditioning", "K_train", "kappa(K + ridge I) < "
                                         f"max_cond (ridge={lam:g})", cond, PAPER_MAX_COND)
    Z = _solve_spd(_shifted(M, lam), Phi_t.T, check=check, name="Phi^T Phi + ridge I")
    return finite_result((Z.T @ C) @ X.T, "influence matrix", "X_train")  # Z^T Phi^T


def __getattr__(name: str) -> Any:
    """Lazy re-export of ``malleability`` / ``MalleabilityResult`` (no import cycle)."""
    if name in ("malleability", "MalleabilityResult"):
        from experiments import malleability as _m

        return getattr(_m, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
