"""Tests of linattn.multihead (claim multihead-layernorm): one head is the parameter-free case,
the projector formula of the kernel, Haar projections (orthonormality, MC mean), the exact
reduced route, LayerNorm, autograd and the feature map, input validation."""

from __future__ import annotations

import math

import pytest
import torch

from linattn.kernel import linattn_kernel
from linattn.multihead import (
    head_projections,
    multihead_features,
    multihead_ntk,
    multihead_phi,
)
from linattn.ntk import mlp_attn_ntk
from linattn.reduce import span_coordinates
from pyverify.errors import InputError
from pyverify.tolerance import arccos_rtol, matmul_rtol

F64 = torch.float64


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_head_is_the_parameter_free_case(seed: int) -> None:
    """h = 1, P orthogonal: f(x) = Pᵀ C x, so K = G³ and the ReLU NTK is MLP-Attn's."""
    X = _data(7, 5, seed)
    P = head_projections(5, 1, seed=seed)
    F = multihead_features(X, P, h=1)
    tol = matmul_rtol("float64", 7, products=5)
    assert _rel(F @ F.T, linattn_kernel(X)) <= tol
    assert _rel(multihead_ntk(X, P=P, h=1), mlp_attn_ntk(X)) <= arccos_rtol("float64", 7)


@pytest.mark.parametrize("h", [2, 3, 6])
def test_kernel_is_the_mean_of_projected_kernels(h: int) -> None:
    """K = (1/h) Σ_j X Π_j C Π_j C Π_j Xᵀ with Π_j = P_j P_jᵀ."""
    X = _data(8, 6, h)
    P = head_projections(6, h, seed=h)
    F = multihead_features(X, P, h=h)
    C = X.T @ X
    dh = 6 // h
    ref = sum(X @ Pi @ C @ Pi @ C @ Pi @ X.T
              for Pi in (P[:, j * dh:(j + 1) * dh] @ P[:, j * dh:(j + 1) * dh].T
                         for j in range(h))) / h
    assert _rel(F @ F.T, ref) <= matmul_rtol("float64", 8, products=7)


def test_head_projections_are_orthonormal_and_haar() -> None:
    P = head_projections(7, 3, seed=0)  # d_h = 2, D = 6 of 7 columns
    assert P.shape == (7, 6)
    tol = matmul_rtol("float64", 7)
    assert float((P.T @ P - torch.eye(6, dtype=F64)).abs().max()) <= tol
    assert head_projections(7, 3, seed=0, rank=4).shape == (4, 6)
    B = head_projections(6, 3, seed=0, rank=4)  # h d_h = d: rows of a Haar matrix
    assert B.shape == (4, 6)
    assert float((B @ B.T - torch.eye(4, dtype=F64)).abs().max()) <= tol
    # Haar: E[P Pᵀ] = (D/d) I and E[B Bᵀ] = I_r, E[Bᵀ B] = (r/d) I_D (Monte Carlo)
    draws = 2000
    M = sum(head_projections(4, 2, seed=s) @ head_projections(4, 2, seed=s).T
            for s in range(draws)) / draws
    Mb = sum(head_projections(4, 1, seed=s, rank=2).T @ head_projections(4, 1, seed=s,
                                                                         rank=2)
             for s in range(draws)) / draws
    # entries of one draw lie in [-1, 1]: 5 standard errors are at most 5/√draws
    assert float((M - torch.eye(4, dtype=F64)).abs().max()) <= 5 / math.sqrt(draws)
    assert float((Mb - 0.5 * torch.eye(4, dtype=F64)).abs().max()) <= 5 / math.sqrt(draws)


@pytest.mark.parametrize("ln", [False, True])
def test_reduced_route_gives_the_same_features(ln: bool) -> None:
    """Rows in an r-dimensional subspace: f(X, P) = f(X V, Vᵀ P) (the same vectors), also
    after LayerNorm."""
    X = _data(5, 3, 0) @ _data(3, 9, 1)  # rank 3 in R^9
    P = head_projections(9, 3, seed=2)
    (Xr,), red = span_coordinates(X)
    assert red["d_reduced"] == 3
    V = torch.linalg.lstsq(Xr, X).solution.T  # X = Xr Vᵀ, V: (9, 3) orthonormal
    F = multihead_features(X, P, h=3, layernorm=ln)
    Fr = multihead_features(Xr, V.T @ P, h=3, layernorm=ln)
    tol = matmul_rtol("float64", 9, products=5)
    assert _rel(Fr, F) <= tol


def test_layernorm_rows() -> None:
    X = _data(6, 8, 3)
    P = head_projections(8, 4, seed=3)
    F = multihead_features(X, P, h=4, layernorm=True, eps=1e-300)
    tol = matmul_rtol("float64", 8, products=3)
    assert float(F.mean(1).abs().max()) <= tol
    assert float((F.var(1, unbiased=False) - 1).abs().max()) <= tol


def test_autograd_and_phi() -> None:
    X, Z = _data(4, 4, 4), _data(5, 4, 5)
    P = head_projections(4, 2, seed=4)
    for ln in (False, True):
        phi = multihead_phi(P, 2, layernorm=ln)
        assert torch.equal(phi(X, Z), multihead_features(Z, P, h=2, keys=X, layernorm=ln))
        Xg, Zg = X.clone().requires_grad_(True), Z.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(lambda k, z, f=phi: f(k, z), (Xg, Zg))


def test_bad_inputs() -> None:
    X = _data(4, 6, 0)
    P = head_projections(6, 3, seed=0)
    with pytest.raises(InputError):
        multihead_features(X, P, h=4)  # 6 columns, 4 heads
    with pytest.raises(InputError):
        multihead_features(X, P[:5], h=3)
    with pytest.raises(InputError):
        multihead_features(X, P, h=3, layernorm="yes")
    with pytest.raises(InputError):
        multihead_features(X, P, h=3, eps=0)
    with pytest.raises(InputError):
        head_projections(3, 4, seed=0)
    with pytest.raises(InputError):
        head_projections(3, 1, seed=0, rank=5)
    with pytest.raises(InputError):
        multihead_phi(P, 4)


def test_layer_norm_is_torchs_formula_and_does_not_overflow() -> None:
    """The same values as torch.nn.functional.layer_norm (an independent route), also for
    float32 rows whose variance overflows float32 (torch gives inf/NaN there)."""
    F = _data(5, 7, 6)
    ref = torch.nn.functional.layer_norm(F, (7,), eps=1e-5)
    from linattn.multihead import layer_norm

    assert _rel(layer_norm(F), ref) <= matmul_rtol("float64", 7, products=2)
    big = (F * 1e20).float()
    out = layer_norm(big)
    assert bool(torch.isfinite(out).all())
    assert _rel(out.double(), torch.nn.functional.layer_norm(F, (7,), eps=1e-45)) <= \
        matmul_rtol("float32", 7, products=2)
    assert torch.equal(layer_norm(torch.ones(2, 3, dtype=F64)), torch.zeros(2, 3, dtype=F64))


@pytest.mark.parametrize(("h", "ln", "n"), [(1, False, 3), (2, True, 3), (4, False, 12),
                                            (2, False, 12)])
def test_pair_is_phi_twice_and_both_associations_agree(h: int, ln: bool, n: int) -> None:
    """phi.pair(keys, T) = (phi(keys, keys), phi(keys, T)) (the same operations on the same
    projected keys, so equal up to rounding at most), and the (X P_j (Z P_j)ᵀ) Z P_j route
    (N < d_h) against the P_jᵀ C P_j route (here forced by N >= d_h on the same data):
    one matrix product apart, within the product tolerance."""
    from linattn.adjoint import feature_kernels
    from pyverify.tolerance import matmul_rtol

    g = torch.Generator().manual_seed(5)
    d = 8
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    T = torch.randn(2, d, generator=g, dtype=torch.float64)
    P = head_projections(d, h, seed=1)
    phi = multihead_phi(P, h, layernorm=ln)
    FX, FT = phi.pair(X, T)
    tol = matmul_rtol("float64", d, products=3)
    torch.testing.assert_close(FX, phi(X, X), rtol=tol, atol=tol * float(FX.abs().max()))
    torch.testing.assert_close(FT, phi(X, T), rtol=tol, atol=tol * float(FT.abs().max()))
    K, Kt = feature_kernels(phi)(X, T)
    assert K.shape == (n, n) and Kt.shape == (2, n)
    # the other association: keys padded with zero rows to N >= d_h (zero keys add nothing)
    Xpad = torch.cat([X, torch.zeros(d, d, dtype=X.dtype)])
    Fpad = multihead_features(T, P, h=h, keys=Xpad, layernorm=ln)
    torch.testing.assert_close(FT, Fpad, rtol=tol, atol=tol * float(FT.abs().max()))
