"""Tests of linattn.softmax_attention (claim softmax-attention): the definition against an
independent route (scipy's softmax), the two temperature limits, the kernel identity
K = S G Sᵀ, autograd, the feature map for malleability and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax as sp_softmax

from linattn.kernel_regime import kernel_regime_curve
from linattn.ntk import relu_ntk
from linattn.softmax_attention import (
    softmax_attn_ntk,
    softmax_features,
    softmax_kernel,
    softmax_phi,
    softmax_weights,
    temperature,
)
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import arccos_rtol, cond_rtol, matmul_rtol

F64 = torch.float64


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@given(st.integers(2, 9), st.integers(1, 6), st.integers(1, 7), st.integers(0, 99),
       st.sampled_from([None, 0.3, 1.0, 7.0]))
def test_features_match_scipy_softmax(n: int, d: int, N: int, seed: int, tau) -> None:
    """f(x) = Σ_k softmax_k(xᵀz_k/τ) z_k, with scipy's softmax in numpy as the second route
    (τ default √d); rows of S on the simplex."""
    X, Z = _data(n, d, seed), _data(N, d, seed + 1)
    t = math.sqrt(d) if tau is None else tau
    S_ref = sp_softmax((X.numpy() @ Z.numpy().T) / t, axis=1)
    F_ref = torch.as_tensor(S_ref @ Z.numpy())
    S = softmax_weights(X, keys=Z, tau=tau)
    tol = matmul_rtol("float64", max(N, d), products=2)
    assert _rel(S, torch.as_tensor(S_ref)) <= tol
    assert _rel(softmax_features(X, keys=Z, tau=tau), F_ref) <= tol
    assert float((S.sum(1) - 1).abs().max()) <= matmul_rtol("float64", N)


def test_kernel_is_s_g_st_with_training_keys() -> None:
    """keys = X: K = F Fᵀ = S G Sᵀ (linearized attention would give G³)."""
    X = _data(7, 4, 0)
    S = softmax_weights(X, tau=2.0)
    G = X @ X.T
    K = softmax_kernel(X, tau=2.0)
    assert _rel(K, S @ G @ S.T) <= matmul_rtol("float64", 7, products=3)
    Y = _data(3, 4, 1)
    FY = softmax_features(Y, keys=X, tau=2.0)
    assert _rel(softmax_kernel(Y, X, keys=X, tau=2.0),
                FY @ softmax_features(X, tau=2.0).T) <= matmul_rtol("float64", 7, products=3)


def _first_order_error(X: torch.Tensor, tau: float, *, centred: bool = True) -> float:
    N = X.shape[0]
    mu = X.mean(0)
    Zc = X - mu if centred else X
    Cc = Zc.T @ Zc
    F = softmax_features(X, tau=tau)
    return _rel(N * tau * (F - mu), X @ Cc)


def test_mean_limit_is_linearized_attention_with_centred_keys() -> None:
    """τ → ∞: f(x) = μ + C_c x/(Nτ) + O(τ⁻²): the error of the first-order term falls ~10×
    per decade of τ; the uncentred scatter XᵀX (a planted error) does not fit."""
    X = _data(8, 3, 2)
    e3, e4 = _first_order_error(X, 1e3), _first_order_error(X, 1e4)
    assert 5 < e3 / e4 < 20  # O(1/τ): a factor ~10 per decade
    assert _first_order_error(X, 1e4, centred=False) > 10 * e4
    # K → ‖μ‖² 1 1ᵀ: the relative distance to the rank-one limit falls like 1/τ
    mu = X.mean(0)

    def dist(tau: float) -> float:
        K = softmax_kernel(X, tau=tau, check=False)
        return _rel(K, torch.full_like(K, float(mu @ mu)))

    assert 5 < dist(1e4) / dist(1e5) < 20


def test_nearest_neighbour_limit_is_the_argmax_key_exactly() -> None:
    """τ → 0: every row of S is exactly one-hot (exp underflows to 0, the maximum gives
    exp(0) = 1), so F is the key of largest inner product, bit for bit by construction."""
    X = _data(9, 4, 3)
    F = softmax_features(X, tau=1e-12)
    idx = (X @ X.T).argmax(1)
    assert torch.equal(F, X[idx])


def test_shared_nearest_key_makes_the_ntk_singular() -> None:
    """Two inputs with the same max-inner-product key get equal features: H_∞ singular, so
    the kernel-regime ratio and m_½ are undefined (None), not a large number."""
    Z = torch.tensor([[3.0, 0.0], [0.0, 3.0], [1.0, 0.2], [0.9, -0.1]], dtype=F64)
    F = softmax_features(Z, tau=1e-9)
    assert torch.equal(F[2], F[3])  # both pick key 0 exactly
    curve = kernel_regime_curve(F, (16, 64), seed=0, draws=1)
    assert not curve.lam_min_resolved
    assert curve.ratio == (None, None) and curve.log10_m_half is None and curve.cond_ntk is None


def test_ntk_is_relu_ntk_of_the_features() -> None:
    X = _data(6, 3, 4)
    F = softmax_features(X)
    assert _rel(softmax_attn_ntk(X), relu_ntk(F)) <= arccos_rtol("float64", 3)
    Y = _data(2, 3, 5)
    assert _rel(softmax_attn_ntk(Y, X, keys=X),
                relu_ntk(softmax_features(Y, keys=X), F)) <= arccos_rtol("float64", 3)


def test_autograd_through_the_softmax() -> None:
    """Analytic gradients in X and in the keys agree with finite differences."""
    X = _data(4, 3, 6).requires_grad_(True)
    Z = _data(5, 3, 7).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: softmax_features(a, keys=b, tau=0.7), (X, Z))
    assert torch.autograd.gradcheck(lambda a: softmax_attn_ntk(a, check=False).sum(), (X,))


def test_phi_is_the_feature_map_and_differentiable() -> None:
    """phi(keys, Z) runs softmax_features (the same route: equal by construction)."""
    X, Z = _data(5, 3, 8), _data(4, 3, 9)
    phi = softmax_phi(0.5)
    assert torch.equal(phi(X, Z), softmax_features(Z, keys=X, tau=0.5))
    assert torch.equal(softmax_phi()(X, Z), softmax_features(Z, keys=X))
    Xg = X.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda k: phi(k, Z), (Xg,))


def test_kappa_bound_through_s() -> None:
    """keys = X, n = d: K = S G Sᵀ, so κ(K) ≤ κ(S)² κ(G) (2-norm, submultiplicativity)."""
    X = _data(5, 5, 10)
    S = softmax_weights(X, tau=3.0)
    ev = torch.linalg.eigvalsh(softmax_kernel(X, tau=3.0))
    sv = torch.linalg.svdvals(S)
    kG = torch.linalg.cond(X @ X.T)
    kK = float(ev[-1] / ev[0])
    assert kK <= float((sv[0] / sv[-1]) ** 2 * kG) * (1 + cond_rtol("float64", 5, kK))


@pytest.mark.parametrize("tau", [0, -1.0, math.inf, math.nan, "x", True])
def test_bad_temperature(tau) -> None:
    with pytest.raises(InputError):
        softmax_features(_data(3, 2, 0), tau=tau)
    with pytest.raises(InputError):
        softmax_phi(tau)


def test_bad_inputs_and_overflow() -> None:
    X = _data(3, 2, 0)
    with pytest.raises(InputError):
        softmax_features(X, keys=_data(3, 4, 1))
    with pytest.raises(InputError):
        softmax_features(np.array([1.0, 2.0]))
    with pytest.raises(NumericalError):
        softmax_features(X * 1e200, tau=1e-200)
    with pytest.raises(InputError):
        temperature(None, 0)
    assert temperature(None, 16) == 4.0
