"""Tests of linattn.qkv_ntk (claim qkv-ntk): the closed-form finite-width NTK against
torch.func (with a planted error caught), the derived infinite-width limit against
Monte-Carlo averages (planted errors caught), its identity with the parameter-free NTKs,
the feature map, input validation, and -- where neural-tangents imports -- the limit against
``GlobalSelfAttention(linear_scaling=True)`` (IDENTITY and SOFTMAX)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linattn.ntk import empirical_ntk, mlp_attn_ntk, relu_ntk
from linattn.qkv_ntk import (
    QKVAttentionMLP,
    qkv_limit_features,
    qkv_limit_phi,
    qkv_ntk_closed_form,
    qkv_ntk_limit,
)
from linattn.softmax_attention import softmax_attn_ntk
from pyverify.errors import ConfigError, InputError
from pyverify.tolerance import arccos_rtol, matmul_rtol

F64 = torch.float64
ATT = ("linear", "softmax")


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("att", ATT)
@pytest.mark.parametrize(("h", "m", "seed"), [(1, 1, 0), (3, 5, 1), (8, 16, 2)])
def test_closed_form_equals_torch_func(att: str, h: int, m: int, seed: int) -> None:
    """Θ_U + Θ_V + Θ_W (closed form) = Σ_params J Jᵀ by torch.func, for X×X and X×Y; without
    the query/key part Θ_W (a planted error) it does not."""
    X, Y = _data(6, 4, seed), _data(3, 4, seed + 7)
    net = QKVAttentionMLP(X, h, m, attention=att, tau=1.3, init_scale=0.7, seed=seed)
    tol = matmul_rtol("float64", max(6, 4, h, m), products=6)
    Ha, Hc = empirical_ntk(net, X), qkv_ntk_closed_form(net, X, parts=True)
    assert float(Ha.norm()) > 0  # some neuron is active (a non-degenerate case)
    assert _rel(Hc["total"], Ha) <= tol
    assert _rel(qkv_ntk_closed_form(net, X, Y), empirical_ntk(net, X, Y)) <= tol
    assert _rel(Hc["total"] - Hc["W"], Ha) > 1e3 * tol


def _mc(X: torch.Tensor, att: str, h: int, draws: int, kappa: float
        ) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Means of the parts over independent draws at h = m and the Frobenius standard error
    of each mean."""
    samples = [qkv_ntk_closed_form(QKVAttentionMLP(X, h, attention=att, init_scale=kappa,
                                                   seed=1000 + r), X, parts=True)
               for r in range(draws)]
    out, se = {}, {}
    for k in ("U", "V", "W", "total"):
        S = torch.stack([s[k] for s in samples])
        out[k] = S.mean(0)
        se[k] = math.sqrt(float(((S - out[k]) ** 2).sum()) / (draws * (draws - 1)))
    return out, se


@pytest.mark.parametrize("att", ATT)
def test_limit_against_monte_carlo(att: str) -> None:
    """At h = m = 2048 the Monte-Carlo mean of each part is within 5 standard errors of the
    derived limit (σ² R, κ² R, 0; the O(1/h) bias is far below one standard error here).
    Planted errors are rejected at the same 5 standard errors: the value part dropped
    (σ² R only), NTK-parameterisation weights 2κ² R instead of (σ² + κ²) R, and -- keeping
    the norm, changing only the shape -- the ReLU NTK of X itself (G instead of G³ in ψ)."""
    X = _data(5, 3, 11)
    kappa = 1.0
    mc, se = _mc(X, att, 2048, 12, kappa)
    lim = qkv_ntk_limit(X, attention=att, init_scale=kappa, parts=True)
    for k in ("U", "V", "total"):
        assert float((mc[k] - lim[k]).norm()) <= 5 * se[k], k
    # Θ_W: mean O(1/h) (below its standard error here)
    assert float(mc["W"].norm()) <= 5 * se["W"] + float(lim["total"].norm()) / 2048
    R = lim["total"] / (1 / 3 + kappa**2)
    plain = relu_ntk(X)
    for wrong in (lim["U"], 2 * kappa**2 * R,
                  plain * float(lim["total"].norm() / plain.norm())):
        assert float((mc["total"] - wrong).norm()) > 5 * se["total"]


def test_query_key_part_vanishes_like_one_over_h() -> None:
    """‖Θ_W‖ ~ 1/h: 16× the width cuts it by more than 4× (1/√h would give 4×)."""
    X = _data(5, 3, 12)
    small = [float(qkv_ntk_closed_form(QKVAttentionMLP(X, 32, seed=r), X,
                                       parts=True)["W"].norm()) for r in range(6)]
    big = [float(qkv_ntk_closed_form(QKVAttentionMLP(X, 512, seed=r), X,
                                     parts=True)["W"].norm()) for r in range(6)]
    assert sum(big) < sum(small) / 4


def test_limit_is_the_parameter_free_ntk_up_to_a_constant() -> None:
    """Linear: (σ² + κ²)/τ² · MLP-Attn's NTK; softmax: (σ² + κ²) · the softmax MLP's."""
    X, Y = _data(6, 4, 13), _data(2, 4, 14)
    s2, k2, tau = 0.25, 0.49, 1.7
    tol = arccos_rtol("float64", 6)
    lin = qkv_ntk_limit(X, Y, keys=X, tau=tau, std=0.5, init_scale=0.7)
    assert _rel(lin, (s2 + k2) / tau**2 * mlp_attn_ntk(X, Y, keys=X)) <= tol
    soft = qkv_ntk_limit(X, attention="softmax", tau=tau, std=0.5, init_scale=0.7)
    assert _rel(soft, (s2 + k2) * softmax_attn_ntk(X, tau=tau)) <= tol


def test_reduced_coordinates_keep_the_limit() -> None:
    """Rows in a 2-D subspace of R^6: the limit in coordinates X V with the original σ, τ."""
    X = _data(5, 2, 15) @ _data(2, 6, 16)
    Q, _ = torch.linalg.qr(X.T)
    Xr = X @ Q[:, :2]
    full = qkv_ntk_limit(X, attention="softmax")
    red = qkv_ntk_limit(Xr, attention="softmax", std=6 ** -0.5, tau=math.sqrt(6))
    assert _rel(red, full) <= arccos_rtol("float64", 6)


def test_network_forward_and_phi() -> None:
    X = _data(5, 3, 17)
    net = QKVAttentionMLP(X, 4, 6, attention="softmax", seed=3)
    assert net(X).shape == (5,)
    assert torch.equal(net(X), net.mlp(net.features(X)))
    for att in ATT:
        phi = qkv_limit_phi(att, init_scale=0.5)
        F = phi(X, X)
        assert torch.equal(F, qkv_limit_features(X, keys=X, attention=att, init_scale=0.5))
        assert _rel(relu_ntk(F), qkv_ntk_limit(X, attention=att, init_scale=0.5)) <= \
            arccos_rtol("float64", 3)
        Xg = X.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(lambda k, f=phi: f(k, X), (Xg,))


def test_bad_inputs() -> None:
    X = _data(4, 3, 0)
    with pytest.raises(InputError):
        QKVAttentionMLP(X, 2, attention="relu")
    with pytest.raises(ConfigError):
        QKVAttentionMLP(X, 0)
    with pytest.raises(InputError):
        QKVAttentionMLP(X, 2, init_scale=0)
    with pytest.raises(InputError):
        qkv_ntk_closed_form(torch.nn.Linear(3, 1), X)
    with pytest.raises(InputError):
        qkv_ntk_closed_form(QKVAttentionMLP(X, 2), _data(4, 5, 1))
    with pytest.raises(InputError):
        qkv_ntk_limit(X, keys=_data(4, 2, 1))
    with pytest.raises(InputError):
        qkv_ntk_limit(X, std=-1)
    with pytest.raises(InputError):
        qkv_limit_phi("relu")


# ----------------------------------------------------------------- neural-tangents (optional)

def _neural_tangents():
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        from neural_tangents import stax
    except Exception as exc:  # not installed, or this jax does not import it
        return None, f"{type(exc).__name__}: {exc}"
    return stax, ""


@pytest.mark.parametrize(("att", "mech"), [("linear", "IDENTITY"), ("softmax", "SOFTMAX")])
def test_limit_matches_neural_tangents(att: str, mech: str) -> None:
    """Self-attention over one sequence of N tokens = our network on the training set with
    keys = the training set.  neural-tangents' GlobalSelfAttention(linear_scaling=True) ties
    query and key and scales by 1/n_chan_key, as here; its NTK parameterisation weighs the
    parts κ² (output weights = our U), σ² (values), σ² (query/key), so its NTK after the ReLU
    is κ² Θ_U + σ² Θ_V (+ σ² · 0), and its NNGP of the attention output κ² σ² ψψᵀ
    (QK_std = d/τ, W_out_std = κ).  Runs only where neural-tangents imports."""
    stax, why = _neural_tangents()
    if stax is None:
        pytest.skip(f"neural-tangents cross-check did not run: {why} (optional extra "
                    "bench-nt)")
    import warnings

    g = np.random.default_rng(5)
    N, d, kappa, tau = 7, 5, 1.3, 2.0
    Z = g.standard_normal((N, d))
    s2 = 1.0 / d
    layer = stax.GlobalSelfAttention(
        n_chan_out=8, n_chan_key=8, n_chan_val=8, n_heads=1, linear_scaling=True,
        W_key_std=d / tau, W_query_std=1.0, W_value_std=1.0, W_out_std=kappa,
        attention_mechanism=mech)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nngp = np.asarray(layer[2](Z[None], None, "nngp"))[0, 0]
        ntk = np.asarray(stax.serial(layer, stax.Relu())[2](Z[None], None, "ntk"))[0, 0]
    parts = qkv_ntk_limit(torch.as_tensor(Z), attention=att, tau=tau, init_scale=kappa,
                          parts=True)
    ours = (kappa**2 * parts["U"] + s2 * parts["V"]).numpy()
    psi = qkv_limit_features(torch.as_tensor(Z), attention=att, tau=tau, std=1.0,
                             init_scale=1e-300).numpy()  # √(1 + 1e-600) = 1: ψ itself
    tol = arccos_rtol("float64", N)
    assert np.abs(ntk - ours).max() / np.abs(ours).max() <= tol
    assert np.abs(nngp - kappa**2 * s2 * psi @ psi.T).max() / np.abs(nngp).max() <= tol
