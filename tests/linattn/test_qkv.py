"""Property tests of linattn.qkv (random trainable-QKV linear attention)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from linattn.qkv import (
    expected_qkv_kernel,
    qkv_features,
    qkv_kernel,
    qkv_map,
    random_qkv,
)
from pyverify.errors import InputError
from pyverify.tolerance import matmul_rtol

F64 = torch.float64


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=F64)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


shapes = st.tuples(st.integers(2, 9), st.integers(1, 6), st.integers(1, 10), st.integers(0, 99))


@given(shapes)
def test_identity_qkv_is_linattn_kernel(s: tuple[int, int, int, int]) -> None:
    """Q = K = V = I_d (h = d): K_h = X C² Xᵀ = G³ (Theorem 4.1)."""
    n, d, _, seed = s
    X = _data(n, d, seed)
    eye = torch.eye(d, dtype=F64)
    Kh = qkv_kernel(X, Q=eye, K=eye, V=eye)
    G = X @ X.T
    tol = matmul_rtol("float64", max(n, d), products=4)
    assert _rel(Kh, G @ G @ G) <= tol


def test_identity_qkv_matches_library_linattn_kernel() -> None:
    from linattn.kernel import linattn_kernel

    X, Y = _data(7, 4, 1), _data(3, 4, 2)
    eye = torch.eye(4, dtype=F64)
    tol = matmul_rtol("float64", 7, products=4)
    assert _rel(qkv_kernel(X, Q=eye, K=eye, V=eye), linattn_kernel(X)) <= tol
    assert _rel(qkv_kernel(Y, X, Q=eye, K=eye, V=eye, keys=X),
                linattn_kernel(Y, X, keys=X)) <= tol


@given(shapes, st.floats(0.1, 10.0), st.floats(0.1, 10.0))
def test_scaling_laws(s: tuple[int, int, int, int], c: float, a: float) -> None:
    """K_h(cX) = c⁶ K_h(X) (X enters six times); scaling Q (or K or V) by a gives a²."""
    n, d, h, seed = s
    X = _data(n, d, seed)
    q = random_qkv(d, h, seed=seed)
    base = qkv_kernel(X, Q=q.Q, K=q.K, V=q.V)
    tol = matmul_rtol("float64", max(n, d, h), products=6)
    assert _rel(qkv_kernel(c * X, Q=q.Q, K=q.K, V=q.V), c**6 * base) <= tol
    assert _rel(qkv_kernel(X, Q=a * q.Q, K=q.K, V=q.V), a**2 * base) <= tol
    assert _rel(qkv_kernel(X, Q=q.Q, K=q.K, V=a * q.V), a**2 * base) <= tol


@given(shapes)
def test_rotation_invariance(s: tuple[int, int, int, int]) -> None:
    """Q→QR, K→KR (R orthogonal h×h) leaves QKᵀ and the kernel unchanged; so does V→VR."""
    n, d, h, seed = s
    X = _data(n, d, seed)
    q = random_qkv(d, h, seed=seed)
    R, _ = torch.linalg.qr(_data(h, h, seed + 1))
    base = qkv_kernel(X, Q=q.Q, K=q.K, V=q.V)
    tol = matmul_rtol("float64", max(n, d, h), products=6)
    assert _rel(qkv_kernel(X, Q=q.Q @ R, K=q.K @ R, V=q.V), base) <= tol
    assert _rel(qkv_kernel(X, Q=q.Q, K=q.K, V=q.V @ R), base) <= tol


@given(shapes)
def test_kernel_is_gram_of_features_and_rank_bounded(s: tuple[int, int, int, int]) -> None:
    n, d, h, seed = s
    X = _data(n, d, seed)
    q = random_qkv(d, h, seed=seed)
    F = qkv_features(X, q.Q, q.K, q.V)
    assert F.shape == (n, h)
    Kh = qkv_kernel(X, Q=q.Q, K=q.K, V=q.V)
    assert _rel(Kh, F @ F.T) <= matmul_rtol("float64", h)
    assert torch.equal(Kh, Kh.T)
    rank = int(torch.linalg.matrix_rank(Kh))
    assert rank <= min(n, d, h)


def test_cross_kernel_uses_keys() -> None:
    X, Y = _data(6, 3, 0), _data(4, 3, 1)
    q = random_qkv(3, 5, seed=0)
    M = qkv_map(q.Q, q.K, q.V, X)
    assert _rel(qkv_kernel(Y, X, Q=q.Q, K=q.K, V=q.V, keys=X), (Y @ M) @ (X @ M).T) <= \
        matmul_rtol("float64", 6, products=4)


def test_random_qkv_is_deterministic_and_standard_scaled() -> None:
    a, b = random_qkv(16, 2048, seed=3), random_qkv(16, 2048, seed=3)
    assert torch.equal(a.Q, b.Q) and torch.equal(a.V, b.V)
    assert not torch.equal(a.Q, a.K)
    # variance 1/d: the sample variance of 16*2048 entries is within 5 standard errors
    var = float(a.Q.var())
    se = (1 / 16) * math.sqrt(2 / (16 * 2048))
    assert abs(var - 1 / 16) <= 5 * se


def test_expected_kernel_monte_carlo() -> None:
    """The Monte-Carlo mean of K_h over independent draws matches h²σ⁶‖C‖_F² X Xᵀ within
    4 standard errors (entrywise, estimated from the draws)."""
    X = _data(6, 4, 0)
    h, draws = 6, 3000
    samples = torch.stack([qkv_kernel(X, Q=q.Q, K=q.K, V=q.V)
                           for q in (random_qkv(4, h, seed=i) for i in range(draws))])
    mean, se = samples.mean(0), samples.std(0) / math.sqrt(draws)
    E = expected_qkv_kernel(X, h=h)
    assert bool(((mean - E).abs() <= 4 * se + 1e-12).all())


@pytest.mark.parametrize("bad", ["X1d", "Qrows", "hmismatch", "nan"])
def test_input_errors(bad: str) -> None:
    X = _data(5, 3, 0)
    q = random_qkv(3, 4, seed=0)
    Q, K, V = q.Q, q.K, q.V
    if bad == "X1d":
        X = X[0]
    elif bad == "Qrows":
        Q = torch.ones(2, 4, dtype=F64)
    elif bad == "hmismatch":
        V = torch.ones(3, 5, dtype=F64)
    else:
        X = X.clone()
        X[0, 0] = float("nan")
    with pytest.raises(InputError):
        qkv_kernel(X, Q=Q, K=K, V=V)
    with pytest.raises(InputError):
        random_qkv(0, 3, seed=0)
