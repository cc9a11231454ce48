"""The linearized-attention kernel in torch (paper Theorem 4.1), any device, float64 default.

Notation: X is (n, d) with rows x_i; G = X X^T (n, n); C = X^T X (d, d).  Linearized
attention maps X to X X^T X = G X = X C, i.e. each point x to C x, so its kernel is

    K(x, y) = (C x)^T (C y) = x^T C^2 y,        K(X, X) = G^3 = X C^2 X^T.

:func:`linattn_kernel` computes K as Phi_X Phi_Y^T with Phi = X C (n, d): O(n d^2 + n_X
n_Y d) time and no n x n intermediate other than the output, so G is never formed when
n >> d.  Accuracy (componentwise, Higham Sec. 3.5): every entry of the float result is
within ``pyverify.tolerance.matmul_rtol(dtype, max(n, d), products=3)`` times the same
entry of the kernel of |X| -- the test suite checks exactly that against the exact
rational reference ``pyverify.kernel``.

Gates: kernels that return a square K(X, X) run the cheap ``symmetry`` gate of
:mod:`linattn.checks` by default; ``check=False`` turns it off and ``check=("symmetry",
"psd")`` (any subset of ``checks.GATES``) selects more (the psd gate costs an n x n
eigendecomposition).  The spectrum (``spectral_stats``) lives in :mod:`linattn.spectrum`.
"""

from __future__ import annotations

from typing import Any

import torch

from linattn.checks import CheckArg, run_gates
from linattn.validate import as_matrix, as_pair, check_same_cols, finite_result, own_dtype
from pyverify.errors import InputError

__all__ = [
    "DOUBLE_SUM_MAX_N",
    "attention_map",
    "gram",
    "kernel_double_sum",
    "keys_attention_map",
    "linattn_features",
    "linattn_kernel",
]

DOUBLE_SUM_MAX_N = 64
"""Largest n accepted by :func:`kernel_double_sum` (its cost is O(n^4 + n^2 d))."""


def gram(X: Any, Y: Any = None, *, dtype: Any = None, device: Any = None,
         check: CheckArg = True) -> torch.Tensor:
    """Gram matrix G = X Y^T, G_ij = x_i^T y_j.  X: (n, d), Y: (m, d) (default X) -> (n, m)."""
    Xt, Yt = as_pair(X, Y, dtype, device)
    if Yt is None:
        return run_gates(finite_result(Xt @ Xt.T, "G = X X^T"), check, "gram(X)")
    return finite_result(Xt @ Yt.T, "G = X Y^T")


def attention_map(X: Any, *, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """C = X^T X: (d, d).  Linearized attention maps a point x to C x (and X to X C = G X)."""
    Xt = as_matrix(X, "X", dtype=dtype, device=device)
    return finite_result(Xt.T @ Xt, "C = X^T X")


def keys_attention_map(keys: Any, X: torch.Tensor) -> torch.Tensor:
    """C = keys^T keys (d, d) for the validated ``X: (n, d)``; ``keys=None`` means the
    training set is X itself (C = X^T X).  ``keys`` is validated against X's d, dtype and
    device."""
    X = as_matrix(X, "X", dtype=own_dtype(X))
    if keys is None:
        return finite_result(X.T @ X, "C = X^T X")
    Kt = as_matrix(keys, "keys", dtype=X.dtype, device=X.device)
    check_same_cols(X, Kt, "X", "keys")
    return finite_result(Kt.T @ Kt, "C = keys^T keys", "keys")


def linattn_features(X: Any, *, keys: Any = None, dtype: Any = None,
                     device: Any = None) -> torch.Tensor:
    """Attention features Phi = X C: (n, d), row i = (C x_i)^T, with C = keys^T keys
    (default keys = X, so Phi = G X).  The feature map of K is x -> C x."""
    Xt = as_matrix(X, "X", dtype=dtype, device=device)
    return finite_result(Xt @ keys_attention_map(keys, Xt), "Phi = X C")


def linattn_kernel(X: Any, Y: Any = None, *, keys: Any = None, dtype: Any = None,
                   device: Any = None, check: CheckArg = True) -> torch.Tensor:
    """K(x, y) = x^T C^2 y for the rows of X (n, d) and Y (m, d) -> (n, m).

    C = keys^T keys with keys defaulting to X (the training set; pass ``keys=X_train``
    when X is a test set).  Computed as Phi_X Phi_Y^T with Phi = X C, so
    ``linattn_kernel(X)`` = G^3 = X C^2 X^T without forming G.  Cost O((n + m) d^2 + n m d).
    """
    Xt, Yt = as_pair(X, Y, dtype, device)
    C = keys_attention_map(keys, Xt)
    PX = Xt @ C
    if Yt is None:
        return run_gates(finite_result(PX @ PX.T, "K = G^3"), check, "linattn_kernel(X)")
    return finite_result(PX @ (Yt @ C).T, "K(X, Y) = X C^2 Y^T")


def kernel_double_sum(X: Any, Y: Any = None, *, dtype: Any = None,
                      device: Any = None) -> torch.Tensor:
    """The literal definition K_ij = sum_k sum_l (x_i^T x_k)(x_k^T x_l)(x_l^T y_j).

    X: (n, d) (keys and left points), Y: (m, d) (default X) -> (n, m).  The triple products
    G_ik G_kl G'_lj are formed explicitly for each i and summed over (k, l): O(n^3 m)
    time, O(n^2 m) memory, no matrix-product reassociation.  A test oracle and the
    float side of the correspondence experiment; n <= ``DOUBLE_SUM_MAX_N``.
    """
    Xt, Yt = as_pair(X, Y, dtype, device)
    n = Xt.shape[0]
    if n > DOUBLE_SUM_MAX_N:
        raise InputError.for_arg("X", f"must have at most {DOUBLE_SUM_MAX_N} rows for the "
                                 "O(n^4) double sum", n)
    G = Xt @ Xt.T
    Gy = G if Yt is None else Xt @ Yt.T  # (n, m): x_l^T y_j
    rows = []
    for i in range(n):
        terms = G[i][:, None, None] * G[:, :, None] * Gy[None, :, :]  # (k, l, j)
        rows.append(terms.sum(dim=(0, 1)))
    return finite_result(torch.stack(rows), "double sum K")
