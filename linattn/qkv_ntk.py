"""The NTK of the network people train: trainable-QKV attention over the training keys, then
the two-layer ReLU MLP (claim ``qkv-ntk``; referee objection 1, the paper's Appendix D.3).

Network (:class:`QKVAttentionMLP`).  Keys ``Z: (N, d)`` (the training set), hidden width h,
MLP width m; trained: ``W: (d, h)`` (query = key, tied as in neural-tangents'
``GlobalSelfAttention(linear_scaling=True)``), ``V: (d, h)``, both iid ``N(0, σ²)`` with
``σ² = 1/d`` (standard initialisation), and the MLP's first layer ``U: (m, h)``, rows
``u_r ~ N(0, κ² I_h)`` (``linattn.ntk.TwoLayerReLU``, κ = ``init_scale``, fixed as h grows;
readout ``a_r = ±1`` fixed):

    ℓ_k(x) = (c/h) (Wᵀx)ᵀ(Wᵀz_k),   c = 1/(σ² τ)          (so ℓ_k → xᵀz_k / τ),
    p(x) = ℓ(x) (``attention="linear"``)  or  softmax(ℓ(x)) (``"softmax"``),
    φ(x) = h^{-1/2} Vᵀ Zᵀ p(x) ∈ R^h,    f(x) = m^{-1/2} Σ_r a_r relu(u_rᵀ φ(x)).

Why tied Q = K and the 1/h scaling: with independent Q, K the scores (1/h) xᵀQKᵀz average to
their mean 0 and the attention path vanishes; with 1/√h they tend to a random Gaussian
bilinear form (``QKᵀ/√h`` → a Ginibre d×d matrix at fixed d, :mod:`linattn.qkv`), so the
kernel stays random at every width.  τ (default √d) is the limiting temperature in the
units of x, as in :mod:`linattn.softmax_attention`.

Finite-width NTK (:func:`qkv_ntk_closed_form`, all trainable parameters; tested against
``torch.func`` by :func:`linattn.ntk.empirical_ntk`).  With ``S = 1[Φ Uᵀ > 0]``,
``g(x) = ∂f/∂φ = m^{-1/2} Σ_r a_r S_r(x) u_r``, ``w(x) = Zᵀ p(x)``, ``β_k = h^{-1/2} g ᵀVᵀz_k``,
``e = β`` (linear) or ``p ⊙ (β − pᵀβ)`` (softmax), ``η = Zᵀ e``, ``M(x) = x ηᵀ + η xᵀ``:

    Θ_U = (1/m) φ(x)ᵀφ(y) Σ_r S_r(x) S_r(y),
    Θ_V = (1/h) w(x)ᵀw(y) · g(x)ᵀg(y),
    Θ_W = (c/h)² tr(M(x) M(y) W Wᵀ)     (∂f/∂W = (c/h) M(x) W).

Infinite-width limit (derivation; h, m → ∞ together, d and N fixed).
(i) ``W Wᵀ/h → σ² I`` and ``V Vᵀ/h → σ² I`` (law of large numbers), so ``ℓ(x) → Z x/τ``,
``w(x) → ψ(x)`` with ``ψ(x) = C x/τ`` (linear, ``C = Zᵀ Z``) or ``ψ(x) = Zᵀ softmax(Z x/τ)``
(softmax: the parameter-free softmax features), and
``φ(x)ᵀφ(y) = h⁻¹ w(x)ᵀ V Vᵀ w(y) → σ² ψ(x)ᵀψ(y)``.
(ii) u_r is independent of φ, and ‖u_r‖ of its direction (Gaussian), so
``E[‖u_r‖² S_r(x) S_r(y)] = κ² h A(x, y)``, ``A = (π − arccos ρ)/(2π)`` with ρ the cosine of
φ(x), φ(y) (→ that of ψ(x), ψ(y)); the average over r fluctuates by O(m^{-1/2}), and the
cross terms r ≠ s of ``g(x)ᵀg(y)`` have mean 0 (random a_r) and standard deviation
~κ² √h, relatively O(h^{-1/2}).  Hence ``g(x)ᵀg(y)/h → κ² A``.
(iii) ``Θ_U → σ² ψ(x)ᵀψ(y) A`` and ``Θ_V → κ² ψ(x)ᵀψ(y) A``.
(iv) Each entry of ``∂ℓ_k/∂W = (c/h)(x z_kᵀ + z_k xᵀ) W`` is O(1/h) over d h entries, so the
scores' own tangent kernel is O(1/h); with β = O(1), ``Θ_W = O(1/h) → 0``: the attention
pattern freezes (the query/key weights stop contributing) in the limit.
Therefore (:func:`qkv_ntk_limit`)

    H_∞(x, y) = (σ² + κ²) · relu_ntk(ψ(x), ψ(y)),

i.e. ``(σ² + κ²)/τ² · mlp_attn_ntk`` for linear attention -- the paper's MLP-Attn NTK, with
κ(H_∞) exactly that of the parameter-free case -- and ``(σ² + κ²) · softmax_attn_ntk`` for
softmax attention.  ``parts=True`` returns the three terms (Θ_W's limit is the zero matrix).
The limit is tested against Monte-Carlo averages of Θ over draws (tests), and against
neural-tangents where it imports (NTK parameterisation weighs the parts κ², σ², σ²).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from linattn.ntk import TwoLayerReLU, relu_ntk_core
from linattn.softmax_attention import softmax_features, temperature
from linattn.validate import as_matrix, as_pair, check_same_cols, finite_result, resolve_dtype
from pyverify.errors import ConfigError, InputError, NumericalError

__all__ = [
    "ATTENTIONS",
    "QKVAttentionMLP",
    "qkv_limit_features",
    "qkv_limit_phi",
    "qkv_ntk_closed_form",
    "qkv_ntk_limit",
]

ATTENTIONS = ("linear", "softmax")
"""The score functions: identity (linear attention) or softmax over the keys."""


def _attention(attention: Any) -> str:
    if attention not in ATTENTIONS:
        raise InputError.for_arg("attention", f"must be one of {ATTENTIONS}", attention)
    return attention


def _std(std: Any, d: int) -> float:
    if std is None:
        return d ** -0.5
    try:
        s = float(std)
    except (TypeError, ValueError):
        raise InputError.for_arg("std", "must be a finite number > 0", std) from None
    if isinstance(std, bool) or not 0.0 < s < math.inf:
        raise InputError.for_arg("std", "must be a finite number > 0", std)
    return s


def _square(name: str, v: float) -> float:
    """v² (a float), NumericalError when it overflows (Python's ** would raise)."""
    out = v * v
    if not math.isfinite(out):
        raise NumericalError.for_arg(name, "its square overflows a float", v)
    return out


def _kappa(init_scale: Any) -> float:
    try:
        k = float(init_scale)
    except (TypeError, ValueError):
        raise InputError.for_arg("init_scale", "must be a finite number > 0",
                                 init_scale) from None
    if isinstance(init_scale, bool) or not 0.0 < k < math.inf:
        raise InputError.for_arg("init_scale", "must be a finite number > 0", init_scale)
    return k


class QKVAttentionMLP(nn.Module):
    """x ↦ TwoLayerReLU(φ(x)) with trainable tied query/key ``W: (d, h)`` and value
    ``V: (d, h)`` over the fixed ``keys: (N, d)`` (module docstring for every formula).

    ``width`` (default h) is the MLP width m; ``std`` the entry std of W and V (default
    ``d^{-1/2}``; pass the original d's when the keys are reduced coordinates); ``tau`` the
    limiting temperature (default √d); ``init_scale`` κ of the MLP's first layer.  W, V,
    then the MLP are drawn from one private generator seeded ``seed`` (default 0), so the
    network is deterministic and the global RNG untouched."""

    def __init__(self, keys: Any, h: int, width: int | None = None, *,
                 attention: str = "linear", tau: Any = None, std: Any = None,
                 init_scale: float = 1.0, seed: int | None = None,
                 dtype: Any = None, device: Any = None) -> None:
        super().__init__()
        Z = as_matrix(keys, "keys", dtype=dtype, device=device).detach()
        for name, v in (("h", h), ("width", h if width is None else width)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError.for_arg(name, "must be a positive integer", v)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                                 or not 0 <= seed < 2**63):
            raise ConfigError.for_arg("seed", "must be an integer in [0, 2**63)", seed)
        d = Z.shape[1]
        self.attention = _attention(attention)
        self.tau = temperature(tau, d)
        self.std = _std(std, d)
        self.h, self.width = h, h if width is None else width
        self.c = 1.0 / (_square("std", self.std) * self.tau)
        g = torch.Generator().manual_seed(0 if seed is None else seed)
        dt = resolve_dtype(dtype) if dtype is not None else Z.dtype
        W = torch.randn(d, h, generator=g, dtype=dt) * self.std
        V = torch.randn(d, h, generator=g, dtype=dt) * self.std
        self.W = nn.Parameter(W.to(Z.device))
        self.V = nn.Parameter(V.to(Z.device))
        self.mlp = TwoLayerReLU(h, self.width, init_scale=_kappa(init_scale), generator=g,
                                dtype=dt, device=Z.device)
        self.register_buffer("keys", Z.to(dt))

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """p(x): ``(n, N)`` -- the logits (linear) or their softmax over the keys."""
        L = (self.c / self.h) * (x @ self.W) @ (self.keys @ self.W).T
        return L if self.attention == "linear" else torch.softmax(L, dim=-1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x) = h^{-1/2} p(x) Z V: ``(n, h)``."""
        return self.scores(x) @ (self.keys @ self.V) / math.sqrt(self.h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.features(x))


def _side(net: QKVAttentionMLP, X: torch.Tensor) -> dict[str, torch.Tensor]:
    """Everything one argument contributes to the closed-form NTK (module docstring)."""
    h, m = net.h, net.width
    W, V, U, a, Z = net.W, net.V, net.mlp.W, net.mlp.a, net.keys
    A = X @ W
    B = Z @ W
    L = (net.c / h) * A @ B.T
    P = L if net.attention == "linear" else torch.softmax(L, dim=1)
    Vz = Z @ V
    Phi = P @ Vz / math.sqrt(h)
    S = (Phi @ U.T > 0).to(X.dtype)
    g = (S * a[None, :]) @ U / math.sqrt(m)
    beta = g @ Vz.T / math.sqrt(h)
    e = beta if net.attention == "linear" else P * (beta - (P * beta).sum(1, keepdim=True))
    eta = e @ Z
    return {"X": X, "A": A, "Phi": Phi, "S": S, "g": g, "w": P @ Z, "eta": eta,
            "etaW": eta @ W}


def qkv_ntk_closed_form(net: QKVAttentionMLP, X: Any, Y: Any = None, *,
                        parts: bool = False) -> Any:
    """The NTK of ``net`` over all its trainable parameters (W, V, the MLP's U) at its
    current weights, in closed form: ``X: (n, d)``, ``Y: (k, d)`` (default X) -> ``(n, k)``
    (``parts=True``: ``{"U", "V", "W", "total"}``).  Equals ``empirical_ntk(net, X, Y)``
    to rounding (tested); costs O(n (N h + h m) + n² (d + h + m)) instead of a Jacobian."""
    if not isinstance(net, QKVAttentionMLP):
        raise InputError.for_arg("net", "must be a QKVAttentionMLP", type(net).__name__)
    if not isinstance(parts, bool):
        raise InputError.for_arg("parts", "must be a bool", parts)
    Xt, Yt = as_pair(X, Y, net.keys.dtype, net.keys.device)
    check_same_cols(net.keys, Xt, "net.keys", "X")
    with torch.no_grad():
        x = _side(net, Xt)
        y = x if Yt is None else _side(net, Yt)
        h, m = net.h, net.width
        th_u = (x["Phi"] @ y["Phi"].T) * (x["S"] @ y["S"].T) / m
        th_v = (x["w"] @ y["w"].T) * (x["g"] @ y["g"].T) / h
        X_, Y_ = x["X"], y["X"]
        th_w = ((x["eta"] @ Y_.T) * (x["A"] @ y["etaW"].T)
                + (x["eta"] @ y["eta"].T) * (x["A"] @ y["A"].T)
                + (X_ @ Y_.T) * (x["etaW"] @ y["etaW"].T)
                + (X_ @ y["eta"].T) * (x["etaW"] @ y["A"].T)) * ((net.c / h) * (net.c / h))
        total = finite_result(th_u + th_v + th_w, "QKV NTK")
    if Yt is None:
        total = 0.5 * (total + total.T)
    return {"U": th_u, "V": th_v, "W": th_w, "total": total} if parts else total


def _psi(X: Any, keys: Any, attention: Any, tau: Any
         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(validated X, ψ(X)) with ψ(x) = C x/τ (linear) or Zᵀ softmax(Z x/τ) (softmax)."""
    Xt = as_matrix(X, "X")
    Z = Xt if keys is None else as_matrix(keys, "keys", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Z, "X", "keys")
    att = _attention(attention)
    t = temperature(tau, Xt.shape[1])
    if att == "linear":
        return Xt, finite_result((Xt @ Z.T) @ Z / t, "psi(X) = X C / tau", "X")
    return Xt, softmax_features(Xt, keys=Z, tau=t)


def qkv_limit_features(X: Any, *, keys: Any = None, attention: str = "linear",
                       tau: Any = None, std: Any = None,
                       init_scale: float = 1.0) -> torch.Tensor:
    """``√(σ² + κ²) ψ(X): (n, d)``, with ψ(x) = C x/τ (linear) or the softmax-attention
    features (softmax), so that ``relu_ntk`` of it is the infinite-width NTK H_∞ (module
    docstring).  Keys default X; σ default ``d^{-1/2}``; τ default √d."""
    Xt, psi = _psi(X, keys, attention, tau)
    d = Xt.shape[1]
    s, k = _std(std, d), _kappa(init_scale)
    return finite_result(psi * math.sqrt(_square("std", s) + _square("init_scale", k)),
                         "limit features", "X")


def qkv_ntk_limit(X: Any, Y: Any = None, *, keys: Any = None, attention: str = "linear",
                  tau: Any = None, std: Any = None, init_scale: float = 1.0,
                  parts: bool = False) -> Any:
    """The infinite-width NTK ``H_∞(X, Y) = (σ² + κ²) relu_ntk(ψ(X), ψ(Y))`` of
    :class:`QKVAttentionMLP` (derivation in the module docstring); ``X: (n, d)``,
    ``Y: (k, d)`` -> ``(n, k)``; keys default X.  ``parts=True``:
    ``{"U": σ² R, "V": κ² R, "W": 0, "total"}`` with ``R = relu_ntk(ψ(X), ψ(Y))``."""
    if not isinstance(parts, bool):
        raise InputError.for_arg("parts", "must be a bool", parts)
    Xt, Yt = as_pair(X, Y)
    Z = Xt if keys is None else keys
    _, PX = _psi(Xt, Z, attention, tau)
    PY = None if Yt is None else _psi(Yt, Z, attention, tau)[1]
    R = relu_ntk_core(PX, PY, "psi(X)", "psi(Y)")
    d = Xt.shape[1]
    s2, k2 = _square("std", _std(std, d)), _square("init_scale", _kappa(init_scale))
    total = finite_result((s2 + k2) * R, "H_inf")
    if not parts:
        return total
    return {"U": s2 * R, "V": k2 * R, "W": torch.zeros_like(R), "total": total}


def qkv_limit_phi(attention: str = "linear", *, tau: Any = None, std: Any = None,
                  init_scale: float = 1.0
                  ) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The feature map ``phi(keys, Z) = qkv_limit_features(Z, keys=keys, ...)`` whose ReLU
    NTK is the infinite-width NTK of the trainable-QKV network (arguments validated now;
    τ and σ default to √d and d^{-1/2} of the inputs at call time)."""
    _attention(attention)
    if tau is not None:
        temperature(tau, 1)
    if std is not None:
        _std(std, 1)
    _kappa(init_scale)

    def phi(keys: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        return qkv_limit_features(Z, keys=keys, attention=attention, tau=tau, std=std,
                                  init_scale=init_scale)

    phi.__doc__ = f"trainable-QKV ({attention}) infinite-width features"
    return phi
