"""Learning dynamics of the two-layer ReLU network and MLP-Attn (the paper's Table 6,
Figures 4 and 5; claim ``learning-dynamics``).

Network: :class:`linattn.ntk.TwoLayerReLU`, f(x) = m^{-1/2} Σ_r a_r relu(w_r^T x'), only
``W: (m, d')`` trained, on the inputs it sees: x' = x (``arch="relu"``) or x' = C x / s
(``arch="mlp_attn"``, C = X^T X of the training set, fixed; s from :func:`attn_scale`).

* :func:`train_gd`: full-batch gradient descent on ``L(W) = (1/2n) Σ_i (f(x_i) − y_i)²``
  with step ``η = lr_scale · n / λ_max(H_0)`` (H_0 the empirical NTK at initialisation:
  the largest stable step of the linearised dynamics times ``lr_scale``);
* :func:`loss_landscape`: ``L(W* + α d₁ + β d₂)`` on a grid (Li et al. 2018), Gaussian
  directions with every row rescaled to the norm of the same row of W* (filter
  normalisation);
* :func:`empirical_influence_fn` and :func:`malleability_objective`: influence of kernel
  ridge regression with the *empirical* NTK of the current weights,
  ``I(X) = Θ(T, X)(Θ(X, X) + λI)⁻¹`` (:func:`linattn.ntk.finite_width_ntk`, indicators
  frozen in the gradient, re-evaluated in every value; C rebuilt from the perturbed
  inputs for MLP-Attn), solved by :func:`linattn.influence.ridge_solve` and gated by the
  Appendix A.8 gates on the unperturbed kernel, as :mod:`linattn.malleability` does;
* :func:`attack`: projected gradient ascent of the relative change
  ``‖I(X + δ) − I(X)‖_F/‖I(X)‖_F`` over ``‖δ_j‖₂ ≤ ε‖x_j‖₂`` per row
  (:func:`linattn.malleability.projected_gradient_ascent`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch

from linattn.checks import check_kernel
from linattn.influence import ridge_solve
from linattn.malleability import ARCHS, projected_gradient_ascent
from linattn.ntk import TwoLayerReLU, finite_width_ntk, relu_ntk_closed_form
from linattn.validate import (
    as_matrix,
    check_same_cols,
    finite_result,
    own_dtype,
    positive_ridge,
)
from pyverify.errors import ConfigError, InputError, NumericalError

__all__ = [
    "ATTN_SCALES",
    "Landscape",
    "Objective",
    "TrainResult",
    "arch_inputs",
    "attack",
    "attn_scale",
    "empirical_influence_fn",
    "loss_landscape",
    "malleability_objective",
    "mse_loss",
    "train_gd",
]

ATTN_SCALES = ("spectral", "n", "none")
"""How MLP-Attn's C = X^T X is normalised (the paper does not say): by σ_max(X)² (so
‖C‖₂ = 1 and ‖C x‖ ≤ ‖x‖), by n, or not at all."""


def _positive_int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise InputError.for_arg(name, "must be an integer >= 1", v)
    return v


def _arch(arch: Any) -> str:
    if arch not in ARCHS:
        raise InputError.for_arg("arch", f"must be one of {ARCHS}", arch)
    return arch


def _data(X: Any, T: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    Xt = as_matrix(X, "X", dtype=own_dtype(X))
    if T is None:
        return Xt, None
    Tt = as_matrix(T, "T", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Tt, "X", "T")
    return Xt, Tt


def _scale(s: Any) -> float:
    if isinstance(s, bool) or not isinstance(s, int | float) or not (s > 0 and math.isfinite(s)):
        raise InputError.for_arg("s", "must be a finite number > 0 (C = X^T X / s)", s)
    return float(s)


def _network(model: Any) -> TwoLayerReLU:
    if not isinstance(model, TwoLayerReLU):
        raise InputError.for_arg("model", "must be a linattn.ntk.TwoLayerReLU (the first layer "
                                 "on the inputs it sees)", type(model).__name__)
    return model


def _targets(y: Any, X: torch.Tensor) -> torch.Tensor:
    yt = as_matrix(y, "y", ndim=1, dtype=X.dtype, device=X.device)
    if yt.shape[0] != X.shape[0]:
        raise InputError.for_arg("y", f"must have n = {X.shape[0]} entries", tuple(yt.shape))
    return yt


def attn_scale(X: torch.Tensor, mode: str) -> float:
    """s with C = X^T X / s for ``X: (n, d)``: σ_max(X)² (``"spectral"``), n (``"n"``) or 1."""
    if mode not in ATTN_SCALES:
        raise ConfigError.for_arg("attn_scale", f"must be one of {ATTN_SCALES}", mode)
    X, _ = _data(X)
    if mode == "spectral":
        sigma = float(torch.linalg.matrix_norm(X, ord=2))
        if not (sigma > 0 and math.isfinite(sigma * sigma)):
            raise NumericalError.for_arg("X", "sigma_max(X)^2 must be finite and > 0", sigma)
        return sigma * sigma
    return float(X.shape[0]) if mode == "n" else 1.0


def arch_inputs(arch: str, X: torch.Tensor, T: torch.Tensor, s: float
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """(X', T') = (X, T) for ReLU or (X C, T C) with C = X^T X / s for MLP-Attn, computed as
    ((X X^T) X / s, (T X^T) X / s).  X: (n, d), T: (k, d)."""
    arch = _arch(arch)
    X, T = _data(X, T)
    if T is None:
        raise InputError.for_arg("T", "must be the test inputs (k, d)", None)
    if arch == "relu":
        return X, T
    s = _scale(s)
    return (finite_result((X @ X.T) @ X / s, "X C / s", "X"),
            finite_result((T @ X.T) @ X / s, "T C / s", "T"))


def mse_loss(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = (1/2n) Σ_i (f(x_i) − y_i)² for ``X: (n, d)``, ``y: (n,)``."""
    if not isinstance(model, torch.nn.Module):
        raise InputError.for_arg("model", "must be a torch.nn.Module", type(model).__name__)
    dt = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    X = as_matrix(X, "X", dtype=dt or own_dtype(X))
    return 0.5 * ((model(X) - _targets(y, X)) ** 2).mean()


@dataclass(frozen=True, eq=False)
class TrainResult:
    """``lr`` the step η, ``losses`` L(W_t) for t = 0..steps, ``H0`` the NTK at t = 0."""

    lr: float
    losses: list[float]
    H0: torch.Tensor


def train_gd(model: TwoLayerReLU, X: torch.Tensor, y: torch.Tensor, *, steps: int,
             lr_scale: float = 1.0, checkpoints: Iterable[int] = (),
             on_checkpoint: Callable[[int], None] | None = None) -> TrainResult:
    """Full-batch GD on W of ``model`` for ``steps`` steps, η = lr_scale · n / λ_max(H_0);
    ``on_checkpoint(t)`` is called before step t for every t in ``checkpoints``.
    X: (n, d') the inputs the network sees, y: (n,) targets.  Trains ``model`` in place."""
    _positive_int("steps", steps)
    if isinstance(lr_scale, bool) or not isinstance(lr_scale, int | float) or not (
            lr_scale > 0 and math.isfinite(lr_scale)):
        raise ConfigError.for_arg("lr_scale", "must be a finite number > 0", lr_scale)
    model = _network(model)
    X, _ = _data(X)
    y = _targets(y, X)
    if on_checkpoint is not None and not callable(on_checkpoint):
        raise InputError.for_arg("on_checkpoint", "must be callable or None",
                                 type(on_checkpoint).__name__)
    try:
        marks = set(checkpoints)
    except TypeError:
        raise InputError.for_arg("checkpoints", "must be an iterable of steps",
                                 checkpoints) from None
    W = model.W
    n = X.shape[0]
    H0 = relu_ntk_closed_form(model, X)
    top = float(torch.linalg.eigvalsh(H0)[-1])
    if not top > 0:
        raise NumericalError.for_arg("X", "lambda_max(H_0) must be > 0 to set the step size "
                                     "(all-zero inputs or no active unit)", top)
    lr = lr_scale * n / top
    losses = []
    for t in range(steps + 1):
        if on_checkpoint is not None and t in marks:
            on_checkpoint(t)
        loss = mse_loss(model, X, y)
        losses.append(float(loss.detach()))
        if t == steps:
            break
        (g,) = torch.autograd.grad(loss, W)
        with torch.no_grad():
            W -= lr * g
    return TrainResult(lr, losses, H0)


@dataclass(frozen=True)
class Landscape:
    """``loss[i][j]`` = L(W* + coords[i] d₁ + coords[j] d₂); centre, min, max, mean of it."""

    coords: list[float]
    loss: list[list[float]]
    center: float
    min: float
    max: float
    mean: float


def loss_landscape(model: TwoLayerReLU, X: torch.Tensor, y: torch.Tensor, *, grid: int,
                   radius: float, seed: int, d_extra: int = 0,
                   init_scale: float = 0.01) -> Landscape:
    """Li et al. (2018) surface around the trained W* of ``model`` (restored afterwards).

    A Gaussian direction g ∈ R^d per neuron is rescaled to the norm of that neuron's full
    weight vector; ``d_extra`` = d − (reduced dimension) counts the coordinates that a
    reduced problem (:mod:`linattn.reduce`) does not represent (they never move in GD and do
    not touch the loss), so their contributions to both norms are drawn exactly:
    ‖w_extra‖² ~ init_scale² χ²_{d_extra} (the init) and ‖g_extra‖² ~ χ²_{d_extra}.
    ``grid`` >= 3 points per axis on [−radius, radius]."""
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 3:
        raise ConfigError.for_arg("grid", "must be an integer >= 3", grid)
    if isinstance(radius, bool) or not isinstance(radius, int | float) or not (
            radius > 0 and math.isfinite(radius)):
        raise ConfigError.for_arg("grid_radius", "must be a finite number > 0", radius)
    if isinstance(init_scale, bool) or not isinstance(init_scale, int | float) or not (
            init_scale >= 0 and math.isfinite(init_scale)):
        raise InputError.for_arg("init_scale", "must be a finite number >= 0", init_scale)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**62:
        raise InputError.for_arg("seed", "must be an integer in [0, 2**62)", seed)
    model = _network(model)
    X, _ = _data(X)
    y = _targets(y, X)
    if isinstance(d_extra, bool) or not isinstance(d_extra, int) or d_extra < 0:
        raise InputError.for_arg("d_extra", "must be an integer >= 0", d_extra)
    W = model.W
    Ws = W.detach().clone()
    gen = torch.Generator().manual_seed(seed + 7919)
    m, dt = Ws.shape[0], Ws.dtype

    def chi2() -> torch.Tensor:
        if d_extra == 0:
            return torch.zeros(m, 1, dtype=dt)
        return (torch.randn(m, d_extra, generator=gen, dtype=dt) ** 2).sum(1, keepdim=True)

    w_norm = torch.sqrt((Ws * Ws).sum(1, keepdim=True) + init_scale**2 * chi2())
    dirs = []
    for _ in range(2):
        g = torch.randn(Ws.shape, generator=gen, dtype=dt)
        g_norm = torch.sqrt((g * g).sum(1, keepdim=True) + chi2())
        dirs.append(g / g_norm * w_norm)  # filter normalisation, in-span part
    coords = torch.linspace(-radius, radius, grid, dtype=dt)
    surface = []
    with torch.no_grad():
        for a in coords:
            row = []
            for b in coords:
                W.copy_(Ws + a * dirs[0] + b * dirs[1])
                row.append(float(mse_loss(model, X, y)))
            surface.append(row)
        W.copy_(Ws)
    flat = [v for r in surface for v in r]
    c = grid // 2
    return Landscape(coords.tolist(), surface, surface[c][c], min(flat), max(flat),
                     sum(flat) / len(flat))


def empirical_influence_fn(arch: str, W: torch.Tensor, T: torch.Tensor, s: float,
                           ridge: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """X ↦ I(X) = Θ(T', X')(Θ(X', X') + ridge I)⁻¹, (k, n), with Θ the empirical NTK of the
    first-layer weights ``W: (m, d')`` and (X', T') = :func:`arch_inputs` (C rebuilt from X).
    ``ridge`` is absolute; the solve is :func:`linattn.influence.ridge_solve` (Cholesky,
    differentiable in X)."""
    _arch(arch)
    lam = positive_ridge(ridge)
    Wd = as_matrix(W, "W", dtype=own_dtype(W)).detach()
    T = as_matrix(T, "T", dtype=Wd.dtype, device=Wd.device)
    if arch == "mlp_attn":
        s = _scale(s)

    def influence(X: torch.Tensor) -> torch.Tensor:
        Xa, Ta = arch_inputs(arch, X, T, s)
        K = finite_width_ntk(Xa, None, Wd)
        return ridge_solve(0.5 * (K + K.T), finite_width_ntk(Xa, Ta, Wd), ridge=lam,
                           check=False, method="cholesky").T

    return influence


class Objective(NamedTuple):
    """``F(δ)``, the unperturbed influence ``I0`` (k, n) and κ(Θ + ridge I) (2-norm; None
    when the gates did not run)."""

    F: Callable[[torch.Tensor], torch.Tensor]
    I0: torch.Tensor
    cond: float | None


def malleability_objective(arch: str, W: torch.Tensor, X: torch.Tensor, T: torch.Tensor,
                           s: float, ridge: float, *, check: bool = True) -> Objective:
    """F(δ) = ‖I(X + δ) − I0‖_F/‖I0‖_F with I = :func:`empirical_influence_fn` and I0 = I(X);
    ``check`` gates Θ(X', X') with the Appendix A.8 gates first (and records κ)."""
    influence = empirical_influence_fn(arch, W, T, s, ridge)
    X, T = _data(X, T)
    W = as_matrix(W, "W", dtype=X.dtype, device=X.device)
    cond = None
    with torch.no_grad():
        if check:
            Xa, _ = arch_inputs(arch, X, T, s)
            K0 = finite_width_ntk(Xa, None, W.detach())
            cond = check_kernel(0.5 * (K0 + K0.T), ridge=float(ridge),
                                name=f"{arch} empirical NTK").cond
        I0 = influence(X)
    base = torch.linalg.norm(I0)

    def F(delta: torch.Tensor) -> torch.Tensor:
        return torch.linalg.norm(influence(X + delta) - I0) / base

    return Objective(F, I0, cond)


def attack(F: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, eps: float,
           steps: int, seed: int) -> tuple[float, torch.Tensor]:
    """Projected gradient ascent of F over ‖δ_j‖₂ ≤ ε‖x_j‖₂ per row of ``X: (n, d)`` (one
    random start on the boundary, ``steps`` row-normalised steps of 2.5/steps radii, the
    ascent of :func:`linattn.malleability.estimate_malleability`); the best (value, δ)."""
    _positive_int("steps", steps)
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not (
            eps >= 0 and math.isfinite(eps)):
        raise InputError.for_arg("eps", "must be a finite number >= 0", eps)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**62:
        raise InputError.for_arg("seed", "must be an integer in [0, 2**62)", seed)
    X, _ = _data(X)
    radii = eps * torch.linalg.vector_norm(X, dim=1)
    gen = torch.Generator().manual_seed(seed)
    return projected_gradient_ascent(F, X, radii, steps, 2.5 / steps, gen, init_samples=1)
