"""Hand-written adjoints of the attack's hot path: the ReLU NTK and the ridge influence.

Projected gradient ascent on the malleability objective (:mod:`linattn.malleability`)
differentiates ``I(X) = K(T, X)(K(X, X) + λI)⁻¹`` through the kernel and the solve at every
step.  Autograd through ``linattn.ntk.relu_ntk_core`` and a Cholesky solve records ~50
elementwise passes over the n × n kernel and differentiates the Cholesky factorisation
(two n × n triangular solves in its backward); the functions below give the same values
and gradients with a few passes and one more solve, so one ascent step costs about one
kernel evaluation plus two Cholesky solves (benchmark ``pga_step``).

:func:`arccos_ntk` -- the ReLU NTK from inner products, H = G (π − arccos u)/(2π) with
u = G/(a bᵀ), G a Gram block of feature vectors and a, b their norms; the conventions of
:func:`linattn.ntk.relu_ntk`: u clamped to [−1, 1], the arc-cosine term's subgradient zero
where |u| = 1 off the diagonal, H_ii = a_i²/2 exactly in the symmetric case.  Backward, with
s(u) = (π − arccos u)/(2π), s'(u) = 1/(2π√(1 − u²)) (0 where |u| = 1) and the cotangent H̄
(from dH = s dG + G s' du, du = dG/(a bᵀ) − u (da/a + db/b)):

    Ḡ = H̄ ⊙ (s + u s'),   R = H̄ ⊙ G ⊙ u ⊙ s',   ā = −R 1 / a,   b̄ = −Rᵀ 1 / b

(symmetric case: the diagonal is left out of Ḡ and R and contributes ā_i += H̄_ii a_i).
:func:`relu_ntk_adjoint` (features Φ, Ψ: G = Φ Ψᵀ, a, b the row norms) and
:func:`attention_gram_kernels` (MLP-Attn from G = X Xᵀ alone, for d > n) build on it.

:func:`ridge_influence` -- I = Kt (K + λI)⁻¹ (K: (n, n) symmetric, Kt: (k, n)), solved with
one gated Cholesky factor (:func:`linattn.influence.spd_factor`, ``factor_solve``).
Backward with the cotangent Ī:
V = (K + λI)⁻¹ Īᵀ (one more solve with the forward's Cholesky factor), K̄ = −Z Vᵀ with
Z = Iᵀ, K̄t = Vᵀ (the adjoint of a solve; exact, no factorisation is differentiated).

All are first-order exact (tested against autograd of the library's formulas with
``torch.autograd.gradcheck``) but not twice differentiable, and ``torch.func`` transforms do
not see through them: the first-order estimate of the malleability uses the autograd path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from linattn.influence import factor_solve, spd_factor
from linattn.validate import as_matrix, check_same_cols, finite_result, own_dtype, positive_ridge
from pyverify.errors import InputError

__all__ = ["arccos_ntk", "attention_gram_kernels", "feature_kernels", "influence_fn",
           "relu_ntk_adjoint", "ridge_influence"]

_TWO_PI = 2.0 * math.pi


def _check_norms(a: torch.Tensor, name: str) -> None:
    zero = (a.detach() == 0).nonzero()
    if zero.numel():
        i = int(zero[0, 0])
        raise InputError.for_arg(name, "zero row: angle undefined", i,
                                 hint=f"row {i} has norm 0")


class _Arccos(torch.autograd.Function):
    """H = G (π − arccos u)/(2π), u = G/(a bᵀ), from a Gram block G and row norms a, b."""

    @staticmethod
    def forward(ctx: Any, G: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                sym: bool) -> torch.Tensor:
        with torch.no_grad():
            G = G.detach()
            U = (G / torch.outer(a, b)).clamp_(-1.0, 1.0)  # a_i b_j commutes: symmetric
            if sym:
                U.diagonal().fill_(1.0)
            S = torch.arccos(U).mul_(-1.0 / _TWO_PI).add_(0.5)  # (π − arccos u)/(2π)
            H = G * S
            if sym:
                H.diagonal().copy_(0.5 * a * a)
        ctx.sym = sym
        ctx.save_for_backward(a, b, G, U, S)
        return H

    @staticmethod
    def backward(ctx: Any, Hbar: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        a, b, G, U, S = ctx.saved_tensors
        # 1 - u² > 0 exactly where |u| < 1 (u² rounds below 1); the other entries get 0
        t = torch.mul(U, U).neg_().add_(1.0)
        sp = torch.where(t > 0, U * torch.rsqrt(t), 0.0).mul_(1.0 / _TWO_PI)  # u s'(u)
        Gbar = (sp + S).mul_(Hbar)
        R = sp.mul_(Hbar).mul_(G)  # H̄ G u s'
        if ctx.sym:
            d = Hbar.diagonal().clone()
            Gbar.diagonal().zero_()
            R.diagonal().zero_()
            abar = -R.sum(1) / a + d * a  # H_ii = a_i²/2
        else:
            abar = -R.sum(1) / a
        return Gbar, abar, -R.sum(0) / b, None


def _ntk(P: torch.Tensor, Q: torch.Tensor | None = None, *,
         symmetric: bool = False) -> torch.Tensor:
    """H(P, Q) (Q None: H(P, P)); ``symmetric``: symmetrise P Pᵀ first, so H == Hᵀ exactly
    (the ascent skips it: its Cholesky solve reads one triangle)."""
    a = torch.linalg.vector_norm(P, dim=1)
    _check_norms(a, "Phi")
    if Q is None:
        G = P @ P.T
        return _Arccos.apply(0.5 * (G + G.T) if symmetric else G, a, a, True)
    b = torch.linalg.vector_norm(Q, dim=1)
    _check_norms(b, "Psi")
    return _Arccos.apply(P @ Q.T, a, b, False)


def relu_ntk_adjoint(Phi: Any, Psi: Any = None) -> torch.Tensor:
    """The ReLU NTK H(Φ, Ψ) (Ψ None: H(Φ, Φ)) with the hand-written backward of the module
    docstring.  Phi: (n, p), Psi: (m, p) -> (n, m); values equal ``relu_ntk(Φ, Ψ)`` to
    rounding (``pyverify.tolerance.arccos_rtol``); zero rows raise InputError."""
    P = as_matrix(Phi, "Phi", dtype=own_dtype(Phi))
    Q = None
    if Psi is not None:
        Q = as_matrix(Psi, "Psi", dtype=P.dtype, device=P.device)
        check_same_cols(P, Q, "Phi", "Psi")
    return finite_result(_ntk(P, Q, symmetric=True), "NTK H", "Phi")


def arccos_ntk(G: Any, a: Any, b: Any = None) -> torch.Tensor:
    """The same kernel from inner products: H = G (π − arccos u)/(2π), u = G/(a bᵀ), for a
    Gram block G: (n, m) of feature vectors with norms a: (n,) and b: (m,) (b None: the
    symmetric G(Φ, Φ), diagonal a²/2).  Differentiable in G, a and b (module docstring)."""
    Gt = as_matrix(G, "G", dtype=own_dtype(G))
    at = as_matrix(a, "a", ndim=1, dtype=Gt.dtype, device=Gt.device)
    bt = at if b is None else as_matrix(b, "b", ndim=1, dtype=Gt.dtype, device=Gt.device)
    if Gt.shape != (at.shape[0], bt.shape[0]) or bool((at <= 0).any() or (bt <= 0).any()):
        raise InputError.for_arg("G", f"must be (len(a), len(b)) = ({at.shape[0]}, "
                                 f"{bt.shape[0]}) with norms a, b > 0", tuple(Gt.shape))
    return finite_result(_Arccos.apply(Gt, at, bt, b is None), "NTK H", "G")


def attention_gram_kernels(X: Any, T: Any
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """MLP-Attn's (K(X, X), K(T, X)) from inner products only, for d > n: with G = X Xᵀ,
    S = T Xᵀ and the features Φ = X C = G X, Φ_T = T C = S X (C = XᵀX), the feature Grams
    are Φ Φᵀ = G³, Φ_T Φᵀ = S G² and ‖Φ_T,t‖² = (S G Sᵀ)_tt: n² d + k n d + O(n³) flops
    instead of the features' ~4 n² d.  X: (n, d), T: (k, d) (differentiable in both)."""
    X = as_matrix(X, "X_train", dtype=own_dtype(X))
    T = as_matrix(T, "X_test", dtype=X.dtype, device=X.device)
    check_same_cols(X, T, "X_train", "X_test")
    G = X @ X.T
    S = T @ X.T
    KG = (G @ G) @ G  # G³ = Φ Φᵀ
    a = torch.sqrt(torch.clamp(KG.diagonal(), min=0.0))
    SG = S @ G
    b = torch.sqrt(torch.clamp((SG * S).sum(1), min=0.0))
    _check_norms(a, "X_train")
    _check_norms(b, "X_test")
    return (finite_result(_Arccos.apply(KG, a, a, True), "NTK K(X, X)", "X_train"),
            finite_result(_Arccos.apply(SG @ G, b, a, False), "NTK K(T, X)", "X_test"))


class _RidgeInfluence(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, K: torch.Tensor, Kt: torch.Tensor, lam: float) -> torch.Tensor:
        A = K.detach().clone()
        A.diagonal().add_(lam)  # K + λI in place: no n × n identity
        L = spd_factor(A, "K + ridge I")  # one factorisation for the forward and backward
        del A
        Z = factor_solve(L, Kt.detach().T, "K + ridge I")
        ctx.save_for_backward(L, Z)
        return Z.T

    @staticmethod
    def backward(ctx: Any, Ibar: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        L, Z = ctx.saved_tensors
        V = factor_solve(L, Ibar.T, "K + ridge I")
        return torch.mm(Z, V.T).neg_(), V.T, None


def ridge_influence(K: Any, Kt: Any, ridge: float) -> torch.Tensor:
    """I = Kt (K + ridge I)⁻¹ for symmetric K: (n, n), Kt: (k, n), ridge > 0 -> (k, n),
    differentiable in K and Kt by the solve's adjoint (module docstring); both solves use one
    Cholesky factor (:func:`linattn.influence.spd_factor`: only the factorisation is gated;
    gate K first)."""
    lam = positive_ridge(ridge)
    Kx = as_matrix(K, "K", dtype=own_dtype(K))
    if Kx.shape[0] != Kx.shape[1]:
        raise InputError.for_arg("K", "must be square", tuple(Kx.shape))
    Kty = as_matrix(Kt, "Kt", dtype=Kx.dtype, device=Kx.device)
    if Kty.shape[1] != Kx.shape[0]:
        raise InputError.for_arg("Kt", f"must have n = {Kx.shape[0]} columns",
                                 tuple(Kty.shape))
    return _RidgeInfluence.apply(Kx, Kty, lam)


FeatureMap = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``phi(keys, Z) -> features``: keys (n, d) the (perturbed) training inputs, Z (k, d) the
points to map; returns (k, p), differentiable in keys and Z."""
Kernels = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``kernels(X, T) -> (K(X, X), K(T, X))``, differentiable in X."""


def feature_kernels(phi: FeatureMap) -> Kernels:
    """(X, T) ↦ (H(phi(X, X)), H(phi(X, T), phi(X, X))), H the ReLU NTK with the adjoint
    of the module docstring; ``phi`` must be callable (its outputs are trusted: validate
    them once before an attack).  A ``phi.pair(X, T) -> (phi(X, X), phi(X, T))`` attribute,
    where present, computes both at once (``linattn.multihead.multihead_phi``)."""
    if not callable(phi):
        raise InputError.for_arg("phi", "must be callable (keys, Z) -> features",
                                 type(phi).__name__)

    pair = getattr(phi, "pair", None)

    def kernels(X: torch.Tensor, T: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        FX, FT = pair(X, T) if callable(pair) else (phi(X, X), phi(X, T))
        return _ntk(FX), _ntk(FT, FX)

    return kernels


def influence_fn(kernels: Kernels, X_test: Any, ridge: float
                 ) -> Callable[[torch.Tensor], torch.Tensor]:
    """X ↦ I(X) = K(T, X) (K(X, X) + ridge I)⁻¹, (k, n), with (K(X, X), K(T, X)) =
    ``kernels(X, T)`` (:func:`feature_kernels`, :func:`attention_gram_kernels`) and the solve
    of :func:`ridge_influence`: the objective of one ascent step, validated once here
    (T: (k, d), ridge > 0), not per call."""
    if not callable(kernels):
        raise InputError.for_arg("kernels", "must be callable (X, T) -> (K, Kt)",
                                 type(kernels).__name__)
    T = as_matrix(X_test, "X_test", dtype=own_dtype(X_test)).detach()
    lam = positive_ridge(ridge)

    def influence(X: torch.Tensor) -> torch.Tensor:
        K, Kt = kernels(X, T.to(X.dtype))
        return _RidgeInfluence.apply(K, Kt, lam)

    return influence
