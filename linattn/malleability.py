"""Influence malleability of kernel ridge regression with an architecture's NTK.

Definition (claim ``malleability-ratio``; the paper does not state its attack, so this is
ours, the per-row relative l2 ball):

    For training inputs X (with labels y) and held-out test inputs T: I(X) is the influence
    matrix of kernel ridge regression with the architecture's NTK, where for MLP-Attn the
    attention map C is rebuilt from the (perturbed) training inputs.  Malleability
    M(eps) = max over perturbations delta with ||delta_j||_2 <= eps ||x_j||_2 for every
    training row j of ||I(X + delta) - I(X)||_F / ||I(X)||_F.

Here I(X) = K(T, X) (K(X, X) + lambda I)^{-1} (n_test, n) with K = ``ntk.relu_ntk`` for
``arch="relu"`` and K = ``ntk.mlp_attn_ntk`` with C = (X + delta)^T (X + delta) (also in
K(T, X)) for ``arch="mlp_attn"``.  The labels do not enter I.

Ridge: with ``relative_ridge=True`` (default) the absolute ridge is
lambda = ridge * tr(K(X, X)) / n of the UNPERTURBED kernel, held fixed during the attack.
The attention kernel's scale is ~ n^2 (||x||^4 C-scale) times ReLU's, so one absolute
ridge would regularise the two architectures incomparably; a ridge relative to the mean
eigenvalue makes them comparable.  ``relative_ridge=False`` uses ``ridge`` as given.

Estimation: projected gradient ascent on F(delta) = ||I(X + delta) - I(X)||_F / ||I(X)||_F
(autograd through the kernel and the Cholesky solve), ``restarts`` starts, each the best of
``init_samples`` random points on the boundary of the feasible set (the landscape has
several local maxima: plain ascent from one random point can end below a random sample),
then ``steps`` steps each of size ``step_size`` (default
2.5/steps) times eps ||x_j|| along the row-normalised gradient, each row projected back on
its ball.  The best F seen (over all iterates and restarts) is reported: a lower bound on
M(eps) (a maximisation in a non-convex problem).

First-order estimate: eps ||J D||_2 / ||I(X)||_F with J = dI/dX (a linear map on
delta, (n, d) -> (n_test, n), Frobenius norms) and D scaling row j by ||x_j||; ||J D||_2
by ``power_iters`` power iterations on (J D)^T (J D) with ``torch.func.jvp``/``vjp``.  The
per-row feasible set contains the Frobenius ball of radius eps (in u = D^{-1} delta) and
lies in the one of radius eps sqrt(n), so to first order eps ||JD|| / ||I|| <= M(eps) <=
sqrt(n) eps ||JD|| / ||I|| (``first_order_upper``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from linattn.checks import check_kernel
from linattn.influence import add_ridge, ridge_solve
from linattn.ntk import relu_ntk_core
from linattn.validate import as_matrix, as_pair, own_dtype, positive_ridge
from pyverify.errors import InputError, NumericalError

__all__ = ["ARCHS", "MalleabilityResult", "estimate_malleability", "projected_gradient_ascent"]

ARCHS = ("relu", "mlp_attn")


@dataclass(frozen=True)
class MalleabilityResult:
    """PGA estimate of M(eps) and its first-order estimate (see the module docstring)."""

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
    relative_ridge: bool
    init_samples: int
    cond: float | None = None  # 2-norm kappa(K + ridge_abs I) of the unperturbed system


def _kernels(arch: str, X: torch.Tensor, T: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if arch == "mlp_attn":
        C = X.T @ X
        X, T = X @ C, T @ C
    return relu_ntk_core(X, None, "X_train", "X_train"), relu_ntk_core(T, X, "X_test", "X_train")


def _influence_fn(arch: str, T: torch.Tensor, lam: float) -> Callable[[torch.Tensor],
                                                                      torch.Tensor]:
    def influence(X: torch.Tensor) -> torch.Tensor:
        K, Kt = _kernels(arch, X, T)
        return ridge_solve(add_ridge(K, lam), Kt.T, check=False).T

    return influence


def _project(delta: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    nrm = torch.linalg.vector_norm(delta, dim=1, keepdim=True)
    scale = torch.clamp(radii[:, None] / torch.clamp(nrm, min=torch.finfo(nrm.dtype).tiny),
                        max=1.0)
    return delta * scale


def _unit_rows(g: torch.Tensor) -> torch.Tensor:
    nrm = torch.linalg.vector_norm(g, dim=1, keepdim=True)
    return g / torch.clamp(nrm, min=torch.finfo(g.dtype).tiny)


def projected_gradient_ascent(F: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor,
                              radii: torch.Tensor, steps: int, alpha: float,
                              gen: torch.Generator, init_samples: int
                              ) -> tuple[float, torch.Tensor]:
    """Projected gradient ascent of ``F(delta)`` over the per-row balls
    ``||delta_j|| <= radii_j`` (X: (n, d), radii: (n,)): start from the best of
    ``init_samples`` random boundary points, ``steps`` row-normalised steps of ``alpha``
    radii.  Returns the best value seen and the perturbation that attained it.

    ``F`` maps a perturbation (n, d) to a scalar tensor; ``gen`` seeds the random starts."""
    if not callable(F):
        raise InputError.for_arg("F", "must be callable (perturbation -> scalar tensor)",
                                 type(F).__name__)
    X = as_matrix(X, "X", dtype=own_dtype(X))
    radii = as_matrix(radii, "radii", ndim=1, dtype=X.dtype, device=X.device)
    if radii.shape[0] != X.shape[0] or bool((radii < 0).any()):
        raise InputError.for_arg("radii", f"must be {X.shape[0]} numbers >= 0",
                                 tuple(radii.shape))
    for name, v in (("steps", steps), ("init_samples", init_samples)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be an integer >= 1", v)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not (
            alpha > 0 and math.isfinite(alpha)):
        raise InputError.for_arg("alpha", "must be a finite number > 0", alpha)
    if not isinstance(gen, torch.Generator):
        raise InputError.for_arg("gen", "must be a torch.Generator", type(gen).__name__)
    best, delta = -math.inf, None
    with torch.no_grad():  # random search on the boundary: start from the best sample
        for _ in range(init_samples):
            start = torch.randn(X.shape, generator=gen, dtype=X.dtype).to(X.device)
            cand = _unit_rows(start) * radii[:, None]
            val = float(F(cand))
            if val > best:
                best, delta = val, cand
    best_delta = delta
    for _ in range(steps):
        delta = delta.detach().requires_grad_(True)
        val = F(delta)
        (g,) = torch.autograd.grad(val, delta)
        if float(val.detach()) > best:
            best, best_delta = float(val.detach()), delta.detach()
        delta = _project(delta.detach() + alpha * radii[:, None] * _unit_rows(g), radii)
    with torch.no_grad():
        val = float(F(delta))
    return (val, delta) if val > best else (best, best_delta)


def _first_order(influence: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor,
                 row_norms: torch.Tensor, iters: int, gen: torch.Generator) -> float:
    from torch.func import jvp, vjp

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


def estimate_malleability(X_train: Any, X_test: Any, *, arch: str = "relu", eps: float,
                 ridge: float, steps: int = 30, restarts: int = 3, seed: int = 0,
                 relative_ridge: bool = True, first_order: bool = True,
                 power_iters: int = 20, step_size: float | None = None,
                 init_samples: int = 32, dtype: Any = None,
                 device: Any = None, check: bool = True) -> MalleabilityResult:
    """Estimate M(eps) for KRR with the ``arch`` NTK (definition in the module docstring).

    X_train: (n, d), X_test: (n_test, d).  eps >= 0, ridge > 0, steps >= 1, restarts >= 1.
    ``check`` gates the unperturbed kernel (Appendix A.8) before the attack.
    """
    if arch not in ARCHS:
        raise InputError.for_arg("arch", f"must be one of {ARCHS}", arch)
    if not (isinstance(eps, int | float) and math.isfinite(eps) and eps >= 0):
        raise InputError.for_arg("eps", "must be a finite number >= 0", eps)
    for name, v in (("steps", steps), ("restarts", restarts), ("power_iters", power_iters),
                    ("init_samples", init_samples)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be an integer >= 1", v)
    lam = positive_ridge(ridge)
    X, T = as_pair(X_train, X_test, dtype, device)
    X, T = X.detach(), T.detach()
    alpha = 2.5 / steps if step_size is None else float(step_size)
    with torch.no_grad():
        K0, _ = _kernels(arch, X, T)
    n = X.shape[0]
    lam_abs = lam * float(torch.trace(K0)) / n if relative_ridge else lam
    health = check_kernel(K0, ridge=lam_abs, name=f"{arch} NTK K(X_train, X_train)") \
        if check else None
    influence = _influence_fn(arch, T, lam_abs)
    with torch.no_grad():
        I0 = influence(X)
    base = float(torch.linalg.norm(I0))
    if not math.isfinite(base):
        raise NumericalError.for_arg("X_train", "influence matrix norm is not finite", base)
    if not base > 0:
        raise NumericalError.for_arg("X_test", "influence matrix is zero: M undefined", base)
    row_norms = torch.linalg.vector_norm(X, dim=1)
    radii = eps * row_norms

    def F(delta: torch.Tensor) -> torch.Tensor:
        return torch.linalg.norm(influence(X + delta) - I0) / base

    gen = torch.Generator().manual_seed(int(seed))
    if eps == 0:
        per = tuple(0.0 for _ in range(restarts))
        fo = 0.0 if first_order else None
    else:
        per = tuple(projected_gradient_ascent(F, X, radii, steps, alpha, gen, init_samples)[0]
                    for _ in range(restarts))
        fo = (eps * _first_order(influence, X, row_norms, power_iters, gen) / base
              if first_order else None)
    upper = None if fo is None else math.sqrt(n) * fo
    return MalleabilityResult(max(per), fo, upper, steps, restarts, per, float(eps),
                              float(ridge), lam_abs, base, arch, alpha, power_iters,
                              bool(relative_ridge), init_samples,
                              None if health is None else health.cond)
