"""The "fourth-order" function class of the paper's Theorem B.8, in torch (claim
``fourth-order-class``).  Mirrors :mod:`pyverify.function_class`.

f(x) = sum_{k,l} alpha_kl sum_m (x^T x_k)(x_k^T x_m)(x_m^T x_l) = w^T x with
w = X^T beta, beta_k = sum_l alpha_kl (G^2)_kl, G = X X^T: linear in x.
:func:`fourth_order_weight` computes w in O(n^2 d + n^3) (G^2 once);
:func:`fourth_order_value` evaluates the triple sum literally for queries ``Z: (q, d)``, the
float side of the check.  Accuracy: entrywise, both are within
``pyverify.tolerance.matmul_rtol(dtype, max(n, d), products=4)`` of the same quantities for
|X|, |alpha|, |Z| (four products), tested against the exact reference.
"""

from __future__ import annotations

from typing import Any

import torch

from linattn.validate import as_matrix, check_same_cols, finite_result, own_dtype
from pyverify.errors import InputError

__all__ = ["fourth_order_value", "fourth_order_weight"]


def _inputs(X: Any, alpha: Any, dtype: Any, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    Xt = as_matrix(X, "X", dtype=dtype or own_dtype(X), device=device)
    A = as_matrix(alpha, "alpha", dtype=Xt.dtype, device=Xt.device)
    n = Xt.shape[0]
    if A.shape != (n, n):
        raise InputError.for_arg("alpha", f"must be ({n}, {n})", tuple(A.shape))
    return Xt, A


def fourth_order_weight(X: Any, alpha: Any, *, dtype: Any = None,
                        device: Any = None) -> torch.Tensor:
    """w = X^T beta, beta_k = sum_l alpha_kl (G^2)_kl.  X: (n, d), alpha: (n, n) -> (d,)."""
    Xt, A = _inputs(X, alpha, dtype, device)
    G = Xt @ Xt.T
    beta = (A * (G @ G)).sum(dim=1)
    return finite_result(Xt.T @ beta, "w = X^T beta")


def fourth_order_value(X: Any, alpha: Any, Z: Any, *, dtype: Any = None,
                       device: Any = None) -> torch.Tensor:
    """f(z) for every row of ``Z: (q, d)`` by the literal sum over (k, l, m) -> (q,)."""
    Xt, A = _inputs(X, alpha, dtype, device)
    Zt = as_matrix(Z, "Z", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Zt, "X", "Z")
    G = Xt @ Xt.T
    zx = Zt @ Xt.T  # (q, n): z^T x_k
    # sum_m G_km G_ml, written out as the sum over m of the outer products
    inner = sum(torch.outer(G[:, m], G[m, :]) for m in range(G.shape[0]))
    return finite_result(((zx[:, :, None] * (A * inner)[None]).sum(dim=(1, 2))),
                         "f(z)")
