"""Tests of linattn.finite_width: the float32 co-activation counts equal the float64 counts
exactly (exact by construction: integers below 2^24, signs certified), the fast H_m equals
the float64 reference, the autograd NTK and the closed form of the library's models within
the table's bounds, and the nested widths of kernel_regime_curve are one network."""

from __future__ import annotations

import math

import pytest
import torch

import linattn.finite_width as fw
from linattn.finite_width import (
    coactivation_counts,
    count_check,
    fast_finite_width_ntk,
    kernel_regime_curve,
)
from linattn.ntk import (
    MLPAttn,
    TwoLayerReLU,
    empirical_ntk,
    finite_width_ntk,
    relu_ntk,
    relu_ntk_closed_form,
)
from linattn.opnorm import sym_spectral_norm
from pyverify.errors import ConfigError, InputError
from pyverify.tolerance import eig_rtol, matmul_rtol


def _float64_counts(A: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    S = (A @ W.T >= 0).to(torch.float64)
    return S @ S.T  # integers far below 2^53: exact in float64 in any order


def _adversarial(n: int = 96, d: int = 300, m: int = 700, eps: float = 1e-9):
    """Every w_j is orthogonal to one row a_i(j) up to a relative eps: those pre-activations
    are ~1e-9 ‖a‖‖w‖, far below float32 rounding, yet decided in float64."""
    g = torch.Generator().manual_seed(5)
    A = torch.randn(n, d, generator=g, dtype=torch.float64)
    W = torch.randn(m, d, generator=g, dtype=torch.float64)
    i = torch.arange(m) % n
    a = A[i] / torch.linalg.vector_norm(A[i], dim=1, keepdim=True)
    W = W - (W * a).sum(1, keepdim=True) * a + eps * torch.linalg.vector_norm(
        W, dim=1, keepdim=True) * a * torch.sign(torch.randn(m, 1, generator=g))
    return A, W


@pytest.mark.parametrize("seed", [0, 1])
def test_counts_are_exactly_the_float64_counts(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(300, 40, generator=g, dtype=torch.float64) * torch.rand(300, 1,
                                                                            generator=g)
    W = torch.randn(5000, 40, generator=g, dtype=torch.float64)
    C = coactivation_counts(A, W)
    assert C.dtype == torch.float32
    # exact by construction: integer counts < 2^24 in float32, signs certified (no entry of
    # this data is undecided in float64, so the two patterns are the same)
    assert count_check(A, W)["count_undecided"] == 0
    assert torch.equal(C.to(torch.float64), _float64_counts(A, W))
    assert torch.equal(C, C.T)


def test_adversarial_signs_are_recomputed_and_exact() -> None:
    A, W = _adversarial()
    C, fixed = fw._counts(A, W)
    assert fixed >= W.shape[0]  # every planted near-zero pre-activation was recomputed
    assert torch.equal(C.to(torch.float64), _float64_counts(A, W))


def test_planted_fault_uncertified_float32_signs_are_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the certificate (bound 0) the float32 signs of the planted near-orthogonal
    pairs are rounding noise: count_check sees the counts differ from float64."""
    A, W = _adversarial()
    assert count_check(A, W)["count_max_abs_diff"] == 0
    monkeypatch.setattr(fw, "dot_sign_rtol", lambda precision, d: 0.0)
    res = count_check(A, W)
    assert res["count_max_abs_diff"] > 0 and res["count_undecided"] == 0


def test_reduced_precision_float32_matmul_uses_float64_preactivations() -> None:
    A, W = _adversarial(m=300)
    old = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("medium")
        assert fw._z_dtype() == torch.float64
        C = coactivation_counts(A, W)
    finally:
        torch.set_float32_matmul_precision(old)
    assert torch.equal(C.to(torch.float64), _float64_counts(A, W))


@pytest.mark.parametrize("n", [40, 300])  # below and above SYM_MIN_N (block triangle)
def test_fast_ntk_equals_the_float64_reference(n: int) -> None:
    g = torch.Generator().manual_seed(n)
    A = torch.rand(n, 12, generator=g, dtype=torch.float64) - 0.3
    W = torch.randn(2000, 12, generator=g, dtype=torch.float64)
    H, ref = fast_finite_width_ntk(A, W), finite_width_ntk(A, None, W)
    assert torch.equal(H, H.T)
    # same exact counts; the Gram matrices differ by the symmetrisation only
    assert float((H - ref).abs().max()) <= matmul_rtol("float64", 12) * float(ref.abs().max())


@pytest.mark.parametrize("cls", [TwoLayerReLU, MLPAttn])
def test_fast_ntk_equals_autograd_and_closed_form(cls: type) -> None:
    g = torch.Generator().manual_seed(3)
    X = torch.rand(14, 9, generator=g, dtype=torch.float64) + 0.05
    model = cls(9, 128, seed=4) if cls is TwoLayerReLU else cls(X, 128, seed=4)
    net, Xp = (model, X) if cls is TwoLayerReLU else (model.mlp, X @ model.C)
    H = fast_finite_width_ntk(Xp, net.W.detach())
    for ref in (empirical_ntk(model, X), relu_ntk_closed_form(model, X)):
        err = float((H - ref).abs().max() / ref.abs().max())
        assert err <= matmul_rtol("float64", 9, products=3)


def test_nested_widths_are_one_network_and_the_error_shrinks() -> None:
    g = torch.Generator().manual_seed(0)
    X = torch.rand(30, 6, generator=g, dtype=torch.float64) + 0.1
    widths = [64, 256, 1024, 4096]
    curve = kernel_regime_curve(X, widths, seed=11, init_scale=0.01)
    gen = torch.Generator().manual_seed(11)
    W = torch.cat([torch.randn(b - a, 6, generator=gen, dtype=torch.float32) * 0.01
                   for a, b in zip([0, *widths[:-1]], widths, strict=True)]).double()
    H = relu_ntk(X)
    for m, err in zip(widths, curve["err2"], strict=True):
        direct = sym_spectral_norm(fast_finite_width_ntk(X, W[:m]) - H).norm
        assert abs(err - direct) <= eig_rtol("float64", 30) * direct
    assert curve["err2"][-1] < curve["err2"][0] / 2  # 64x the neurons: E‖·‖ ~ m^(-1/2)
    # 2-homogeneity: data scaled by 2^-600 gives the errors scaled by 2^-1200 exactly (by
    # construction: both calls rescale to the same X by a power of two first)
    tiny = kernel_regime_curve(X * 2.0**-600, widths, seed=11)["err2"]
    assert all(math.ldexp(a, -1200) == b for a, b in zip(curve["err2"], tiny, strict=True))


def test_bad_inputs() -> None:
    X = torch.rand(4, 3, dtype=torch.float64)
    with pytest.raises(InputError, match="2\\^24"):
        coactivation_counts(X, torch.zeros(2**24, 3))
    with pytest.raises(InputError, match="finite"):
        coactivation_counts(X, torch.full((5, 3), math.nan))
    with pytest.raises(InputError):
        fast_finite_width_ntk(X, torch.ones(5, 2))
    for widths in ([64, 32], [0, 4], [], [2**24]):
        with pytest.raises(ConfigError, match="widths"):
            kernel_regime_curve(X, widths, seed=0)
    with pytest.raises(ConfigError, match="seed"):
        kernel_regime_curve(X, [4, 8], seed=-1)


@pytest.mark.parametrize("arch", ["relu", "mlp_attn"])
def test_route_check_reports_agreeing_routes(arch: str) -> None:
    g = torch.Generator().manual_seed(8)
    X = torch.rand(20, 7, generator=g, dtype=torch.float64) + 0.05
    r = fw.route_check(X, arch, width=32, rows=10, count_width=500)
    assert r["autograd_rel_diff"] <= matmul_rtol("float64", 7, products=3)
    assert r["fast_rel_diff"] <= matmul_rtol("float64", 7, products=3)
    assert r["count_undecided_rel"] == 0 and r["count_diff_rel"] == 0
    with pytest.raises(InputError, match="arch"):
        fw.route_check(X, "softmax")
