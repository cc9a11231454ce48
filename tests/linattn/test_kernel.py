"""linattn.kernel against the exact reference pyverify.kernel (Theorem 4.1).

Tolerance (componentwise, Higham Sec. 3.5): a chain of matrix products computed in a
precision with unit roundoff eps is within gamma * (the same chain on |X|) entrywise;
gamma = matmul_rtol(dtype, max(n, d), products=k).  The |X| chain is nonnegative, so
computing it in float64 is accurate.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import cases, orthogonal, seeds

from linattn import checks, kernel
from pyverify import kernel as pk
from pyverify.tolerance import matmul_rtol

DTYPES = {"float64": (torch.float64, np.float64, 20), "float32": (torch.float32, np.float32, 2)}


def _np(M: sympy.Matrix) -> np.ndarray:
    return np.array(M.tolist(), dtype=np.float64)


def _cube_abs(X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
    A = np.abs(X)
    B = A if Y is None else np.abs(Y)
    C = A.T @ A
    return (A @ C) @ (B @ C).T


def _assert_componentwise(got: torch.Tensor, exact: np.ndarray, scale: np.ndarray,
                          tol: float) -> None:
    err = np.abs(got.detach().cpu().double().numpy() - exact)
    bad = err > tol * scale
    assert not bad.any(), f"max err/scale {np.max(err / np.maximum(scale, 1e-300)):.3g} > {tol:.3g}"


def test_cuda_device_available():
    """Visible report of the CUDA parametrisation (the device fixture omits 'cuda')."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the 'cuda' device parameter was not generated; "
                    "tests ran on CPU only")
    assert torch.zeros(1, device="cuda").device.type == "cuda"


@pytest.mark.parametrize("prec", list(DTYPES))
@given(data=st.data())
def test_linattn_kernel_matches_exact_gram_cube(prec, device, data):
    tdt, ndt, logscale = DTYPES[prec]
    case = data.draw(cases(max_abs_log10=logscale))
    X = case.X.astype(ndt).astype(np.float64)  # the values the float code sees
    n, d = X.shape
    K = kernel.linattn_kernel(torch.from_numpy(X), dtype=tdt, device=device)
    assert K.dtype == tdt and K.device.type == device and K.shape == (n, n)
    tol = matmul_rtol(prec, max(n, d), products=3)
    _assert_componentwise(K, _np(pk.kernel_gram_cube(X)), _cube_abs(X), tol)


@pytest.mark.parametrize("prec", list(DTYPES))
@given(data=st.data())
def test_gram_and_attention_map_match_exact(prec, device, data):
    tdt, ndt, logscale = DTYPES[prec]
    X = data.draw(cases(max_abs_log10=logscale)).X.astype(ndt).astype(np.float64)
    n, d = X.shape
    A = np.abs(X)
    G = kernel.gram(X, dtype=tdt, device=device)
    C = kernel.attention_map(X, dtype=tdt, device=device)
    _assert_componentwise(G, _np(pk.gram(X)), A @ A.T, matmul_rtol(prec, d))
    _assert_componentwise(C, _np(pk.attention_map(X)), A.T @ A, matmul_rtol(prec, n))
    Phi = kernel.linattn_features(X, dtype=tdt, device=device)
    _assert_componentwise(Phi, _np(sympy.Matrix(pk.gram(X)) * sympy.Matrix(
        [[sympy.Rational(v) for v in row] for row in X.tolist()])), A @ (A.T @ A),
        matmul_rtol(prec, max(n, d), products=2))


@given(case=cases(kinds=("integer",), max_dim=5))
def test_forms_agree_exactly_on_small_integers(case):
    """Integer X with |x| <= 3: every float64 intermediate is an exact integer < 2^53, so
    linattn_kernel(X) == gram(X C) == double sum == exact G^3 bit for bit."""
    X = case.X
    K = kernel.linattn_kernel(X)
    C = kernel.attention_map(X)
    exact = torch.from_numpy(_np(pk.kernel_gram_cube(X)))
    assert torch.equal(K, exact)
    assert torch.equal(kernel.gram(torch.from_numpy(X) @ C), exact)
    assert torch.equal(kernel.kernel_double_sum(X), exact)


@given(case=cases(max_dim=4), m=st.integers(1, 4), seed=seeds)
def test_cross_kernel_and_double_sum_match_exact(case, m, seed):
    """K(X, Y) with keys = X, against pyverify's literal double sum (Fractions)."""
    X = case.X
    n, d = X.shape
    Y = np.random.default_rng(seed).standard_normal((m, d))
    exact = _np(pk.kernel_double_sum(X, Y))
    scale = _cube_abs(X, Y)
    tol = matmul_rtol("float64", max(n, d), products=3)
    _assert_componentwise(kernel.linattn_kernel(X, Y), exact, scale, tol)
    _assert_componentwise(kernel.linattn_kernel(X, Y, keys=X), exact, scale, tol)
    _assert_componentwise(kernel.kernel_double_sum(X, Y), exact, scale, tol)
    # a test set is a different "X": keys must be the training set
    _assert_componentwise(kernel.linattn_kernel(Y, X, keys=X), exact.T, scale.T, tol)


def _frob_tol(X: np.ndarray, prec: str, products: int) -> float:
    n, d = X.shape
    return matmul_rtol(prec, max(n, d), products=products) * np.linalg.norm(X) ** 6


@given(case=cases(max_abs_log10=20), seed=seeds)
def test_rotation_invariance(case, seed, device):
    """X -> X Q (Q orthogonal) leaves G and K unchanged (normwise, ||.||_F <= gamma ||X||_F^6)."""
    X = case.X
    Q = orthogonal(np.random.default_rng(seed), X.shape[1])
    K1 = kernel.linattn_kernel(X, device=device)
    K2 = kernel.linattn_kernel(X @ Q, device=device)
    assert float(torch.linalg.norm(K1 - K2)) <= _frob_tol(X, "float64", 4)
    G1, G2 = kernel.gram(X, device=device), kernel.gram(X @ Q, device=device)
    assert float(torch.linalg.norm(G1 - G2)) <= matmul_rtol(
        "float64", max(X.shape), products=2) * np.linalg.norm(X) ** 2


@given(case=cases(max_abs_log10=10), k=st.integers(-8, 8), seed=seeds)
def test_scaling_by_c_scales_kernel_by_c6(case, k, seed, device):
    """c = 2^k scales every float exactly, so K(cX) == c^6 K(X) bit for bit; for c = 3
    (inexact) the normwise tolerance applies."""
    X = torch.from_numpy(case.X)
    c = 2.0**k
    K = kernel.linattn_kernel(X, device=device)
    assert torch.equal(kernel.linattn_kernel(c * X, device=device), c**6 * K)
    K3 = kernel.linattn_kernel(3.0 * X, device=device)
    assert float(torch.linalg.norm(K3 - 729.0 * K)) <= 729.0 * _frob_tol(case.X, "float64", 4)


@given(case=cases(), seed=seeds)
def test_row_permutation_permutes_kernel(case, seed, device):
    X = case.X
    p = np.random.default_rng(seed).permutation(X.shape[0])
    K = kernel.linattn_kernel(X, device=device)
    Kp = kernel.linattn_kernel(X[p], device=device)
    diff = Kp - K[p][:, p]
    assert float(torch.linalg.norm(diff)) <= _frob_tol(X, "float64", 3)
    if case.kind == "integer":
        assert torch.equal(Kp, K[p][:, p])


def test_kernel_symmetry_gate_runs_by_default(monkeypatch):
    seen = []
    monkeypatch.setattr(checks, "check_kernel",
                        lambda K, **kw: seen.append(kw.get("gates")))
    kernel.linattn_kernel(np.eye(3))
    kernel.linattn_kernel(np.eye(3), check=False)
    kernel.linattn_kernel(np.eye(3), check=("symmetry", "psd"))
    assert seen == [("symmetry",), ("symmetry", "psd")]


def test_double_sum_refuses_large_n():
    from pyverify.errors import InputError
    with pytest.raises(InputError):
        kernel.kernel_double_sum(np.ones((kernel.DOUBLE_SUM_MAX_N + 1, 2)))
