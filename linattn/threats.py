"""Threat models of the malleability attack, their feasible sets and projected gradient ascent.

A threat model says which perturbations δ (n, d) of the training inputs X (n, d) the
attacker may apply (claim ``malleability-ratio``):

``"l2-row"``  per-row relative ℓ2 ball ‖δ_j‖₂ ≤ ε‖x_j‖₂ for every row j (the project's
              original threat model; rotation invariant, so it may run in the span
              coordinates of :mod:`linattn.reduce`);
``"linf"``    per-pixel ℓ∞ budget |δ_ja| ≤ ε with the pixel box kept, lo ≤ x_ja + δ_ja ≤ hi
              (default box [0, 1]: pixels scaled to [0, 1]; ε = 1/255 … 8/255 as in image
              attacks and the per-coordinate budget of the paper's Proposition 4.5).  The
              box is not rotation invariant: run it in pixel coordinates;
``"poison"``  only k of the n training rows may move, each inside the ``linf`` set above
              (k ≥ n: every row, the ``linf`` threat).  The attacker chooses the rows
              (:func:`sensitive_rows`): the k rows with the largest first-order gain
              max_{δ_j feasible} ∂F/∂δ_j · δ_j of the objective F at the attack's random start
              (for the box: Σ_a max(g_a hi_a, g_a lo_a) with g = ∂F/∂δ_j; for an ℓ2 ball:
              r_j ‖g‖₂).

The feasible set of one threat on one X is a :class:`FeasibleSet`: an ℓ2 ball per row
(radii r_j, rows outside the poisoned set have r_j = 0) or a box lo ≤ δ ≤ hi (the
intersection of the ε-cube and the pixel box is a box, so the Euclidean projection is a
clamp; rows outside the poisoned set have lo = hi = 0).

:func:`ascend` maximises F over a feasible set (Madry et al. 2018): the best of
``init_samples`` random starts (ℓ2: random directions on the sphere of each row; box:
random vertices, each coordinate lo or hi), then ``steps`` steps δ ← P(δ + α r_j ĝ_j)
(ℓ2, ĝ_j the row-normalised gradient) or δ ← P(δ + α ε sign g) (box), P the projection.
It returns the best value seen and the perturbation that attained it: a lower bound on the
maximum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from linattn.validate import as_matrix, finite_result, own_dtype
from pyverify.errors import InputError, NumericalError

__all__ = [
    "PIXEL_BOX",
    "THREATS",
    "FeasibleSet",
    "Threat",
    "ascend",
    "feasible_set",
    "poison_count",
    "projected_gradient_ascent",
    "sensitive_rows",
]

THREATS = ("l2-row", "linf", "poison")
PIXEL_BOX = (0.0, 1.0)
"""The pixel range the loaders produce (``Preprocess(scale=True)``: /255, digits /16)."""


def _count(name: str, v: Any, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise InputError.for_arg(name, f"must be an integer >= {lo}", v)
    return v


def _finite_nonneg(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not (
            math.isfinite(v) and v >= 0):
        raise InputError.for_arg(name, "must be a finite number >= 0", v)
    return float(v)


@dataclass(frozen=True)
class Threat:
    """One threat model: ``name`` in :data:`THREATS`, budget ``eps`` (relative ℓ2 radius
    for ``l2-row``, pixel budget for ``linf``/``poison``), ``k`` the number of poisoned rows
    (``poison`` only) and the pixel ``box`` (lo, hi) (``linf``/``poison``; None: no box)."""

    name: str
    eps: float
    k: int | None = None
    box: tuple[float, float] | None = PIXEL_BOX

    def __post_init__(self) -> None:
        if self.name not in THREATS:
            raise InputError.for_arg("name", f"must be one of {THREATS}", self.name)
        _finite_nonneg("eps", self.eps)
        if self.name == "poison":
            _count("k", self.k)
        elif self.k is not None:
            raise InputError.for_arg("k", "is the poisoning budget: only for 'poison'", self.k)
        if self.box is not None:
            ok = (isinstance(self.box, tuple) and len(self.box) == 2 and all(
                isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b)
                for b in self.box) and self.box[0] < self.box[1])
            if not ok:
                raise InputError.for_arg("box", "must be a pair (lo, hi) of finite numbers "
                                         "with lo < hi, or None", self.box)

    @property
    def ball(self) -> str:
        """``"l2"`` or ``"box"``: the geometry of the feasible set."""
        return "l2" if self.name == "l2-row" else "box"

    def label(self) -> str:
        """A short name, e.g. ``"linf ε=0.03137"`` or ``"poison k=3 (ℓ∞ ε=0.03137)"``."""
        if self.name == "poison":
            return f"poison k={self.k} (ℓ∞ ε={self.eps:.4g})"
        return f"{self.name} ε={self.eps:.4g}"


def poison_count(spec: Any, n: int) -> int:
    """Rows of a poisoning budget: ``"all"`` -> n, ``"p%"`` -> max(1, round(p n / 100)), an
    integer (or its string) -> min(that, n).  n >= 1."""
    n = _count("n", n)
    if isinstance(spec, int) and not isinstance(spec, bool):
        return min(_count("spec", spec), n)
    if isinstance(spec, str):
        s = spec.strip()
        if s == "all":
            return n
        if s.endswith("%"):
            try:
                p = float(s[:-1])
            except ValueError:
                p = math.nan
            if math.isfinite(p) and 0 < p <= 100:
                return max(1, min(n, round(p * n / 100)))
        elif s.isdigit() and int(s) >= 1:
            return min(int(s), n)
    raise InputError.for_arg("spec", "must be 'all', 'p%' with 0 < p <= 100, or an integer "
                             ">= 1", spec)


@dataclass(frozen=True, eq=False)
class FeasibleSet:
    """The feasible perturbations of one threat on one X (module docstring): ``kind`` "l2"
    with ``radii`` (n,) or "box" with ``lo``, ``hi`` (n, d); ``rows`` the movable rows;
    ``step_scale`` the per-step length unit (ℓ2: radii; box: ε)."""

    kind: str
    shape: tuple[int, int]
    rows: torch.Tensor
    radii: torch.Tensor | None = None
    lo: torch.Tensor | None = None
    hi: torch.Tensor | None = None
    eps: float = 0.0

    def project(self, delta: torch.Tensor) -> torch.Tensor:
        """The Euclidean projection of ``delta`` (n, d) on the set."""
        if self.kind == "l2":
            nrm = torch.linalg.vector_norm(delta, dim=1, keepdim=True)
            tiny = torch.finfo(nrm.dtype).tiny
            return delta * torch.clamp(self.radii[:, None] / torch.clamp(nrm, min=tiny),
                                       max=1.0)
        return torch.minimum(torch.maximum(delta, self.lo), self.hi)

    def random_start(self, gen: torch.Generator) -> torch.Tensor:
        """A random point of the set's boundary: a random direction scaled to r_j per row
        (ℓ2) or a random vertex of the box."""
        n, d = self.shape
        ref = self.radii if self.kind == "l2" else self.lo
        if self.kind == "l2":
            z = torch.randn((n, d), generator=gen, dtype=ref.dtype).to(ref.device)
            return _unit_rows(z) * self.radii[:, None]
        coin = torch.rand((n, d), generator=gen, dtype=ref.dtype).to(ref.device) < 0.5
        return torch.where(coin, self.lo, self.hi)

    def step(self, delta: torch.Tensor, g: torch.Tensor, alpha: float) -> torch.Tensor:
        """One ascent step from ``delta`` along the gradient ``g``, projected."""
        if self.kind == "l2":
            return self.project(delta + alpha * self.radii[:, None] * _unit_rows(g))
        return self.project(delta + (alpha * self.eps) * torch.sign(g))

    def gain(self, g: torch.Tensor) -> torch.Tensor:
        """First-order gain per row, max over feasible δ_j of g_j · δ_j, (n,)."""
        if self.kind == "l2":
            return self.radii * torch.linalg.vector_norm(g, dim=1)
        return torch.maximum(g * self.hi, g * self.lo).sum(1)

    def restrict(self, rows: torch.Tensor) -> FeasibleSet:
        """The same set with only ``rows`` (indices) movable."""
        keep = torch.zeros(self.shape[0], dtype=torch.bool, device=self.rows.device)
        keep[rows] = True
        keep &= self.rows
        if self.kind == "l2":
            return FeasibleSet("l2", self.shape, keep, radii=self.radii * keep)
        m = keep[:, None].to(self.lo.dtype)
        return FeasibleSet("box", self.shape, keep, lo=self.lo * m, hi=self.hi * m,
                           eps=self.eps)

    def contains(self, delta: torch.Tensor, rtol: float) -> bool:
        """Whether ``delta`` is feasible up to ``rtol`` times the budget scale."""
        if self.kind == "l2":
            nrm = torch.linalg.vector_norm(delta, dim=1)
            return bool((nrm <= self.radii * (1 + rtol) + rtol * float(self.radii.max()))
                        .all())
        slack = rtol * max(self.eps, 1.0)
        return bool(((delta >= self.lo - slack) & (delta <= self.hi + slack)).all())


def _unit_rows(g: torch.Tensor) -> torch.Tensor:
    nrm = torch.linalg.vector_norm(g, dim=1, keepdim=True)
    return g / torch.clamp(nrm, min=torch.finfo(g.dtype).tiny)


def feasible_set(threat: Threat, X: Any, rows: Any = None) -> FeasibleSet:
    """The feasible set of ``threat`` around ``X: (n, d)`` (module docstring); ``rows``
    (indices) restricts the movable rows (the poisoned ones).  For a box threat X must lie
    in the box (else InputError): the loaders' pixels in [0, 1], not centred data."""
    if not isinstance(threat, Threat):
        raise InputError.for_arg("threat", "must be a linattn.threats.Threat",
                                 type(threat).__name__)
    X = as_matrix(X, "X", dtype=own_dtype(X)).detach()
    n, d = X.shape
    everything = torch.ones(n, dtype=torch.bool, device=X.device)
    if threat.ball == "l2":
        radii = finite_result(threat.eps * torch.linalg.vector_norm(X, dim=1),
                              "ε ‖x_j‖₂", "X")
        fs = FeasibleSet("l2", (n, d), everything, radii=radii)
    else:
        lo = torch.full_like(X, -threat.eps)
        hi = torch.full_like(X, threat.eps)
        if threat.box is not None:
            b0, b1 = threat.box
            if bool((X.min() < b0) or (X.max() > b1)):
                raise InputError.for_arg("X", f"must lie in the pixel box {threat.box} for "
                                         f"the '{threat.name}' threat",
                                         (float(X.min()), float(X.max())))
            lo = torch.maximum(lo, b0 - X)
            hi = torch.minimum(hi, b1 - X)
        fs = FeasibleSet("box", (n, d), everything, lo=lo, hi=hi, eps=threat.eps)
    if rows is None:
        return fs
    r = as_matrix(rows, "rows", ndim=1, dtype=torch.float64).cpu()
    if not (bool((r == r.round()).all()) and float(r.min()) >= 0 and float(r.max()) < n):
        raise InputError.for_arg("rows", f"must be integer row indices in 0..{n - 1}",
                                 r.tolist()[:5])
    return fs.restrict(r.to(torch.long).to(X.device))


Objective = Callable[[torch.Tensor], torch.Tensor]


def _check_ascent(F: Any, fset: Any, steps: Any, alpha: Any, gen: Any,
                  init_samples: Any) -> None:
    if not callable(F):
        raise InputError.for_arg("F", "must be callable (perturbation -> scalar tensor)",
                                 type(F).__name__)
    if not isinstance(fset, FeasibleSet):
        raise InputError.for_arg("fset", "must be a FeasibleSet", type(fset).__name__)
    _count("steps", steps, 0)
    _count("init_samples", init_samples)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not (
            alpha > 0 and math.isfinite(alpha)):
        raise InputError.for_arg("alpha", "must be a finite number > 0", alpha)
    if not isinstance(gen, torch.Generator):
        raise InputError.for_arg("gen", "must be a torch.Generator", type(gen).__name__)


def _finite(v: Any) -> float:
    if not isinstance(v, torch.Tensor) or v.numel() != 1:
        raise InputError.for_arg("F", "must return a scalar tensor", type(v).__name__)
    f = float(v.detach())
    if not math.isfinite(f):
        raise NumericalError.for_arg("F", "returned a non-finite value", f)
    return f


def _value(F: Objective, delta: torch.Tensor) -> float:
    return _finite(F(delta))


def ascend(F: Objective, fset: FeasibleSet, steps: int, alpha: float, gen: torch.Generator,
           init_samples: int) -> tuple[float, torch.Tensor]:
    """Projected gradient ascent of ``F`` over ``fset`` (module docstring): the best value
    seen and the perturbation (n, d) that attained it.  ``steps`` >= 0, ``alpha`` > 0 the
    step length in units of the radius (ℓ2) or ε (box), ``gen`` seeds the random starts."""
    _check_ascent(F, fset, steps, alpha, gen, init_samples)
    best, delta = -math.inf, None
    with torch.no_grad():
        for _ in range(init_samples):
            cand = fset.random_start(gen)
            val = _value(F, cand)
            if val > best or delta is None:
                best, delta = val, cand
    best_delta = delta
    for _ in range(steps):
        delta = delta.detach().requires_grad_(True)
        val = F(delta)
        v = _finite(val)
        if not val.requires_grad:
            raise InputError.for_arg("F", "must be differentiable in the perturbation", v)
        (g,) = torch.autograd.grad(val, delta)
        if v > best:
            best, best_delta = v, delta.detach()
        delta = fset.step(delta.detach(), g, alpha)
    if steps:
        with torch.no_grad():
            val = _value(F, delta)
        if val > best:
            best, best_delta = val, delta
    return best, best_delta


def sensitive_rows(F: Objective, fset: FeasibleSet, k: int, gen: torch.Generator,
                   init_samples: int = 1) -> torch.Tensor:
    """The k rows the poisoning attacker perturbs: largest first-order gain
    ``fset.gain(∂F/∂δ)`` at the best of ``init_samples`` random starts of the full set
    (ties by row order).  Returns sorted indices (k,)."""
    _check_ascent(F, fset, 0, 1.0, gen, init_samples)
    k = min(_count("k", k), fset.shape[0])
    if k >= fset.shape[0]:
        return torch.arange(fset.shape[0], device=fset.rows.device)
    _, start = ascend(F, fset, 0, 1.0, gen, init_samples)
    start = start.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(F(start), start)
    score = fset.gain(g).detach().cpu()
    order = sorted(range(score.numel()), key=lambda j: (-float(score[j]), j))
    return torch.tensor(sorted(order[:k]), dtype=torch.long, device=fset.rows.device)


def projected_gradient_ascent(F: Objective, X: torch.Tensor, radii: torch.Tensor, steps: int,
                              alpha: float, gen: torch.Generator, init_samples: int
                              ) -> tuple[float, torch.Tensor]:
    """Projected gradient ascent of ``F(delta)`` over the per-row balls
    ``||delta_j|| <= radii_j`` (X: (n, d), radii: (n,)): :func:`ascend` on that ℓ2 set.
    Returns the best value seen and the perturbation that attained it."""
    X = as_matrix(X, "X", dtype=own_dtype(X))
    radii = as_matrix(radii, "radii", ndim=1, dtype=X.dtype, device=X.device)
    if radii.shape[0] != X.shape[0] or bool((radii < 0).any()):
        raise InputError.for_arg("radii", f"must be {X.shape[0]} numbers >= 0",
                                 tuple(radii.shape))
    _count("steps", steps)
    fs = FeasibleSet("l2", tuple(X.shape), torch.ones(X.shape[0], dtype=torch.bool,
                                                      device=X.device), radii=radii.detach())
    return ascend(F, fs, steps, alpha, gen, init_samples)
