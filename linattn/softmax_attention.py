"""Parameter-free softmax attention over the training keys (claim ``softmax-attention``;
the question of the paper's Appendix D.2: does NTK non-convergence survive softmax's
competitive normalisation?).

Map.  For keys ``Z: (N, d)`` (default: the training set ``X`` itself) and a temperature
``τ > 0`` (default ``√d``, the scaled dot product),

    f(x) = Σ_k softmax_k(xᵀz_k / τ) z_k = Zᵀ p(x),   p(x) = softmax(Z x / τ) ∈ Δ^{N−1},

so ``F = f(X) = S Z: (n, d)`` with ``S = softmax(X Zᵀ / τ)`` row-stochastic ``(n, N)``
(:func:`softmax_weights`, :func:`softmax_features`).  Its kernel is
``K = F Fᵀ = S G_Z Sᵀ`` with ``G_Z = Z Zᵀ`` (:func:`softmax_kernel`); with keys = X,
``K = S G Sᵀ``, where linearized attention (``X ↦ X Xᵀ X = G X``, Theorem 4.1) has
``K = G³``: the softmax replaces one factor G on each side by the row-stochastic S.  If S
is invertible, κ(K) ≤ κ(S)² κ(G) (2-norm condition numbers, submultiplicativity).

Limits (tested in ``tests/linattn/test_softmax_attention.py``):

* τ → ∞ (mean limit): ``p → 1/N``, ``f(x) → μ`` (the mean key).  To first order in 1/τ,
  ``softmax_k(s/τ) = (1 + (s_k − s̄)/τ)/N + O(τ⁻²)``, hence

      f(x) = μ + C_c x / (N τ) + O(τ⁻²),   C_c = Σ_k (z_k − μ)(z_k − μ)ᵀ,

  the mean plus 1/(Nτ) times linearized attention with centred keys -- the first-order
  Taylor expansion the paper's D.2 alludes to.  K tends to the rank-one ``‖μ‖² 1 1ᵀ``, so
  κ(K) → ∞.
* τ → 0 (nearest-neighbour limit): ``p(x)`` tends to the indicator of
  ``argmax_k xᵀz_k`` (the key of largest inner product; the ℓ2-nearest key when all keys
  have equal norm) and ``f(x)`` to that key.  Training points sharing that key get equal
  features, and K and the ReLU NTK on F become singular: no width enters the kernel regime.

NTK.  The two-layer ReLU network on these features (only its first layer W trained, as
MLP-Attn in :mod:`linattn.ntk`) has the infinite-width NTK
``H(x, y) = relu_ntk(f(x), f(y))`` (:func:`softmax_attn_ntk`) -- closed form, since the
ReLU NTK sees its inputs only through inner products and angles -- and the finite-width NTK
``finite_width_ntk(F, None, W)``.  Its convergence with width is measured by
:func:`linattn.kernel_regime.kernel_regime_curve`.

Numerics: ``torch.softmax`` subtracts the row maximum, so any finite logits are safe
(τ = 1e-12 gives the hard limit); logits that overflow the dtype raise NumericalError.
Everything is differentiable in X and in the keys (:func:`softmax_phi` is the feature map
``phi(keys, Z)`` that malleability estimates differentiate).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from linattn.checks import CheckArg, run_gates
from linattn.ntk import relu_ntk_core
from linattn.validate import as_matrix, as_pair, check_same_cols, finite_result, own_dtype
from pyverify.errors import InputError

__all__ = [
    "softmax_attn_ntk",
    "softmax_features",
    "softmax_kernel",
    "softmax_phi",
    "softmax_weights",
    "temperature",
]


def temperature(tau: Any, d: int) -> float:
    """The softmax temperature: ``float(tau)`` for a finite ``tau > 0``; ``None`` -> ``√d``
    (the scaled dot product).  InputError otherwise."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InputError.for_arg("d", "must be an integer >= 1", d)
    if tau is None:
        return math.sqrt(d)
    if isinstance(tau, bool):
        raise InputError.for_arg("tau", "must be a finite number > 0", tau)
    try:
        t = float(tau)
    except (TypeError, ValueError):
        raise InputError.for_arg("tau", "must be a finite number > 0", tau) from None
    if not 0.0 < t < math.inf:
        raise InputError.for_arg("tau", "must be a finite number > 0", tau)
    return t


def _keys(keys: Any, X: torch.Tensor) -> torch.Tensor:
    if keys is None:
        return X
    Z = as_matrix(keys, "keys", dtype=X.dtype, device=X.device)
    check_same_cols(X, Z, "X", "keys")
    return Z


def softmax_weights(X: Any, *, keys: Any = None, tau: Any = None) -> torch.Tensor:
    """``S = softmax(X Zᵀ / τ)`` row by row: ``X: (n, d)``, keys ``Z: (N, d)`` (default X)
    -> ``(n, N)``, rows on the probability simplex; τ default ``√d``."""
    Xt = as_matrix(X, "X", dtype=own_dtype(X))
    Z = _keys(keys, Xt)
    t = temperature(tau, Xt.shape[1])
    logits = finite_result((Xt @ Z.T) / t, "logits X Z^T / tau", "tau")
    return torch.softmax(logits, dim=1)


def softmax_features(X: Any, *, keys: Any = None, tau: Any = None) -> torch.Tensor:
    """``F = softmax(X Zᵀ/τ) Z: (n, d)``, row i = ``Σ_k softmax_k(x_iᵀz_k/τ) z_k``
    (keys ``Z`` default X, τ default ``√d``); differentiable in X and the keys."""
    Xt = as_matrix(X, "X", dtype=own_dtype(X))
    Z = _keys(keys, Xt)
    return finite_result(softmax_weights(Xt, keys=Z, tau=tau) @ Z, "F = S Z", "keys")


def softmax_kernel(X: Any, Y: Any = None, *, keys: Any = None, tau: Any = None,
                   check: CheckArg = True) -> torch.Tensor:
    """``K(X, Y) = f(X) f(Y)ᵀ: (n, m)`` of softmax attention over ``keys`` (default X, the
    training set; pass ``keys=X_train`` when X is a test set).  ``K(X, X) = S G_Z Sᵀ`` runs
    the symmetry gate unless ``check=False``."""
    Xt, Yt = as_pair(X, Y)
    Z = _keys(keys, Xt)
    FX = softmax_features(Xt, keys=Z, tau=tau)
    if Yt is None:
        K = finite_result(FX @ FX.T, "K = F F^T")
        return run_gates(0.5 * (K + K.T), check, "softmax_kernel(X)")
    return finite_result(FX @ softmax_features(Yt, keys=Z, tau=tau).T, "K = F_X F_Y^T")


def softmax_attn_ntk(X: Any, Y: Any = None, *, keys: Any = None, tau: Any = None,
                     check: CheckArg = True) -> torch.Tensor:
    """Infinite-width NTK of the two-layer ReLU network on softmax-attention features:
    ``H(x, y) = relu_ntk(f(x), f(y))``, ``X: (n, d)``, ``Y: (m, d)`` -> ``(n, m)``.  Zero
    feature rows (only when a key is zero) raise InputError."""
    Xt, Yt = as_pair(X, Y)
    Z = _keys(keys, Xt)
    FX = softmax_features(Xt, keys=Z, tau=tau)
    FY = None if Yt is None else softmax_features(Yt, keys=Z, tau=tau)
    H = relu_ntk_core(FX, FY, "f(X)", "f(Y)")
    return run_gates(H, check, "softmax_attn_ntk(X)") if Yt is None else H


def softmax_phi(tau: Any = None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The feature map ``phi(keys, Z) = softmax_features(Z, keys=keys, tau=tau)`` of this
    variant, for estimates that rebuild the keys from perturbed training inputs and
    differentiate through the softmax (``relu_ntk(phi(keys, Z))`` is its NTK).  ``tau`` is
    validated now when given (None: ``√d`` of the inputs at call time)."""
    if tau is not None:
        temperature(tau, 1)

    def phi(keys: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        return softmax_features(Z, keys=keys, tau=tau)

    phi.__doc__ = f"softmax attention features, tau = {'sqrt(d)' if tau is None else tau}"
    return phi
