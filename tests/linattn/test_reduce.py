"""Tests of linattn.reduce (exact row-space coordinates used by experiments 3, 4, 7)."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from linattn.malleability import estimate_malleability
from linattn.ntk import mlp_attn_ntk, relu_ntk
from linattn.reduce import span_coordinates
from pyverify.tolerance import matmul_rtol

F64 = torch.float64


def _low_rank(n: int, d: int, r: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, r, generator=g, dtype=F64) @ torch.randn(r, d, generator=g, dtype=F64)


@given(st.integers(2, 8), st.integers(1, 5), st.integers(0, 6), st.integers(0, 50))
def test_gram_preserved_and_dimension(n: int, r: int, pad: int, seed: int) -> None:
    d = 40
    X, T = _low_rank(n, d, r, seed), _low_rank(3, d, r, seed + 1)
    (Xr, Tr), info = span_coordinates(X, T, pad=pad)
    assert info["rank"] <= min(n + 3, 2 * r)
    assert Xr.shape == (n, info["d_reduced"]) and Tr.shape == (3, info["d_reduced"])
    S, Sr = torch.cat([X, T]), torch.cat([Xr, Tr])
    tol = matmul_rtol("float64", d) * float(S.norm()) ** 2
    assert float((S @ S.T - Sr @ Sr.T).abs().max()) <= tol
    if info["d_reduced"] < d:
        assert info["d_reduced"] == info["rank"] + min(pad, d - info["rank"])
        assert bool((Xr[:, info["rank"]:] == 0).all())


def test_full_rank_input_is_returned_unchanged() -> None:
    X = _low_rank(10, 4, 4, 0)
    (Xr,), info = span_coordinates(X, pad=2)
    assert Xr is X and info["d_reduced"] == 4


def test_kernels_and_first_order_malleability_are_invariant() -> None:
    X, T = _low_rank(5, 24, 5, 2).abs() + 0.1, _low_rank(2, 24, 5, 3).abs() + 0.1
    (Xr, Tr), _ = span_coordinates(X, T, pad=5)
    for k in (relu_ntk, mlp_attn_ntk):
        A, B = k(X), k(Xr)
        assert float((A - B).abs().max() / A.abs().max()) <= matmul_rtol("float64", 24, products=3)
    for arch in ("mlp_attn",):  # C rebuilt from the perturbed rows: the harder case
        full = estimate_malleability(X, T, arch=arch, eps=0.01, ridge=1e-2, steps=1, restarts=1,
                            power_iters=30)
        red = estimate_malleability(Xr, Tr, arch=arch, eps=0.01, ridge=1e-2, steps=1, restarts=1,
                           power_iters=30)
        # the operator norm ‖J D‖₂ is rotation invariant; power iteration to 1e-3
        assert abs(full.first_order - red.first_order) <= 1e-3 * full.first_order
