"""linattn.dynamics: gradient-descent training, the loss landscape and the empirical-NTK
influence and attack along training (claim ``learning-dynamics``)."""

from __future__ import annotations

import math

import pytest
import torch

from linattn import dynamics, ntk
from linattn.influence import influence_matrix
from pyverify.errors import ConfigError, InputError
from pyverify.tolerance import matmul_rtol, solve_rtol


def _data(n: int = 8, k: int = 3, d: int = 4):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, d, generator=g, dtype=torch.float64) + 0.1
    T = torch.rand(k, d, generator=g, dtype=torch.float64) + 0.1
    y = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).to(torch.float64)
    return X, T, y


def test_finite_width_ntk_is_the_closed_form_and_the_autograd_ntk():
    X, T, _ = _data()
    model = ntk.TwoLayerReLU(4, 32, seed=1)
    F = ntk.finite_width_ntk(X, T, model.W.detach())
    E = ntk.empirical_ntk(model, X, T)
    # J_X J_T^T over 32 * 4 parameters against the pattern-count formula: two routes
    tol = matmul_rtol("float64", 32 * 4, products=2) * torch.outer(
        X.norm(dim=1), T.norm(dim=1))
    assert torch.all((F - E).abs() <= tol)
    assert torch.equal(ntk.relu_ntk_closed_form(model, X, T), F)  # the same function
    with pytest.raises(InputError, match="W"):
        ntk.finite_width_ntk(X, T, model.W.detach()[:, :3])


def test_train_gd_lowers_the_loss_and_calls_the_checkpoints():
    X, _, y = _data()
    model = ntk.TwoLayerReLU(4, 64, seed=0)
    seen = []
    out = dynamics.train_gd(model, X, y, steps=30, checkpoints=(0, 10, 30),
                            on_checkpoint=seen.append)
    assert seen == [0, 10, 30] and len(out.losses) == 31
    assert out.losses[-1] < out.losses[0] and out.lr > 0
    assert math.isclose(out.losses[-1], float(dynamics.mse_loss(model, X, y).detach()),
                        rel_tol=matmul_rtol("float64", 64))
    with pytest.raises(InputError, match="steps"):
        dynamics.train_gd(model, X, y, steps=0)
    with pytest.raises(ConfigError, match="lr_scale"):
        dynamics.train_gd(model, X, y, steps=1, lr_scale=-1.0)


def test_landscape_is_centred_on_the_trained_weights_and_restores_them():
    X, _, y = _data()
    model = ntk.TwoLayerReLU(4, 16, seed=0)
    dynamics.train_gd(model, X, y, steps=5)
    W = model.W.detach().clone()
    land = dynamics.loss_landscape(model, X, y, grid=5, radius=1.0, seed=0, d_extra=3)
    assert torch.equal(model.W.detach(), W)
    c = len(land.coords) // 2
    assert land.coords[c] == 0.0 and land.center == land.loss[c][c]
    assert land.min <= land.center <= land.max
    assert land.center == float(dynamics.mse_loss(model, X, y).detach())  # same ops, same weights
    with pytest.raises(ConfigError, match="grid"):
        dynamics.loss_landscape(model, X, y, grid=2, radius=1.0, seed=0)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_empirical_influence_is_kernel_ridge_influence_of_the_empirical_ntk(arch):
    X, T, _ = _data()
    s = dynamics.attn_scale(X, "spectral") if arch == "mlp_attn" else 1.0
    Xa, Ta = dynamics.arch_inputs(arch, X, T, s)
    model = ntk.TwoLayerReLU(Xa.shape[1], 32, seed=0)
    W = model.W.detach()
    got = dynamics.empirical_influence_fn(arch, W, T, s, 0.05)(X)
    K = ntk.finite_width_ntk(Xa, None, W)
    want = influence_matrix(0.5 * (K + K.T), ntk.finite_width_ntk(Ta, Xa, W), 0.05)
    cond = float(torch.linalg.cond(K + 0.05 * torch.eye(8, dtype=K.dtype)))
    assert float((got - want).norm() / want.norm()) <= solve_rtol("float64", 8, cond)


def test_attack_stays_feasible_and_beats_zero():
    X, T, _ = _data()
    model = ntk.TwoLayerReLU(4, 32, seed=0)
    F, I0, cond = dynamics.malleability_objective("relu", model.W, X, T, 1.0, 1e-2)
    assert I0.shape == (3, 8) and cond >= 1
    val, delta = dynamics.attack(F, X, 0.05, 4, 0)
    radii = 0.05 * torch.linalg.vector_norm(X, dim=1)
    # the projection scales each row to at most its radius: within one rounding of it
    assert bool((torch.linalg.vector_norm(delta, dim=1)
                 <= radii * (1 + matmul_rtol("float64", 4))).all())
    assert val > 0 and val == float(F(delta))  # the value was F at that δ
    with pytest.raises(InputError, match="arch"):
        dynamics.malleability_objective("cnn", model.W, X, T, 1.0, 1e-2)
    with pytest.raises(InputError, match="eps"):
        dynamics.attack(F, X, -0.1, 4, 0)
