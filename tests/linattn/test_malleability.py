"""linattn.malleability: definition-level properties on tiny cases, every threat model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linattn import influence, malleability, ntk
from linattn.checks import PAPER_MAX_COND
from linattn.reduce import span_coordinates
from linattn.threats import Threat
from pyverify.errors import InputError, KernelHealthError

FAST = {"steps": 8, "restarts": 2, "power_iters": 8}


def _data(seed: int = 0, n: int = 5, d: int = 3, n_test: int = 2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n_test, d))


def _pixels(seed: int = 0, n: int = 8, d: int = 6, n_test: int = 3):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, d)), rng.uniform(0, 1, (n_test, d))


def _influence(arch, X, T, lam):
    """Independent I(X) from the public kernels (C rebuilt from X for mlp_attn)."""
    if arch == "relu":
        K, Kt = ntk.relu_ntk(X), ntk.relu_ntk(T, X)
    else:
        K, Kt = ntk.mlp_attn_ntk(X, keys=X), ntk.mlp_attn_ntk(T, X, keys=X)
    return influence.influence_matrix(K, Kt, lam, check=False)


def _F(arch, X, T, lam, D):
    I0 = _influence(arch, X, T, lam)
    return float(torch.linalg.norm(_influence(arch, X + D, T, lam) - I0) / torch.linalg.norm(I0))


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
    assert math.isclose(r.ridge_abs, lam, rel_tol=1e-12) and r.ridge_mode == "relative"
    I0 = _influence(arch, X, T, lam)
    assert math.isclose(r.base_norm, float(torch.linalg.norm(I0)), rel_tol=1e-10)
    rng = np.random.default_rng(5)
    best_random = 0.0
    for _ in range(5):  # random feasible perturbations on the ball boundaries
        D = rng.standard_normal(X.shape)
        D *= eps * np.linalg.norm(X, axis=1, keepdims=True) / np.linalg.norm(D, axis=1,
                                                                            keepdims=True)
        best_random = max(best_random, _F(arch, X, T, lam, D))
    assert r.value >= best_random
    assert r.value == max(r.per_restart) and len(r.per_restart) == FAST["restarts"]
    absolute = malleability.estimate_malleability(X, T, arch=arch, eps=eps, ridge=lam,
                                                  ridge_mode="absolute", **FAST)
    assert math.isclose(absolute.ridge_abs, lam, rel_tol=1e-12)
    assert math.isclose(absolute.value, r.value, rel_tol=1e-9)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
@pytest.mark.parametrize("threat", ["linf", "poison"])
def test_pga_beats_random_feasible_box_perturbations(arch, threat):
    """PGA >= the best of 20 random feasible points (vertices of the box ∩ pixel box; for
    poison on 2 random rows)."""
    X, T = _pixels(2)
    eps, k, lam = 0.05, 2, 0.1
    r = malleability.estimate_malleability(X, T, arch=arch, eps=eps, ridge=lam, threat=threat,
                                           poison_k=k, ridge_mode="absolute", steps=15,
                                           restarts=1, init_samples=4, first_order=False)
    assert r.threat == threat and r.first_order is None
    rng = np.random.default_rng(6)
    lo, hi = np.maximum(-eps, -X), np.minimum(eps, 1 - X)
    best = 0.0
    for _ in range(20):
        D = np.where(rng.uniform(size=X.shape) < 0.5, lo, hi)
        if threat == "poison":
            D[np.setdiff1d(np.arange(X.shape[0]), rng.choice(X.shape[0], k, replace=False))] = 0
        best = max(best, _F(arch, X, T, lam, D))
    assert r.value >= best > 0


def test_poison_rows_linf_budget_and_all_rows():
    X, T = _pixels(3, n=12)
    sw = malleability.malleability_sweep(
        X, T, ridge=0.1, ridge_mode="absolute", steps=4, init_samples=2, topk=5,
        threats=[Threat("poison", 0.03, 1), Threat("poison", 0.03, 4), Threat("poison", 0.03, 12),
                 Threat("linf", 0.03)])
    p1, p4, pall, linf = sw.attacks
    assert len(p1.rows) == 1 and len(p4.rows) == 4 and pall.rows is None and linf.rows is None
    assert p1.value > 0 and p4.value > 0
    assert 0 <= p4.topk_jaccard <= 1 and -1 <= p4.spearman <= 1


@pytest.mark.parametrize("d", [6, 12])
def test_phi_reproduces_mlp_attn(d):
    """A user feature map phi(keys, Z) = Z keysᵀ keys gives the mlp_attn numbers (n = 8:
    at d = 12 mlp_attn takes the inner-product route, phi the feature route)."""
    X, T = _pixels(4, d=d)

    def phi(keys, Z):
        return (Z @ keys.T) @ keys

    kw = {"ridge": 1e-2, "threats": [Threat("linf", 0.03), Threat("l2-row", 0.05, box=None)],
          "steps": 4, "init_samples": 2, "topk": 4, "first_order": True, "power_iters": 5,
          "targeted": [Threat("linf", 0.03)], "n_targets": 1}
    a = malleability.malleability_sweep(X, T, arch="mlp_attn", **kw)
    b = malleability.malleability_sweep(X, T, arch=phi, **kw)
    assert b.arch == "phi" and math.isclose(a.ridge_abs, b.ridge_abs, rel_tol=1e-12)
    assert math.isclose(a.cond, b.cond, rel_tol=1e-6)
    for x, y in zip(a.attacks, b.attacks, strict=True):
        assert math.isclose(x.value, y.value, rel_tol=1e-6)
        assert math.isclose(x.first_order or 0, y.first_order or 0, rel_tol=1e-6)
    assert [t.success for t in a.targeted] == [t.success for t in b.targeted]


def test_mlp_attn_rebuilds_C_from_perturbed_inputs():
    X, T = _data(3)
    lam = 0.3
    delta = torch.from_numpy(np.random.default_rng(0).standard_normal(X.shape) * 0.05)
    Xt, Tt = torch.from_numpy(X), torch.from_numpy(T)
    _, phi = malleability.feature_map("mlp_attn")
    inner = malleability.plain_influence(phi, Tt, lam)(Xt + delta)
    want = _influence("mlp_attn", Xt + delta, Tt, lam)
    assert torch.allclose(inner, want, rtol=1e-10, atol=1e-14)
    frozen_C = influence.influence_matrix(ntk.mlp_attn_ntk(Xt + delta, keys=Xt),
                                          ntk.mlp_attn_ntk(Tt, Xt + delta, keys=Xt), lam)
    assert not torch.allclose(inner, frozen_C, rtol=1e-6)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_first_order_brackets_pga_at_small_eps_and_is_rotation_invariant(arch):
    """To first order eps||JD||/||I|| <= M <= sqrt(n) eps||JD||/||I||; the span coordinates
    of linattn.reduce give the same first-order estimate (the l2-row ball is invariant)."""
    X, T = _data(2)
    r = malleability.estimate_malleability(X, T, arch=arch, eps=1e-4, ridge=0.1, steps=15,
                                           restarts=2, power_iters=30)
    assert 0.9 * r.first_order <= r.value <= 1.1 * r.first_order_upper
    assert math.isclose(r.first_order_upper, math.sqrt(5) * r.first_order)
    (Xr, Tr), _ = span_coordinates(torch.from_numpy(X), torch.from_numpy(T), pad=5)
    rr = malleability.estimate_malleability(Xr, Tr, arch=arch, eps=1e-4, ridge=0.1, steps=2,
                                            restarts=1, power_iters=30)
    assert math.isclose(rr.first_order, r.first_order, rel_tol=1e-6)


def test_planted_ill_conditioned_absolute_ridge_fails_the_gate():
    """A near-black image (pixels ~1e-6) has a tiny kernel diagonal: with a tiny shared
    absolute ridge κ(K + λI) ≈ λ_max/(K_00 + λ) exceeds 1e12 for the attention kernel
    (λ_max ~ 1e5) but not for ReLU's (λ_max ~ 50); the measured κ is in the error."""
    X, T = _pixels(5, n=20, d=16)
    X[0] *= 1e-6
    with pytest.raises(KernelHealthError) as exc:
        malleability.malleability_sweep(X, T, arch="mlp_attn", ridge=1e-8, topk=None,
                                        ridge_mode="absolute", threats=[Threat("linf", 0.01)])
    assert exc.value.check == "conditioning" and exc.value.value > PAPER_MAX_COND
    ok = malleability.malleability_sweep(X, T, arch="relu", ridge=1e-8, ridge_mode="absolute",
                                         topk=None)
    assert ok.cond < PAPER_MAX_COND


def test_targeted_attack_succeeds_on_a_planted_easy_case():
    """n = k + 1: the push-in target is the one point outside the top k; with a large ℓ2
    budget the attacker moves it in, and pushes the chosen top-k point out."""
    X, T = _pixels(7, n=5, n_test=2)
    sw = malleability.malleability_sweep(X, T, ridge=1e-2, topk=4, steps=20, init_samples=4,
                                         targeted=[Threat("l2-row", 0.6, box=None)],
                                         n_targets=2)
    assert len(sw.targeted) == 4
    for t in sw.targeted:
        assert (t.rank_before >= 4) == (t.direction == "in")
        assert t.success and ((t.rank_after < 4) == (t.direction == "in"))


def test_validation():
    X, T = _data()
    for kw, arg in (({"eps": -0.1}, "eps"), ({"eps": float("nan")}, "eps"),
                    ({"arch": "cnn"}, "arch"), ({"steps": 0}, "steps"),
                    ({"ridge": 0.0}, "ridge"), ({"restarts": 0}, "restarts"),
                    ({"ridge_mode": "both"}, "ridge_mode"), ({"threat": "l1"}, "name")):
        args = {"eps": 0.1, "ridge": 0.1, **kw}
        with pytest.raises(InputError) as exc:
            malleability.estimate_malleability(X, T, **args)
        assert exc.value.argument == arg
    with pytest.raises(InputError):  # phi must return (rows, p) features
        malleability.malleability_sweep(X, T, arch=lambda k, Z: Z[:1], ridge=0.1, topk=None)
    with pytest.raises(InputError):  # the box needs pixels in [0, 1]
        malleability.estimate_malleability(X, T, eps=0.1, ridge=0.1, threat="linf")
