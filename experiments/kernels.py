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
:mod:`experiments.checks` by default; ``check=False`` turns it off and ``check=("symmetry",
"psd")`` (any subset of ``checks.GATES``) selects more (the psd gate costs an n x n
eigendecomposition).  The spectrum (``spectral_stats``) lives in
:mod:`experiments.spectrum` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from experiments._validate import as_matrix, check_same_cols, finite_result
from experiments.checks import check_kernel
from experiments.spectrum import SpectralStats, accumulate_gram_dual, spectral_stats
from pyverify.errors import InputError

__all__ = [
    "SpectralStats",
    "accumulate_gram_dual",
    "attention_map",
    "gram",
    "kernel_double_sum",
    "linattn_features",
    "linattn_kernel",
    "spectral_stats",
]

DOUBLE_SUM_MAX_N = 64
"""Largest n accepted by :func:`kernel_double_sum` (its cost is O(n^4 + n^2 d))."""

CheckArg = bool | Sequence[str]


def _gates(check: CheckArg) -> tuple[str, ...]:
    if check is True:
        return ("symmetry",)
    if check is False or check is None:
        return ()
    return tuple(check)


def _maybe_check(K: torch.Tensor, check: CheckArg, name: str) -> torch.Tensor:
    gates = _gates(check)
    if gates:
        check_kernel(K, gates=gates, name=name)
    return K


def _pair(X: Any, Y: Any, dtype: Any, device: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    Xt = as_matrix(X, "X", dtype=dtype, device=device)
    if Y is None:
        return Xt, None
    Yt = as_matrix(Y, "Y", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Yt)
    return Xt, Yt


def gram(X: Any, Y: Any = None, *, dtype: Any = None, device: Any = None,
         check: CheckArg = True) -> torch.Tensor:
    """Gram matrix G = X Y^T, G_ij = x_i^T y_j.  X: (n, d), Y: (m, d) (default X) -> (n, m)."""
    Xt, Yt = _pair(X, Y, dtype, device)
    if Yt is None:
        return _maybe_check(finite_result(Xt @ Xt.T, "G = X X^T"), check, "gram(X)")
    return finite_result(Xt @ Yt.T, "G = X Y^T")


def attention_map(X: Any, *, dtype: Any = None, device: Any = None) -> torch.Tensor:
    """C = X^T X: (d, d).  Linearized attention maps a point x to C x (and X to X C = G X)."""
    Xt = as_matrix(X, "X", dtype=dtype, device=device)
    return finite_result(Xt.T @ Xt, "C = X^T X")


def _keys_map(keys: Any, X: torch.Tensor) -> torch.Tensor:
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
    return finite_result(Xt @ _keys_map(keys, Xt), "Phi = X C")


def linattn_kernel(X: Any, Y: Any = None, *, keys: Any = None, dtype: Any = None,
                   device: Any = None, check: CheckArg = True) -> torch.Tensor:
    """K(x, y) = x^T C^2 y for the rows of X (n, d) and Y (m, d) -> (n, m).

    C = keys^T keys with keys defaulting to X (the training set; pass ``keys=X_train``
    when X is a test set).  Computed as Phi_X Phi_Y^T with Phi = X C, so
    ``linattn_kernel(X)`` = G^3 = X C^2 X^T without forming G.  Cost O((n + m) d^2 + n m d).
    """
    Xt, Yt = _pair(X, Y, dtype, device)
    C = _keys_map(keys, Xt)
    PX = Xt @ C
    if Yt is None:
        return _maybe_check(finite_result(PX @ PX.T, "K = G^3"), check, "linattn_kernel(X)")
    return finite_result(PX @ (Yt @ C).T, "K(X, Y) = X C^2 Y^T")


def kernel_double_sum(X: Any, Y: Any = None, *, dtype: Any = None,
                      device: Any = None) -> torch.Tensor:
    """The literal definition K_ij = sum_k sum_l (x_i^T x_k)(x_k^T x_l)(x_l^T y_j).

    X: (n, d) (keys and left points), Y: (m, d) (default X) -> (n, m).  The triple products
    G_ik G_kl G'_lj are formed explicitly for each i and summed over (k, l): O(n^3 m)
    time, O(n^2 m) memory, no matrix-product reassociation.  A test oracle and the
    float side of the correspondence experiment; n <= ``DOUBLE_SUM_MAX_N``.
    """
    Xt, Yt = _pair(X, Y, dtype, device)
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
