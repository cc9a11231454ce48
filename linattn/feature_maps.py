"""Every attention variant as a feature map ``phi(keys, Z) -> features`` (claims
``softmax-attention``, ``multihead-layernorm``, ``qkv-ntk``).

The interface of influence-malleability estimates that rebuild the keys from the perturbed
training inputs: ``phi(keys, Z)`` maps inputs ``Z: (k, d)`` with keys ``(N, d)`` to features
``(k, p)``, differentiably in both, and ``relu_ntk(phi(keys, Z))`` is the variant's
infinite-width NTK (the ReLU NTK sees its inputs only through inner products and angles).

==============  ==========================================================  ===============
variant         phi(keys, Z)                                                 module
==============  ==========================================================  ===============
``linear``      ``Z keysᵀ keys`` (the paper's parameter-free attention)      linattn.kernel
``softmax``     ``softmax(Z keysᵀ/τ) keys``                                  softmax_attention
``multihead``   h heads on fixed projections P, concatenated                 multihead
``layernorm``   the same, then LayerNorm                                     multihead
``qkv-linear``  ``√(σ²+κ²) Z keysᵀ keys/τ`` (trainable-QKV NTK limit)         qkv_ntk
``qkv-softmax`` ``√(σ²+κ²) softmax(Z keysᵀ/τ) keys``                          qkv_ntk
==============  ==========================================================  ===============
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from linattn.multihead import LAYERNORM_EPS, multihead_phi
from linattn.qkv_ntk import qkv_limit_phi
from linattn.softmax_attention import softmax_phi
from linattn.validate import as_matrix, check_same_cols, finite_result, own_dtype
from pyverify.errors import InputError

__all__ = ["FEATURE_MAPS", "VARIANTS", "feature_map", "linear_phi"]

VARIANTS = ("softmax", "multihead", "layernorm", "qkv-linear", "qkv-softmax")
"""The beyond-the-paper variants (the ``variant`` values of the results.json rows)."""

FEATURE_MAPS = ("linear", *VARIANTS)
"""Every name :func:`feature_map` accepts (``linear``: the paper's parameter-free case)."""


def _linear(keys: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
    Zt = as_matrix(Z, "Z", dtype=own_dtype(Z))
    K = Zt if keys is Z else as_matrix(keys, "keys", dtype=Zt.dtype, device=Zt.device)
    check_same_cols(Zt, K, "Z", "keys")
    n, d = K.shape
    F = (Zt @ K.T) @ K if d > n else Zt @ (K.T @ K)
    return finite_result(F, "Z keys^T keys", "keys")


def linear_phi() -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``phi(keys, Z) = Z keysᵀ keys`` = Z C: the paper's linearized attention (MLP-Attn),
    keys ``(n, d)``: computed as ``(Z keysᵀ) keys`` (n k d flops) when d > n and
    ``Z (keysᵀ keys)`` (n d² + k d²) otherwise.  The one phi of both names "linear" (here)
    and "mlp_attn" (:mod:`linattn.malleability`, whose fast path recognises it)."""
    return _linear


def feature_map(variant: str, **kw: Any) -> Callable[[torch.Tensor, torch.Tensor],
                                                     torch.Tensor]:
    """The feature map of ``variant`` (one of :data:`FEATURE_MAPS`; table above).  Keyword
    arguments: ``tau`` (softmax, qkv-*), ``P`` and ``h`` (multihead, layernorm; ``eps``),
    ``std`` and ``init_scale`` (qkv-*).  Unknown variants or keywords -> InputError."""
    allowed = {"linear": set(), "softmax": {"tau"}, "multihead": {"P", "h", "eps"},
               "layernorm": {"P", "h", "eps"}, "qkv-linear": {"tau", "std", "init_scale"},
               "qkv-softmax": {"tau", "std", "init_scale"}}
    if variant not in allowed:
        raise InputError.for_arg("variant", f"must be one of {FEATURE_MAPS}", variant)
    extra = sorted(set(kw) - allowed[variant])
    if extra:
        raise InputError.for_arg("kw", f"{variant} takes only {sorted(allowed[variant])}",
                                 extra)
    if variant == "linear":
        return linear_phi()
    if variant == "softmax":
        return softmax_phi(kw.get("tau"))
    if variant in ("multihead", "layernorm"):
        if "P" not in kw or "h" not in kw:
            raise InputError.for_arg("kw", f"{variant} needs the projections P and heads h",
                                     sorted(kw))
        return multihead_phi(kw["P"], kw["h"], layernorm=variant == "layernorm",
                             eps=kw.get("eps", LAYERNORM_EPS))
    return qkv_limit_phi(variant.removeprefix("qkv-"), tau=kw.get("tau"), std=kw.get("std"),
                         init_scale=kw.get("init_scale", 1.0))
