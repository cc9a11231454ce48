"""Sensitivity of the linearized-attention kernel to a query point, in torch (paper
Proposition 4.5, corrected; claim ``sensitivity``).  Mirrors :mod:`pyverify.sensitivity`.

With keys fixed by the training data ``X: (n, d)`` and ``C = Xᵀ X: (d, d)``, the kernel is
``K(x, y) = (C x)ᵀ (C y) = xᵀ C² y``, linear in the query x, so for a perturbation
``δ: (d,)`` of the query only (X, hence C, fixed)::

    K(x + δ, y) − K(x, y) = δᵀ v,   v = C² y,   |·| ≤ ε ‖v‖₁  whenever max_a |δ_a| ≤ ε

(Hölder with the ∞-norm of δ and the 1-norm of v).  The bound is attained at
``δ = ε · sign(v)`` (:func:`worst_perturbation`).  The paper prints ``‖G x_j‖₁``, which does not
type-check (G is n×n, x_j ∈ ℝᵈ); ``v = C² y`` is the vector that makes the identity exact.

Accuracy: v is two products of inner dimension d after C (inner dimension n), so each entry
is within ``pyverify.tolerance.matmul_rtol(dtype, max(n, d), products=3)`` of the same
entry of ``|C|² |y|`` (tested against the exact reference).
"""

from __future__ import annotations

from typing import Any

import torch

from linattn.validate import as_matrix, finite_result, own_dtype
from pyverify.errors import InputError

__all__ = ["kernel_difference", "sensitivity_bound", "sensitivity_vector", "worst_perturbation"]


def _query(v: Any, name: str, X: torch.Tensor) -> torch.Tensor:
    t = as_matrix(v, name, ndim=1, dtype=X.dtype, device=X.device)
    if t.shape[0] != X.shape[1]:
        raise InputError.for_arg(name, f"must have d = {X.shape[1]} entries", tuple(t.shape))
    return t


def sensitivity_vector(X: Any, y: Any, *, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """v = C² y with C = Xᵀ X.  X: (n, d), y: (d,) -> v: (d,)."""
    Xt = as_matrix(X, "X", dtype=dtype or own_dtype(X), device=device)
    yt = _query(y, "y", Xt)
    C = Xt.T @ Xt
    return finite_result(C @ (C @ yt), "v = C^2 y")


def kernel_difference(X: Any, x: Any, delta: Any, y: Any, *, dtype: Any = None,
                      device: Any = None) -> torch.Tensor:
    """K(x + δ, y) − K(x, y) with C = Xᵀ X fixed (only the query x is perturbed), computed
    from the two kernel values.  X: (n, d); x, δ, y: (d,) -> a scalar tensor."""
    Xt = as_matrix(X, "X", dtype=dtype or own_dtype(X), device=device)
    xt, dt, yt = (_query(v, name, Xt) for v, name in ((x, "x"), (delta, "delta"), (y, "y")))
    C = Xt.T @ Xt
    Cy = C @ yt
    return finite_result((C @ (xt + dt)) @ Cy - (C @ xt) @ Cy, "K(x + delta, y) - K(x, y)")


def sensitivity_bound(X: Any, y: Any, eps: float, *, dtype: Any = None,
                      device: Any = None) -> torch.Tensor:
    """ε ‖C² y‖₁, the bound on |K(x + δ, y) − K(x, y)| over max_a |δ_a| ≤ ε (ε ≥ 0)."""
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not (0 <= eps < float("inf")):
        raise InputError.for_arg("eps", "must be a finite number >= 0 (a bound on "
                                 "max_a |delta_a|)", eps)
    return eps * torch.linalg.vector_norm(sensitivity_vector(X, y, dtype=dtype, device=device),
                                          ord=1)


def worst_perturbation(X: Any, y: Any, eps: float, *, dtype: Any = None,
                       device: Any = None) -> torch.Tensor:
    """δ = ε · sign(C² y), (d,): the query perturbation with max_a |δ_a| = ε that attains
    the bound, δᵀ C² y = ε ‖C² y‖₁."""
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not (0 <= eps < float("inf")):
        raise InputError.for_arg("eps", "must be a finite number >= 0", eps)
    v = sensitivity_vector(X, y, dtype=dtype, device=device)
    return eps * torch.sign(v)

