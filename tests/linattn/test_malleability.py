"""linattn.malleability: definition-level properties on tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linattn import influence, malleability, ntk
from pyverify.errors import InputError

FAST = {"steps": 8, "restarts": 2, "power_iters": 8}


def _data(seed: int = 0, n: int = 5, d: int = 3, n_test: int = 2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n_test, d))


def _influence(arch, X, T, lam):
    """Independent I(X) from the public kernels (C rebuilt from X for mlp_attn)."""
    if arch == "relu":
        K, Kt = ntk.relu_ntk(X), ntk.relu_ntk(T, X)
    else:
        K, Kt = ntk.mlp_attn_ntk(X, keys=X), ntk.mlp_attn_ntk(T, X, keys=X)
    return influence.influence_matrix(K, Kt, lam, check=False)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_zero_at_eps_zero_nonnegative_and_monotone(arch, device):
    X, T = _data()
    r0 = malleability.estimate_malleability(X, T, arch=arch, eps=0.0, ridge=0.1,
                                            device=device, **FAST)
    assert r0.value == 0.0 and r0.first_order == 0.0 and r0.per_restart == (0.0, 0.0)
    vals = [malleability.estimate_malleability(X, T, arch=arch, eps=e, ridge=0.1,
                                               device=device, **FAST).value
            for e in (0.01, 0.05, 0.2)]
    assert all(v > 0 for v in vals)
    assert vals[0] < vals[1] < vals[2]


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_definition_ridge_and_random_perturbation_bound(arch):
    X, T = _data(1)
    eps, ridge = 0.1, 0.05
    r = malleability.estimate_malleability(X, T, arch=arch, eps=eps, ridge=ridge, **FAST)
    K0 = (ntk.relu_ntk(X) if arch == "relu" else ntk.mlp_attn_ntk(X)).numpy()
    lam = ridge * np.trace(K0) / X.shape[0]
    assert math.isclose(r.ridge_abs, lam, rel_tol=1e-12) and r.relative_ridge
    I0 = _influence(arch, X, T, lam)
    assert math.isclose(r.base_norm, float(torch.linalg.norm(I0)), rel_tol=1e-10)
    rng = np.random.default_rng(5)
    best_random = 0.0
    for _ in range(5):  # random feasible perturbations on the ball boundaries
        D = rng.standard_normal(X.shape)
        D *= eps * np.linalg.norm(X, axis=1, keepdims=True) / np.linalg.norm(D, axis=1,
                                                                            keepdims=True)
        F = float(torch.linalg.norm(_influence(arch, X + D, T, lam) - I0)) / r.base_norm
        best_random = max(best_random, F)
    assert r.value >= best_random
    assert r.value == max(r.per_restart) and len(r.per_restart) == FAST["restarts"]
    absolute = malleability.estimate_malleability(X, T, arch=arch, eps=eps, ridge=lam,
                                         relative_ridge=False, **FAST)
    assert math.isclose(absolute.ridge_abs, lam, rel_tol=1e-12)
    assert math.isclose(absolute.value, r.value, rel_tol=1e-9)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_first_order_brackets_pga_at_small_eps(arch):
    """To first order eps||JD||/||I|| <= M(eps) <= sqrt(n) eps||JD||/||I||."""
    X, T = _data(2)
    r = malleability.estimate_malleability(X, T, arch=arch, eps=1e-4, ridge=0.1, steps=15,
                                  restarts=2, power_iters=15)
    assert 0.9 * r.first_order <= r.value <= 1.1 * r.first_order_upper
    assert math.isclose(r.first_order_upper, math.sqrt(5) * r.first_order)


def test_mlp_attn_rebuilds_C_from_perturbed_inputs():
    X, T = _data(3)
    lam = 0.3
    delta = torch.from_numpy(np.random.default_rng(0).standard_normal(X.shape) * 0.05)
    Xt, Tt = torch.from_numpy(X), torch.from_numpy(T)
    inner = malleability._influence_fn("mlp_attn", Tt, lam)(Xt + delta)
    want = _influence("mlp_attn", Xt + delta, Tt, lam)
    assert torch.allclose(inner, want, rtol=1e-10, atol=1e-14)
    frozen_C = influence.influence_matrix(ntk.mlp_attn_ntk(Xt + delta, keys=Xt),
                                          ntk.mlp_attn_ntk(Tt, Xt + delta, keys=Xt), lam)
    assert not torch.allclose(inner, frozen_C, rtol=1e-6)


def test_validation():
    X, T = _data()
    for kw, arg in (({"eps": -0.1}, "eps"), ({"eps": float("nan")}, "eps"),
                    ({"arch": "cnn"}, "arch"), ({"steps": 0}, "steps"),
                    ({"ridge": 0.0}, "ridge"), ({"restarts": 0}, "restarts")):
        args = {"eps": 0.1, "ridge": 0.1, **kw}
        with pytest.raises(InputError) as exc:
            malleability.estimate_malleability(X, T, **args)
        assert exc.value.argument == arg
