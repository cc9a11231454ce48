"""Random trainable-QKV linear attention: features, kernel and its expectation.

The referee's first objection asks whether the paper's κ(G)³ amplification survives when the
parameter-free map ``X ↦ X Xᵀ X`` is replaced by linear attention with trainable query, key
and value matrices at standard initialisation.  With ``Q, K, V: (d, h)`` and keys
``Z: (n_k, d)`` (default ``Z = X``, the training set)

    f(X) = (X Q)(Z K)ᵀ(Z V) = X Q Kᵀ C V = X M,   C = Zᵀ Z: (d, d),   M = Q Kᵀ C V: (d, h),

so row ``i`` of ``f(X): (n, h)`` is the feature ``φ(x_i) = Mᵀ x_i`` and the induced kernel is

    K_h(X, Y) = f(X) f(Y)ᵀ = X M Mᵀ Yᵀ: (n, n_y).

Special case (tested): ``Q = K = V = I_d`` (``h = d``) gives ``M = C`` and
``K_h = X C² Yᵀ``, the paper's parameter-free kernel ``G³`` (Theorem 4.1).

Expected kernel (derivation).  Let ``Q, K, V`` have iid ``N(0, σ²)`` entries, independent
(standard initialisation ``σ² = 1/d``).  For a fixed ``A: (d, d)`` and ``K: (d, h)`` iid
``N(0, σ²)``, ``E[Kᵀ A K]_{ab} = Σ_{ij} A_{ij} E[K_{ia} K_{jb}] = δ_{ab} σ² tr(A)``, and for
``V: (d, h)``, ``E[V Vᵀ] = h σ² I_d``.  Conditioning in turn on ``Q, K`` then ``Q``:

    E[M Mᵀ] = E[Q Kᵀ C (V Vᵀ) C K Qᵀ] = h σ² E[Q (Kᵀ C² K) Qᵀ]
            = h σ² · σ² tr(C²) · E[Q Qᵀ] = h² σ⁶ ‖C‖_F² I_d,

hence ``E[K_h(X, Y)] = h² σ⁶ ‖C‖_F² X Yᵀ`` -- proportional to the *plain* Gram matrix
``G = X Xᵀ``, with condition number κ(G), not κ(G)³.

Large-``h`` limit (derivation).  ``V Vᵀ / (h σ²) → I_d`` almost surely (law of large
numbers, ``d`` fixed), but ``Q Kᵀ = Σ_{a=1}^{h} q_a k_aᵀ`` is a sum of ``h`` iid zero-mean
rank-one matrices, so by the CLT ``Q Kᵀ / (√h σ²) → A`` in distribution, ``A: (d, d)`` with
iid ``N(0, 1)`` entries (Ginibre).  Therefore

    K_h / (h² σ⁶) → X A C² Aᵀ Xᵀ   in distribution,

a *random* kernel that does not concentrate as ``h`` grows: its non-zero spectrum equals that
of ``C Aᵀ C A C`` (take ``B = X A C``; ``B Bᵀ`` and ``Bᵀ B`` share non-zero eigenvalues), whose
condition number is at most ``κ(C)³ κ(A)²`` (submultiplicativity of singular values) and
fluctuates from draw to draw.  Neither ``κ(G)³`` nor ``κ(G)`` is the limit; the experiment
``experiments.qkv_extension`` measures where the realised values fall.

Everything here is float64 unless the inputs are another floating dtype; no tolerance is
used (pure products).  Shapes are validated and violations raise
:class:`~pyverify.errors.InputError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from linattn.validate import as_matrix, finite_result, resolve_dtype
from pyverify.errors import InputError, NumericalError

__all__ = [
    "QKV",
    "expected_qkv_kernel",
    "qkv_features",
    "qkv_kernel",
    "qkv_map",
    "random_qkv",
]


@dataclass(frozen=True)
class QKV:
    """Query, key and value matrices, each ``(d, h)``."""

    Q: torch.Tensor
    K: torch.Tensor
    V: torch.Tensor

    @property
    def d(self) -> int:
        return int(self.Q.shape[0])

    @property
    def h(self) -> int:
        return int(self.Q.shape[1])


def random_qkv(d: int, h: int, *, seed: int, std: float | None = None,
               dtype: torch.dtype = torch.float64) -> QKV:
    """Independent ``Q, K, V: (d, h)`` with iid ``N(0, std²)`` entries.

    ``std`` defaults to ``d^{-1/2}`` (standard / LeCun initialisation, variance ``1/d``).
    Deterministic given ``seed`` (a private CPU generator; the global RNG is untouched).
    """
    for name, v in (("d", d), ("h", h)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be an integer >= 1", v)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError.for_arg("seed", "must be an integer in [0, 2**63)", seed)
    s = d**-0.5 if std is None else _positive_std(std)
    dt = resolve_dtype(dtype)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    Q, K, V = (torch.randn(d, h, generator=gen, dtype=dt) * s for _ in range(3))
    return QKV(Q, K, V)


def _positive_std(std: Any) -> float:
    try:
        s = float(std)
    except (TypeError, ValueError):
        raise InputError.for_arg("std", "must be a positive finite number", std) from None
    if not 0.0 < s < math.inf:
        raise InputError.for_arg("std", "must be a positive finite number", std)
    return s


def _check_2d(name: str, T: Any, like: torch.Tensor | None = None) -> torch.Tensor:
    """Validate a 2-D finite real array (linattn.validate.as_matrix).  The first
    array fixes dtype (a float32/float64 tensor keeps its own, anything else -> float64)
    and device; ``like`` makes the others follow it."""
    if like is not None:
        return as_matrix(T, name, dtype=like.dtype, device=like.device)
    keep = isinstance(T, torch.Tensor) and T.dtype in (torch.float32, torch.float64)
    return as_matrix(T, name, dtype=T.dtype if keep else None)


def qkv_map(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor,
            keys: torch.Tensor) -> torch.Tensor:
    """``M = Q Kᵀ C V: (d, h)`` with ``C = keysᵀ keys``; ``keys: (n_k, d)``."""
    keys = _check_2d("keys", keys)
    Q, K, V = (_check_2d(n, t, keys) for n, t in (("Q", Q), ("K", K), ("V", V)))
    d = keys.shape[1]
    for name, T in (("Q", Q), ("K", K), ("V", V)):
        if T.shape[0] != d:
            raise InputError.for_arg(name, f"must have d = {d} rows (keys' columns)", T.shape)
    if not (Q.shape[1] == K.shape[1] == V.shape[1]):
        raise InputError.for_arg("Q, K, V", "must share the hidden width h",
                                 (Q.shape[1], K.shape[1], V.shape[1]))
    # (Q Kᵀ)(keysᵀ (keys V)): never forms anything larger than d x max(d, h).
    return finite_result((Q @ K.T) @ (keys.T @ (keys @ V)), "M = Q K^T C V", "keys")


def _check_shapes(X: torch.Tensor, Q: Any, K: Any, V: Any,
                  Z: Any) -> tuple[torch.Tensor, ...]:
    Q, K, V, Z = (_check_2d(name, T, X) for name, T in (("Q", Q), ("K", K), ("V", V),
                                                         ("keys", Z)))
    d = X.shape[1]
    for name, T in (("Q", Q), ("K", K), ("V", V)):
        if T.shape[0] != d:
            raise InputError.for_arg(name, f"must have d = {d} rows (X's columns)", T.shape)
    if Z.shape[1] != d:
        raise InputError.for_arg("keys", f"must have d = {d} columns", Z.shape)
    if not (Q.shape[1] == K.shape[1] == V.shape[1]):
        raise InputError.for_arg("Q, K, V", "must share the hidden width h",
                                 (Q.shape[1], K.shape[1], V.shape[1]))
    return Q, K, V, Z


def qkv_features(X: torch.Tensor, Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, *,
                 keys: torch.Tensor | None = None) -> torch.Tensor:
    """``f(X) = (X Q)(Z K)ᵀ(Z V) = X Q Kᵀ C V: (n, h)``; ``X: (n, d)``, ``Z = keys``
    (default ``X``), ``C = Zᵀ Z``.

    Evaluated as ``(X Q)((Z K)ᵀ (Z V))``: O((n + 2 n_k) d h + n_k h² + n h²), never a d×d
    matrix (CIFAR-10: d = 3072)."""
    X = _check_2d("X", X)
    Q, K, V, Z = _check_shapes(X, Q, K, V, X if keys is None else keys)
    return finite_result((X @ Q) @ ((Z @ K).T @ (Z @ V)), "f(X) = X Q K^T C V")


def qkv_kernel(X: torch.Tensor, Y: torch.Tensor | None = None, *, Q: torch.Tensor,
               K: torch.Tensor, V: torch.Tensor,
               keys: torch.Tensor | None = None) -> torch.Tensor:
    """``K_h(X, Y) = f(X) f(Y)ᵀ = X M Mᵀ Yᵀ: (n, n_y)``, ``M = Q Kᵀ C V``.

    ``keys`` (default ``X``, the training set) fixes ``C = keysᵀ keys`` for both arguments,
    as in :func:`linattn.kernel.linattn_kernel`.  ``Y = None`` means ``Y = X`` and the
    result is symmetrised exactly (``(K + Kᵀ)/2``).
    """
    X = _check_2d("X", X)
    Z = X if keys is None else _check_2d("keys", keys, X)
    FX = qkv_features(X, Q, K, V, keys=Z)
    if Y is None:
        Kxx = finite_result(FX @ FX.T, "K_h = f(X) f(X)^T")
        return 0.5 * (Kxx + Kxx.T)
    Y = _check_2d("Y", Y, X)
    if Y.shape[1] != X.shape[1]:
        raise InputError.for_arg("Y", f"must have d = {X.shape[1]} columns", Y.shape)
    return finite_result(FX @ qkv_features(Y, Q, K, V, keys=Z).T, "K_h = f(X) f(Y)^T")


def expected_qkv_kernel(X: torch.Tensor, Y: torch.Tensor | None = None, *, h: int,
                        std: float | None = None,
                        keys: torch.Tensor | None = None) -> torch.Tensor:
    """``E_{Q,K,V}[K_h(X, Y)] = h² σ⁶ ‖C‖_F² X Yᵀ`` for iid ``N(0, σ²)`` entries
    (``σ = std``, default ``d^{-1/2}``); derivation in the module docstring."""
    X = _check_2d("X", X)
    Z = X if keys is None else _check_2d("keys", keys, X)
    d = X.shape[1]
    s = d**-0.5 if std is None else _positive_std(std)
    if isinstance(h, bool) or not isinstance(h, int) or h < 1:
        raise InputError.for_arg("h", "must be an integer >= 1", h)
    C = finite_result(Z.T @ Z, "C = keys^T keys", "keys")
    try:
        scale = h**2 * s**6 * float((C * C).sum())
    except OverflowError:
        scale = math.inf
    if not math.isfinite(scale):
        raise NumericalError.for_arg("std", "h^2 std^6 ||C||_F^2 overflows float", std)
    Yv = X if Y is None else _check_2d("Y", Y, X)
    return finite_result(scale * (X @ Yv.T), "E[K_h]")
