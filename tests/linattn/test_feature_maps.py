"""Tests of linattn.feature_maps: every variant as phi(keys, Z), whose ReLU NTK is the
variant's NTK, differentiable in the keys and in Z (autograd through the softmax and the
LayerNorm), as the malleability estimates that rebuild the keys need."""

from __future__ import annotations

import pytest
import torch

from linattn.feature_maps import FEATURE_MAPS, VARIANTS, feature_map
from linattn.multihead import head_projections, multihead_ntk
from linattn.ntk import mlp_attn_ntk, relu_ntk
from linattn.qkv_ntk import qkv_ntk_limit
from linattn.softmax_attention import softmax_attn_ntk
from pyverify.errors import InputError
from pyverify.tolerance import arccos_rtol

F64 = torch.float64


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


P = head_projections(4, 2, seed=0)
KW = {"linear": {}, "softmax": {"tau": 0.8}, "multihead": {"P": P, "h": 2},
      "layernorm": {"P": P, "h": 2}, "qkv-linear": {"init_scale": 0.5},
      "qkv-softmax": {"tau": 0.8}}


def _ntk(variant: str, X: torch.Tensor) -> torch.Tensor:
    return {"linear": lambda: mlp_attn_ntk(X),
            "softmax": lambda: softmax_attn_ntk(X, tau=0.8),
            "multihead": lambda: multihead_ntk(X, P=P, h=2),
            "layernorm": lambda: multihead_ntk(X, P=P, h=2, layernorm=True),
            "qkv-linear": lambda: qkv_ntk_limit(X, init_scale=0.5),
            "qkv-softmax": lambda: qkv_ntk_limit(X, attention="softmax", tau=0.8)}[variant]()


@pytest.mark.parametrize("variant", FEATURE_MAPS)
def test_phi_gives_the_variants_ntk_and_gradients(variant: str) -> None:
    X, Z = _data(5, 4, 1), _data(3, 4, 2)
    phi = feature_map(variant, **KW[variant])
    assert float((relu_ntk(phi(X, X)) - _ntk(variant, X)).abs().max()
                 / _ntk(variant, X).abs().max()) <= arccos_rtol("float64", 5)
    Xg, Zg = X.clone().requires_grad_(True), Z.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda k, z: phi(k, z), (Xg, Zg))


def test_names_and_errors() -> None:
    assert ("linear", *VARIANTS) == FEATURE_MAPS
    with pytest.raises(InputError):
        feature_map("transformer")
    with pytest.raises(InputError):
        feature_map("multihead")  # needs P and h
    with pytest.raises(InputError):
        feature_map("softmax", h=2)


def test_one_vocabulary_with_malleability() -> None:
    """linattn.malleability resolves the variants here: "linear" and "mlp_attn" are one phi
    (the same object) and keep the inner-product fast path when d > n; the other names give
    the same features as feature_map (same calls); bad keywords are InputErrors."""
    from linattn import malleability as mall
    from linattn.adjoint import attention_gram_kernels
    from linattn.feature_maps import linear_phi

    name_l, phi_l = mall.feature_map("linear")
    name_m, phi_m = mall.feature_map("mlp_attn")
    assert phi_l is phi_m is linear_phi() and name_l == name_m == "mlp_attn"
    for arch in ("linear", "mlp_attn", linear_phi()):
        assert mall.arch_kernels(arch, 4, 9) is attention_gram_kernels
    assert mall.arch_kernels("linear", 9, 4) is not attention_gram_kernels
    X, Z = _data(6, 4, 3), _data(3, 4, 4)
    for v in VARIANTS:
        name, phi = mall.feature_map(v, **KW[v])
        assert name == v
        torch.testing.assert_close(phi(X, Z), feature_map(v, **KW[v])(X, Z), rtol=0, atol=0)
    torch.testing.assert_close(phi_l(X, Z), (Z @ X.T) @ X,
                               rtol=arccos_rtol("float64", 4), atol=0)
    for bad in (("relu", {"tau": 1.0}), ("linear", {"h": 2}), ("multihead", {}),
                ("softmax", {"P": P})):
        with pytest.raises(InputError):
            mall.feature_map(bad[0], **bad[1])
    with pytest.raises(InputError):
        mall.feature_map(lambda k, z: z, tau=1.0)
