"""Multi-head linearized attention with fixed random head projections, and LayerNorm after
the attention (claim ``multihead-layernorm``; the paper's Appendix D.3 lists both as open).

Heads.  ``P = [P_1 | … | P_h]: (d, h d_h)`` with orthonormal columns (Haar-distributed,
:func:`head_projections`; ``d_h = ⌊d/h⌋``).  Head j is the paper's parameter-free
linearized attention in the projected coordinates, over the keys ``Z: (N, d)`` (default the
training set X):

    f_j(x) = (Z P_j)ᵀ(Z P_j) P_jᵀ x = P_jᵀ C P_j P_jᵀ x ∈ R^{d_h},   C = Zᵀ Z,

and the heads are concatenated, ``f(x) = h^{-1/2} [f_1(x); …; f_h(x)] ∈ R^{h d_h}``
(:func:`multihead_features`), so the kernel is the mean over heads,

    K(x, y) = f(x)ᵀ f(y) = (1/h) Σ_j xᵀ Π_j C Π_j C Π_j y,   Π_j = P_j P_jᵀ,

Π_j orthogonal projectors with Σ_j Π_j = I when h d_h = d.  One head (``h = 1``, P
orthogonal) gives ``f(x) = Pᵀ C x``, a rotation of the paper's ``C x``: ``K = G³`` exactly
(Theorem 4.1) and the same ReLU NTK -- the single-head parameter-free case.  More heads
replace C by its block-diagonal compressions ``Π_j C Π_j``.

LayerNorm (``layernorm=True``) acts on the concatenated vector, as after a transformer's
attention block: ``LN(f) = (f − mean(f) 1)/√(var(f) + eps)`` over the ``h d_h`` entries
(:func:`layer_norm`: the formula of ``torch.nn.functional.layer_norm`` without affine
parameters -- at initialisation they are 1 and 0; ``eps`` = 1e-5, PyTorch's default, is a
model constant, not a tolerance -- evaluated on power-of-two-scaled rows).  It
removes the mean direction and equalises the row norms (every row has norm √(h d_h) up to
eps), which changes the spectrum of K and the angles the ReLU NTK sees.

Reduced coordinates (exact).  For an orthonormal basis ``V: (d, r)`` of the row space of
``[X; Z]``, ``f(x) = f_r(Vᵀx)`` computed with the projections ``Vᵀ P: (r, h d_h)``: the same
vectors, not just a rotation (so LayerNorm commutes).  For Haar P, ``Vᵀ P`` is distributed as
the first columns of the transpose of a QR factor of an (d, r) Gaussian matrix, which
:func:`head_projections` draws with ``rank=r`` in O(d r²) instead of O(d³).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from linattn.checks import CheckArg, run_gates
from linattn.ntk import relu_ntk_core
from linattn.validate import (
    as_matrix,
    as_pair,
    check_same_cols,
    finite_result,
    ldexp,
    own_dtype,
    pow2_scale,
)
from pyverify.errors import InputError

__all__ = [
    "LAYERNORM_EPS",
    "head_projections",
    "layer_norm",
    "multihead_features",
    "multihead_ntk",
    "multihead_phi",
]

LAYERNORM_EPS = 1e-5
"""PyTorch's ``nn.LayerNorm`` default (a model constant, added to the variance)."""


def _pos_int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError.for_arg(name, "must be an integer >= 1", v)
    return v


def _eps(eps: Any) -> float:
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise InputError.for_arg("eps", "must be a finite number > 0", eps) from None
    if isinstance(eps, bool) or not 0.0 < e < math.inf:
        raise InputError.for_arg("eps", "must be a finite number > 0", eps)
    return e


def head_projections(d: int, h: int, *, seed: int, rank: int | None = None) -> torch.Tensor:
    """Haar-random head projections, float64, deterministic given ``seed``.

    ``rank=None``: ``P: (d, h d_h)`` with orthonormal columns (the first ``h d_h`` columns of
    a Haar orthogonal d×d matrix; QR of a Gaussian d×d matrix with the signs of R's diagonal
    fixed, O(d³)).  ``rank=r``: an ``(r, h d_h)`` matrix distributed as ``Vᵀ P`` for any
    fixed orthonormal ``V: (d, r)`` (module docstring), O(d r²).  ``d_h = ⌊d/h⌋ ≥ 1``."""
    d, h = _pos_int("d", d), _pos_int("h", h)
    if h > d:
        raise InputError.for_arg("h", f"must be at most d = {d} (head width d // h >= 1)", h)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError.for_arg("seed", "must be an integer in [0, 2**63)", seed)
    r = d if rank is None else _pos_int("rank", rank)
    if r > d:
        raise InputError.for_arg("rank", f"must be at most d = {d}", rank)
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(d, r, generator=g, dtype=torch.float64)
    Q, R = torch.linalg.qr(A)
    Q = Q * torch.where(R.diagonal() < 0, -1.0, 1.0)[None, :]  # Haar: sign-fixed QR
    D = h * (d // h)
    return Q[:, :D].contiguous() if rank is None else Q.T[:, :D].contiguous()


def _heads(P: Any, h: Any, X: torch.Tensor) -> tuple[torch.Tensor, int]:
    Pt = as_matrix(P, "P", dtype=X.dtype, device=X.device)
    h = _pos_int("h", h)
    if Pt.shape[0] != X.shape[1]:
        raise InputError.for_arg("P", f"must have d = {X.shape[1]} rows (X's columns)",
                                 tuple(Pt.shape))
    if Pt.shape[1] % h:
        raise InputError.for_arg("P", f"must have a multiple of h = {h} columns",
                                 tuple(Pt.shape))
    return Pt, h


def multihead_features(X: Any, P: Any, *, h: int, keys: Any = None,
                       layernorm: bool = False, eps: float = LAYERNORM_EPS) -> torch.Tensor:
    """``f(X): (n, D)``, ``D = P.shape[1]``: h heads of linearized attention over ``keys``
    (default X), head j on the columns ``P_j`` of ``P: (d, D)``, concatenated and scaled by
    ``h^{-1/2}``, then LayerNorm over the D entries when ``layernorm`` (module docstring).
    Differentiable in X, the keys and P.  Cost O((n + N) d D + min(N, d_h) (n + N) D)."""
    Xt = as_matrix(X, "X", dtype=own_dtype(X))
    Pt, h = _heads(P, h, Xt)
    if not isinstance(layernorm, bool):
        raise InputError.for_arg("layernorm", "must be a bool", layernorm)
    e = _eps(eps)
    Z = Xt if keys is None else as_matrix(keys, "keys", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Z, "X", "keys")
    return _features(Xt, Pt, h, Z, layernorm, e)


def _features(Xt: torch.Tensor, Pt: torch.Tensor, h: int, Z: torch.Tensor, layernorm: bool,
              e: float) -> torch.Tensor:
    """The computation of :func:`multihead_features` on validated inputs; the projected
    keys are reused when the keys are the inputs themselves (``Z is Xt``)."""
    XP = Xt @ Pt
    return _head_features(XP, XP if Z is Xt else Z @ Pt, h, layernorm, e)


def _head_features(XP: torch.Tensor, ZP: torch.Tensor, h: int, layernorm: bool,
                   e: float) -> torch.Tensor:
    """Features from the projected inputs ``XP = X P: (n, D)`` and keys ``ZP: (N, D)``."""
    n, D = XP.shape
    dh = D // h
    Xh, Zh = XP.reshape(n, h, dh), ZP.reshape(ZP.shape[0], h, dh)
    if ZP.shape[0] < dh:  # (XP_j (ZP_j)ᵀ) ZP_j: 2 n N d_h flops per head, not N d_h² + n d_h²
        S = torch.einsum("nia,kia->ink", Xh, Zh)  # (h, n, N)
        F = torch.einsum("ink,kia->nia", S, Zh)
    else:
        Cj = torch.einsum("kia,kib->iab", Zh, Zh)  # (h, d_h, d_h): P_jᵀ C P_j
        F = torch.einsum("nia,iab->nib", Xh, Cj)
    F = finite_result(F.reshape(n, D) / math.sqrt(h), "multi-head features", "X")
    return layer_norm(F, e) if layernorm else F


def _ldexp2(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """t · 2^k in two exact steps, so that 2^(k/2) stays finite for |k| up to ~2000
    (subnormal rows have k ≈ −1070, and eps is scaled by 4^-k)."""
    half = torch.div(k, 2, rounding_mode="floor")
    return ldexp(ldexp(t, half), k - half)


def layer_norm(F: Any, eps: float = LAYERNORM_EPS) -> torch.Tensor:
    """``(f − mean(f))/√(var(f) + eps)`` per row of ``F: (n, D)`` (biased variance, no affine;
    ``torch.nn.functional.layer_norm``'s formula).  Each row is first scaled by an exact power
    of two 2^-k (max |f| in [1/2, 1)) with ``eps`` scaled by 4^-k -- the same value, since
    LN(f; eps) = LN(f/c; eps/c²) -- so that var(f) cannot overflow (float32 features of
    size 1e20 would); a row with zero spread maps to 0."""
    Ft = as_matrix(F, "F", dtype=own_dtype(F))
    e = _eps(eps)
    big = torch.finfo(Ft.dtype).max
    if e > big:
        raise InputError.for_arg("eps", f"must be representable in {Ft.dtype}", eps)
    k = pow2_scale(Ft, dim=1)[:, None]
    Fs = _ldexp2(Ft, -k)
    c = Fs - Fs.mean(1, keepdim=True)
    var = (c * c).mean(1, keepdim=True)
    den = torch.sqrt(var + _ldexp2(torch.full_like(var, e), -2 * k).clamp(max=big))
    return c / torch.where(den > 0, den, torch.ones_like(den))


def multihead_ntk(X: Any, Y: Any = None, *, P: Any, h: int, keys: Any = None,
                  layernorm: bool = False, eps: float = LAYERNORM_EPS,
                  check: CheckArg = True) -> torch.Tensor:
    """Infinite-width NTK ``relu_ntk(f(X), f(Y))`` of the two-layer ReLU network on the
    multi-head features (keys default X).  ``X: (n, d)``, ``Y: (m, d)`` -> ``(n, m)``."""
    Xt, Yt = as_pair(X, Y)
    Z = Xt if keys is None else keys
    FX = multihead_features(Xt, P, h=h, keys=Z, layernorm=layernorm, eps=eps)
    FY = None if Yt is None else multihead_features(Yt, P, h=h, keys=Z,
                                                    layernorm=layernorm, eps=eps)
    H = relu_ntk_core(FX, FY, "f(X)", "f(Y)")
    return run_gates(H, check, "multihead_ntk(X)") if Yt is None else H


def multihead_phi(P: Any, h: int, *, layernorm: bool = False,
                  eps: float = LAYERNORM_EPS
                  ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The feature map ``phi(keys, Z) = multihead_features(Z, P, h=h, keys=keys, ...)`` of
    this variant with the projections ``P`` fixed (validated now), for estimates that rebuild
    the keys from perturbed training inputs (``relu_ntk(phi(keys, Z))`` is its NTK).  Its
    attribute ``phi.pair(keys, Z)`` returns ``(phi(keys, keys), phi(keys, Z))`` projecting
    the keys once (the same values: one computation shared by construction)."""
    Pt = as_matrix(P, "P", dtype=own_dtype(P)).detach()
    h = _pos_int("h", h)
    if Pt.shape[1] % h:
        raise InputError.for_arg("P", f"must have a multiple of h = {h} columns",
                                 tuple(Pt.shape))
    if not isinstance(layernorm, bool):
        raise InputError.for_arg("layernorm", "must be a bool", layernorm)
    e = _eps(eps)

    def project(keys: Any, Z: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # P was validated once above (its finiteness check dominates a call at d = 3072)
        Zt = as_matrix(Z, "Z", dtype=own_dtype(Z))
        K = Zt if keys is Z else as_matrix(keys, "keys", dtype=Zt.dtype, device=Zt.device)
        check_same_cols(Zt, K, "Z", "keys")
        if Pt.shape[0] != Zt.shape[1]:
            raise InputError.for_arg("P", f"must have d = {Zt.shape[1]} rows (Z's columns)",
                                     tuple(Pt.shape))
        return Zt, K, Pt.to(dtype=Zt.dtype, device=Zt.device)

    def phi(keys: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        Zt, K, P_ = project(keys, Z)
        return _features(Zt, P_, h, K, layernorm, e)

    def pair(keys: torch.Tensor, Z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(phi(keys, keys), phi(keys, Z))`` with the keys projected once."""
        Zt, K, P_ = project(keys, Z)
        KP = K @ P_
        return (_head_features(KP, KP, h, layernorm, e),
                _head_features(Zt @ P_, KP, h, layernorm, e))

    phi.__doc__ = f"{h}-head linearized attention{' + LayerNorm' if layernorm else ''}"
    phi.pair = pair  # type: ignore[attr-defined]  (linattn.adjoint.feature_kernels uses it)
    return phi
