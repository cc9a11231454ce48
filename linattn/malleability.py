"""Influence malleability of kernel ridge regression with an architecture's NTK.

Definition (claim ``malleability-ratio``; the paper does not state its attack, so the threat
models are ours, :mod:`linattn.threats`):

    For training inputs X (n, d) and held-out test inputs T (n_test, d): I(X) is the influence
    matrix of kernel ridge regression with the architecture's NTK, rebuilt from the
    (perturbed) training inputs.  Malleability under a threat model with feasible set B,
    M = max_{δ ∈ B} ‖I(X + δ) − I(X)‖_F / ‖I(X)‖_F.

Architectures are feature maps ``phi(keys, Z) -> features (k, p)`` (differentiable in keys
and Z; keys = the perturbed training inputs) under the ReLU NTK ``relu_ntk``:

    K(X, X) = relu_ntk(phi(X, X)),  K(T, X) = relu_ntk(phi(X, T), phi(X, X)),
    I(X) = K(T, X) (K(X, X) + λI)⁻¹   (n_test, n; the labels do not enter I).

``arch="relu"`` is phi(keys, Z) = Z; ``arch="mlp_attn"`` (alias ``"linear"``, the name of
:mod:`linattn.feature_maps`: one phi) is linearized attention,
phi(keys, Z) = Z (keysᵀ keys) = Z C, computed as (Z keysᵀ) keys (n k d flops) when d > n and
Z (keysᵀ keys) (n d² + k d²) otherwise; when d > n the ascent evaluates its kernels from
inner products alone (:func:`linattn.adjoint.attention_gram_kernels`; also for the callable
``linattn.feature_maps.linear_phi()``).  The other names of
:data:`linattn.feature_maps.FEATURE_MAPS` resolve there.  Any other callable
is used as phi (softmax attention, several heads, LayerNorm, ...): it must be differentiable
and return finite (k, p) features.  Only a rotation-equivariant phi (phi(keys Q, Z Q) =
phi(keys, Z) Q' for orthogonal Q, as relu, mlp_attn and softmax attention are) may be run on
the span coordinates of :mod:`linattn.reduce`; give any other (LayerNorm) pixel coordinates.

Ridge (``ridge_mode``): ``"relative"``: λ = ridge · tr K(X, X) / n of the unperturbed kernel,
per architecture (the attention kernel is ~(n‖x‖²)² times ReLU's; a ridge relative to the
mean eigenvalue makes the two comparable); ``"absolute"``: λ = ridge, the same for every
architecture (the convention of the paper's sensitivity analysis), in the kernel's units:
pixels in [0, 1], so K_relu(x, x) = ‖x‖²/2 is 7.5 (digits), ~43 (MNIST), ~430 (CIFAR-10)
on average.  λ is held fixed during the attack.

Gates: with ``check`` the unperturbed K(X, X) passes the Appendix A.8 gates
(``linattn.checks.check_kernel``: symmetry, PSD, 2-norm κ(K + λI) < 1e12) before any attack;
a failure raises :class:`~pyverify.errors.KernelHealthError` with the measured κ in ``value``.

Estimation: projected gradient ascent (:func:`linattn.threats.ascend`; ``restarts`` runs,
each from the best of ``init_samples`` random starts, ``steps`` steps of ``step_size``
(default 2.5/steps) radii or ε; the best value seen: a lower bound on M), differentiating
through the kernel and the solve by the hand-written adjoints of :mod:`linattn.adjoint`.
For each attack the top-k overlap (Jaccard) and Spearman ρ of I before and after the best δ
(:mod:`linattn.attribution`).  Poisoning picks its rows by :func:`linattn.threats.sensitive_rows`.

First-order estimate (``l2-row`` only): ε ‖J D‖₂ / ‖I(X)‖_F with J = dI/dX and D scaling row j
by ‖x_j‖, by ``power_iters`` power iterations with ``torch.func.jvp``/``vjp`` (autograd
through ``relu_ntk_core`` and the Cholesky solve).  The per-row balls contain the Frobenius
ball of radius ε (in u = D⁻¹δ) and lie in the one of radius ε√n, so to first order
ε‖JD‖/‖I‖ <= M <= √n ε‖JD‖/‖I‖ (``first_order_upper``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from linattn.adjoint import (
    FeatureMap,
    Kernels,
    attention_gram_kernels,
    feature_kernels,
    influence_fn,
)
from linattn.attack import Attack, Targeted, run_attacks
from linattn.checks import check_kernel
from linattn.feature_maps import FEATURE_MAPS, linear_phi
from linattn.feature_maps import feature_map as variant_feature_map
from linattn.influence import add_ridge, ridge_solve
from linattn.ntk import relu_ntk_core
from linattn.threats import Threat, projected_gradient_ascent
from linattn.validate import as_matrix, as_pair, own_dtype, positive_ridge
from pyverify.errors import InputError, NumericalError

__all__ = ["ARCHS", "ARCH_NAMES", "RIDGE_MODES", "MalleabilityResult", "Sweep", "arch_kernels",
           "estimate_malleability", "feature_map", "malleability_sweep", "plain_influence",
           "projected_gradient_ascent"]

ARCHS = ("relu", "mlp_attn")
RIDGE_MODES = ("relative", "absolute")
ARCH_NAMES = (*ARCHS, *FEATURE_MAPS)
"""Every name :func:`feature_map` resolves: :data:`ARCHS` and the variants of
:data:`linattn.feature_maps.FEATURE_MAPS` ("linear" is "mlp_attn": one phi)."""

_LINEAR = linear_phi()


def _relu_phi(keys: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
    return Z


def feature_map(arch: Any, **kw: Any) -> tuple[str, FeatureMap]:
    """``(name, phi)`` of an architecture: "relu" (phi(keys, Z) = Z), "mlp_attn" or its
    alias "linear" (:func:`linattn.feature_maps.linear_phi`, the same phi), any other name of
    :data:`linattn.feature_maps.FEATURE_MAPS` with its keyword arguments ``kw``
    (:func:`linattn.feature_maps.feature_map`), or a callable phi (name: its ``__name__``)."""
    if isinstance(arch, str) and arch in ARCH_NAMES:
        if arch in ("relu", "mlp_attn", "linear") and kw:
            raise InputError.for_arg("kw", f"{arch} takes no keyword arguments", sorted(kw))
        if arch == "relu":
            return arch, _relu_phi
        if arch in ("mlp_attn", "linear"):
            return "mlp_attn", _LINEAR
        return arch, variant_feature_map(arch, **kw)
    if callable(arch) and not isinstance(arch, str | type):
        if kw:
            raise InputError.for_arg("kw", "a callable arch takes no keyword arguments",
                                     sorted(kw))
        return getattr(arch, "__name__", type(arch).__name__), arch
    raise InputError.for_arg("arch", f"must be one of {ARCH_NAMES} or a feature map "
                             "phi(keys, Z) -> features", arch)


def arch_kernels(arch: Any, n: int, d: int) -> Kernels:
    """The ascent's kernels (X, T) ↦ (K(X, X), K(T, X)) of ``arch`` for X: (n, d): MLP-Attn
    from inner products (:func:`linattn.adjoint.attention_gram_kernels`) when d > n, else
    the feature route ``feature_kernels(phi)``."""
    _, phi = feature_map(arch)
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be an integer >= 1", v)
    if phi is _LINEAR and d > n:
        return attention_gram_kernels
    return feature_kernels(phi)


def _features(phi: FeatureMap, X: torch.Tensor, T: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    FX, FT = phi(X, X), phi(X, T)
    for name, F, rows in (("phi(X, X)", FX, X.shape[0]), ("phi(X, T)", FT, T.shape[0])):
        if not (isinstance(F, torch.Tensor) and F.ndim == 2 and F.shape[0] == rows
                and F.dtype == X.dtype):
            raise InputError.for_arg("arch", f"{name} must be a ({rows}, p) {X.dtype} tensor",
                                     getattr(F, "shape", type(F).__name__))
        if not bool(torch.isfinite(F.detach()).all()):
            raise NumericalError.for_arg("arch", f"{name} is not finite", None)
    if FX.shape[1] != FT.shape[1]:
        raise InputError.for_arg("arch", "phi(X, X) and phi(X, T) must have the same p",
                                 (tuple(FX.shape), tuple(FT.shape)))
    return FX, FT


def plain_influence(phi: FeatureMap, X_test: Any, ridge: float
                    ) -> Callable[[torch.Tensor], torch.Tensor]:
    """X ↦ I(X) (k, n) for test inputs X_test: (k, d) by ``relu_ntk_core`` and
    ``ridge_solve`` with autograd (differentiable twice and under ``torch.func``: the
    first-order estimate's route; :func:`linattn.adjoint.influence_fn` is the ascent's)."""
    _, phi = feature_map(phi)
    T = as_matrix(X_test, "X_test", dtype=own_dtype(X_test)).detach()
    lam = positive_ridge(ridge)

    def influence(X: torch.Tensor) -> torch.Tensor:
        FX, FT = phi(X, X), phi(X, T)
        K = relu_ntk_core(FX, None, "phi(X, X)", "phi(X, X)")
        Kt = relu_ntk_core(FT, FX, "phi(X, T)", "phi(X, X)")
        return ridge_solve(add_ridge(K, lam), Kt.T, check=False, method="cholesky").T

    return influence


def _first_order_sigma(influence: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor,
                       iters: int, gen: torch.Generator) -> float:
    """‖J D‖₂ by power iteration (module docstring)."""
    from torch.func import jvp, vjp

    row_norms = torch.linalg.vector_norm(X, dim=1)

    def g(u: torch.Tensor) -> torch.Tensor:
        return influence(X + row_norms[:, None] * u)

    zero = torch.zeros_like(X)
    _, pullback = vjp(g, zero)
    v = torch.randn(X.shape, generator=gen, dtype=X.dtype).to(X.device)
    v = v / torch.linalg.norm(v)
    sigma = 0.0
    for _ in range(iters):
        _, Jv = jvp(g, (zero,), (v,))
        sigma = float(torch.linalg.norm(Jv))
        (w,) = pullback(Jv)
        nw = torch.linalg.norm(w)
        if float(nw) == 0:
            return 0.0
        v = w / nw
    return sigma


@dataclass(frozen=True)
class Sweep:
    """Every attack on one (X, T, arch, ridge): the ridge used, κ(K + λI) (2-norm, None
    without ``check``), ‖I(X)‖_F, the untargeted :class:`~linattn.attack.Attack` s in the
    order of ``threats`` and the :class:`~linattn.attack.Targeted` attacks."""

    arch: str
    ridge: float
    ridge_mode: str
    ridge_abs: float
    cond: float | None
    base_norm: float
    n: int
    attacks: tuple[Attack, ...]
    targeted: tuple[Targeted, ...]


def _count(name: str, v: Any, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise InputError.for_arg(name, f"must be an integer >= {lo}", v)
    return v


def _threats(threats: Any, name: str) -> tuple[Threat, ...]:
    if isinstance(threats, Threat):
        return (threats,)
    if not isinstance(threats, Sequence) or isinstance(threats, str) or not all(
            isinstance(t, Threat) for t in threats):
        raise InputError.for_arg(name, "must be a sequence of linattn.threats.Threat",
                                 type(threats).__name__)
    return tuple(threats)


def malleability_sweep(X_train: Any, X_test: Any, *, arch: Any = "relu", ridge: float,
                       ridge_mode: str = "relative", threats: Sequence[Threat] = (),
                       targeted: Sequence[Threat] = (), n_targets: int = 0,
                       topk: int | None = 10, steps: int = 15, restarts: int = 1,
                       init_samples: int = 8, seed: int = 0, step_size: float | None = None,
                       first_order: bool = False, power_iters: int = 10, dtype: Any = None,
                       device: Any = None, check: bool = True) -> Sweep:
    """Run every attack of ``threats`` (and the targeted ones) on one architecture and ridge.

    X_train: (n, d), X_test: (n_test, d); ``arch`` a name of :data:`ARCHS` or a feature map
    (module docstring); ``ridge`` > 0 in ``ridge_mode`` (:data:`RIDGE_MODES`); ``topk``
    (1 <= topk < n) the attribution set size (None: no attribution metrics, no targets);
    ``targeted``/``n_targets``: for each threat there and each of ``n_targets`` test points
    (drawn by ``seed``), one push-in and one push-out attack
    (:func:`linattn.attack.run_attacks`).  ``first_order``: add the first-order estimate to
    every ``l2-row`` attack.  KernelHealthError if the gates fail.
    """
    name, phi = feature_map(arch)
    if ridge_mode not in RIDGE_MODES:
        raise InputError.for_arg("ridge_mode", f"must be one of {RIDGE_MODES}", ridge_mode)
    threats, targeted = _threats(threats, "threats"), _threats(targeted, "targeted")
    for arg, v in (("steps", steps), ("restarts", restarts), ("power_iters", power_iters),
                   ("init_samples", init_samples)):
        _count(arg, v)
    _count("n_targets", n_targets, 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError.for_arg("seed", "must be an integer in [0, 2^63)", seed)
    if not isinstance(first_order, bool) or not isinstance(check, bool):
        raise InputError.for_arg("first_order/check", "must be bools", (first_order, check))
    alpha = 2.5 / steps if step_size is None else step_size
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not (
            alpha > 0 and math.isfinite(alpha)):
        raise InputError.for_arg("step_size", "must be a finite number > 0 or None", step_size)
    lam = positive_ridge(ridge)
    X, T = as_pair(X_train, X_test, dtype, device)
    X, T = X.detach(), T.detach()
    n = X.shape[0]
    if topk is not None and (isinstance(topk, bool) or not isinstance(topk, int)
                             or not 1 <= topk < n):
        raise InputError.for_arg("topk", f"must be None or an integer in 1..{n - 1}", topk)
    with torch.no_grad():
        FX, _ = _features(phi, X, T)
        K0 = relu_ntk_core(FX, None, "phi(X, X)", "phi(X, X)")
    lam_abs = lam * float(torch.trace(K0)) / n if ridge_mode == "relative" else lam
    cond = check_kernel(K0, ridge=lam_abs, name=f"{name} NTK K(X_train, X_train)").cond \
        if check else None
    influence = influence_fn(arch_kernels(arch, n, X.shape[1]), T, lam_abs)
    with torch.no_grad():
        I0 = influence(X)
    base = float(torch.linalg.norm(I0))
    if not math.isfinite(base):
        raise NumericalError.for_arg("X_train", "influence matrix norm is not finite", base)
    if not base > 0:
        raise NumericalError.for_arg("X_test", "influence matrix is zero: M undefined", base)
    sigma = None
    gen = torch.Generator().manual_seed(seed)
    if first_order and any(t.name == "l2-row" for t in threats):
        sigma = _first_order_sigma(plain_influence(phi, T, lam_abs), X, power_iters, gen)
    attacks, tgt = run_attacks(influence, X, I0, threats, targeted, n_targets=n_targets,
                               topk=topk, steps=steps, restarts=restarts, alpha=alpha,
                               init_samples=init_samples, gen=gen, sigma=sigma)
    return Sweep(name, lam, ridge_mode, lam_abs, cond, base, n, attacks, tgt)


@dataclass(frozen=True)
class MalleabilityResult:
    """PGA estimate of M and its first-order estimate (see the module docstring)."""

    value: float
    first_order: float | None
    first_order_upper: float | None
    steps: int
    restarts: int
    per_restart: tuple[float, ...]
    eps: float
    ridge: float
    ridge_abs: float
    base_norm: float
    arch: str
    step_size: float
    power_iters: int
    ridge_mode: str
    init_samples: int
    cond: float | None = None  # 2-norm kappa(K + ridge_abs I) of the unperturbed system
    threat: str = "l2-row"
    topk_jaccard: float | None = None
    spearman: float | None = None


def estimate_malleability(X_train: Any, X_test: Any, *, arch: Any = "relu", eps: float,
                          ridge: float, threat: str = "l2-row", poison_k: int | None = None,
                          box: tuple[float, float] | None = (0.0, 1.0), steps: int = 30,
                          restarts: int = 3, seed: int = 0, ridge_mode: str = "relative",
                          first_order: bool = True, power_iters: int = 20,
                          step_size: float | None = None, init_samples: int = 32,
                          dtype: Any = None, device: Any = None,
                          check: bool = True) -> MalleabilityResult:
    """Estimate M for KRR with the ``arch`` NTK under one threat (module docstring).

    X_train: (n, d), X_test: (n_test, d).  ``threat`` "l2-row" (radius ``eps`` relative per
    row), "linf" (pixel budget ``eps`` inside ``box``) or "poison" (``poison_k`` rows of the
    linf set); eps >= 0, ridge > 0, steps >= 1, restarts >= 1.  ``check`` gates the
    unperturbed kernel (Appendix A.8) before the attack."""
    if not (isinstance(eps, int | float) and not isinstance(eps, bool) and math.isfinite(eps)
            and eps >= 0):
        raise InputError.for_arg("eps", "must be a finite number >= 0", eps)
    th = Threat(threat, float(eps), poison_k if threat == "poison" else None,
                box if threat != "l2-row" else None) if isinstance(threat, str) else None
    if th is None:
        raise InputError.for_arg("threat", "must be a threat name", threat)
    n = as_pair(X_train, None, dtype, device)[0].shape[0]
    sw = malleability_sweep(X_train, X_test, arch=arch, ridge=ridge, ridge_mode=ridge_mode,
                            threats=(th,), topk=min(10, n - 1) if n > 1 else None,
                            steps=steps, restarts=restarts, init_samples=init_samples,
                            seed=seed, step_size=step_size,
                            first_order=first_order and threat == "l2-row",
                            power_iters=power_iters, dtype=dtype, device=device, check=check)
    a = sw.attacks[0]
    return MalleabilityResult(a.value, a.first_order, a.first_order_upper, steps, restarts,
                              a.per_restart, float(eps), float(ridge), sw.ridge_abs,
                              sw.base_norm, sw.arch, 2.5 / steps if step_size is None
                              else float(step_size), power_iters, ridge_mode, init_samples,
                              sw.cond, threat, a.topk_jaccard, a.spearman)
