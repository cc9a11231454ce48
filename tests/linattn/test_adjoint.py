"""linattn.adjoint: values and hand-written gradients against the library's formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from linattn import adjoint, malleability, ntk
from linattn.influence import add_ridge, ridge_solve
from pyverify.errors import InputError
from pyverify.tolerance import arccos_rtol, solve_rtol


def _rand(*shape, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape))


def test_arccos_ntk_and_attention_grams_match_the_features():
    X, T = _rand(6, 9, seed=9), _rand(2, 9, seed=10)
    K, Kt = adjoint.attention_gram_kernels(X, T)
    C = X.T @ X
    tol = 10 * arccos_rtol("float64", 9)
    assert torch.allclose(K, ntk.relu_ntk(X @ C), rtol=tol, atol=tol * float(K.abs().max()))
    assert torch.allclose(Kt, ntk.relu_ntk(T @ C, X @ C), rtol=tol,
                          atol=tol * float(Kt.abs().max()))
    a = torch.linalg.vector_norm(X, dim=1).requires_grad_(True)
    G = (X @ X.T).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda g, v: adjoint.arccos_ntk(0.5 * (g + g.T), v), (G, a))
    with pytest.raises(InputError):
        adjoint.arccos_ntk(torch.ones(2, 3), torch.ones(2))


def test_relu_ntk_values_match_the_library():
    P, Q = _rand(7, 5), _rand(3, 5, seed=1)
    tol = arccos_rtol("float64", 5)
    for got, want in ((adjoint.relu_ntk_adjoint(P), ntk.relu_ntk(P)),
                      (adjoint.relu_ntk_adjoint(Q, P), ntk.relu_ntk(Q, P))):
        assert float((got - want).abs().max() / want.abs().max()) <= tol
    K = adjoint.relu_ntk_adjoint(P)
    assert torch.equal(K, K.T)  # exact by construction: (G + Gᵀ)/2 and a_i a_j commute
    assert torch.allclose(K.diagonal(), 0.5 * (P * P).sum(1), rtol=arccos_rtol("float64", 5))


@pytest.mark.parametrize("sym", [True, False])
def test_relu_ntk_gradient_gradcheck_and_autograd(sym):
    P = _rand(6, 4).requires_grad_(True)
    Q = _rand(3, 4, seed=2).requires_grad_(True)
    if sym:
        assert torch.autograd.gradcheck(lambda p: adjoint.relu_ntk_adjoint(p), (P,))
    else:
        assert torch.autograd.gradcheck(lambda p, q: adjoint.relu_ntk_adjoint(p, q), (P, Q))
    W = _rand(6, 6 if sym else 3, seed=3)
    args = (P, None) if sym else (P, Q)
    g1 = torch.autograd.grad((adjoint.relu_ntk_adjoint(*args) * W).sum(), P)[0]
    g2 = torch.autograd.grad((ntk.relu_ntk_core(*args) * W).sum(), P)[0]
    assert torch.allclose(g1, g2, rtol=1e-10, atol=1e-12)


def test_ridge_influence_adjoint():
    X = _rand(6, 3)
    K = ntk.relu_ntk(X).requires_grad_(True)
    Kt = _rand(2, 6, seed=4).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda k, kt: adjoint.ridge_influence(0.5 * (k + k.T), kt, 0.3), (K, Kt))
    want = ridge_solve(add_ridge(K.detach(), 0.3), Kt.detach().T).T
    got = adjoint.ridge_influence(K.detach(), Kt.detach(), 0.3)
    cond = float(torch.linalg.cond(add_ridge(K.detach(), 0.3)))
    assert float((got - want).norm() / want.norm()) <= solve_rtol("float64", 6, cond)


@pytest.mark.parametrize(("arch", "d"), [("relu", 5), ("mlp_attn", 5), ("mlp_attn", 12)])
def test_influence_fn_equals_the_autograd_route(arch, d):
    """The ascent's route (features for d <= n, inner products for MLP-Attn at d > n) equals
    the autograd route of the library's NTK in value and gradient."""
    X, T = _rand(8, d, seed=5), _rand(3, d, seed=6)
    _, phi = malleability.feature_map(arch)
    fast = adjoint.influence_fn(malleability.arch_kernels(arch, 8, d), T, 0.2)
    slow = malleability.plain_influence(phi, T, 0.2)
    D = (0.01 * _rand(8, d, seed=7)).requires_grad_(True)
    I0 = slow(X).detach()
    vals, grads = [], []
    for f in (fast, slow):
        v = torch.linalg.norm(f(X + D) - I0)
        vals.append(float(v.detach()))
        grads.append(torch.autograd.grad(v, D)[0])
    assert np.isclose(vals[0], vals[1], rtol=1e-9)
    assert torch.allclose(grads[0], grads[1], rtol=1e-7, atol=1e-12 * float(grads[1].abs().max()))


class _WrongSign(torch.autograd.Function):
    """A planted fault: the ridge adjoint with K̄ = +Z Vᵀ."""

    @staticmethod
    def forward(ctx, K, Kt):
        Z = ridge_solve(K.detach(), Kt.detach().T, ridge=0.3, check=False)
        ctx.save_for_backward(K.detach(), Z)
        return Z.T

    @staticmethod
    def backward(ctx, Ibar):
        K, Z = ctx.saved_tensors
        V = ridge_solve(K, Ibar.T, ridge=0.3, check=False)
        return Z @ V.T, V.T


def test_planted_fault_a_wrong_adjoint_fails_gradcheck():
    K = ntk.relu_ntk(_rand(5, 3)).requires_grad_(True)
    Kt = _rand(2, 5, seed=8).requires_grad_(True)
    assert not torch.autograd.gradcheck(lambda k, kt: _WrongSign.apply(0.5 * (k + k.T), kt),
                                        (K, Kt), raise_exception=False)


def test_validation():
    with pytest.raises(InputError) as exc:
        adjoint.relu_ntk_adjoint(torch.zeros(2, 3))
    assert exc.value.argument == "Phi"
    with pytest.raises(InputError):
        adjoint.ridge_influence(torch.eye(3), torch.ones(2, 4), 0.1)
    with pytest.raises(InputError):
        adjoint.influence_fn("kernels", torch.ones(2, 3), 0.1)
