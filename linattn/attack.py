"""The untargeted and targeted attacks of one malleability sweep (claim ``malleability-ratio``).

Given the influence function X ↦ I(X) of one architecture and ridge
(:func:`linattn.adjoint.influence_fn`) and I0 = I(X):

* untargeted, per threat (:class:`linattn.threats.Threat`): maximise
  F(δ) = ‖I(X + δ) − I0‖_F / ‖I0‖_F over the threat's feasible set by
  :func:`linattn.threats.ascend` (``restarts`` runs; the best); poisoning first chooses its
  k rows by :func:`linattn.threats.sensitive_rows` on F.  At the best δ: the mean over test
  points of the top-k Jaccard overlap and of Spearman's ρ between I0 and I(X + δ)
  (:mod:`linattn.attribution`);
* targeted, per threat in ``targeted`` and each of ``n_targets`` test points t (distinct,
  drawn uniformly with a generator seeded like the attack): push a training point into t's
  top-k (j drawn uniformly among the points ranked ≥ k by |I0[t, ·]|) and push one out
  (j drawn uniformly among the top k), each by maximising the margin of
  :func:`linattn.attribution.targeted_margin` (poisoning: rows chosen on that margin).
  Success: the rank of j in I(X + δ) at the best δ is < k (in), resp. ≥ k (out).

ε = 0 is the unperturbed problem: M = 0 and no ascent is run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from linattn.attribution import influence_spearman, rank_of, targeted_margin, topk_jaccard
from linattn.threats import Threat, ascend, feasible_set, sensitive_rows
from linattn.validate import as_matrix, own_dtype
from pyverify.errors import InputError, NumericalError

__all__ = ["Attack", "Targeted", "run_attacks"]


@dataclass(frozen=True)
class Attack:
    """One untargeted attack: M estimate ``value`` (best of ``per_restart``), the attribution
    metrics at the best δ (means over test points; ``spearman_undefined`` rows had a constant
    side), the poisoned ``rows`` (None: all rows may move) and, for ``l2-row`` with the
    first-order estimate, ε‖JD‖/‖I‖ and √n times it."""

    threat: Threat
    value: float
    per_restart: tuple[float, ...]
    topk_jaccard: float | None
    spearman: float | None
    spearman_undefined: int
    rows: tuple[int, ...] | None
    first_order: float | None = None
    first_order_upper: float | None = None


@dataclass(frozen=True)
class Targeted:
    """One targeted attack on (test point t, training point j): ranks of j in t's order by
    |I| before and after (0 = most influential), success, and the best margin seen."""

    threat: Threat
    direction: str
    test_index: int
    train_index: int
    rank_before: int
    rank_after: int
    success: bool
    margin: float


Influence = Callable[[torch.Tensor], torch.Tensor]


def _check(influence: Any, X: Any, I0: Any, threats: Any, targeted: Any, n_targets: Any,
           topk: Any, restarts: Any, sigma: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not callable(influence):
        raise InputError.for_arg("influence", "must be callable X -> I(X)",
                                 type(influence).__name__)
    X = as_matrix(X, "X", dtype=own_dtype(X)).detach()
    I0 = as_matrix(I0, "I0", dtype=X.dtype, device=X.device).detach()
    n = X.shape[0]
    for name, ths in (("threats", threats), ("targeted", targeted)):
        if isinstance(ths, str) or not isinstance(ths, Sequence) or not all(
                isinstance(t, Threat) for t in ths):
            raise InputError.for_arg(name, "must be a sequence of Threat", type(ths).__name__)
    for name, v, lo in (("n_targets", n_targets, 0), ("restarts", restarts, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise InputError.for_arg(name, f"must be an integer >= {lo}", v)
    if topk is not None and (isinstance(topk, bool) or not isinstance(topk, int)
                             or not 1 <= topk < n):
        raise InputError.for_arg("topk", f"must be None or an integer in 1..{n - 1}", topk)
    if sigma is not None and (isinstance(sigma, bool) or not isinstance(sigma, int | float)
                              or not (math.isfinite(sigma) and sigma >= 0)):
        raise InputError.for_arg("sigma", "must be None or a finite number >= 0", sigma)
    with torch.no_grad():
        I = influence(X)
    if not (isinstance(I, torch.Tensor) and I.shape == I0.shape and I0.shape[1] == n):
        raise InputError.for_arg("influence", f"influence(X) must be I0's shape (k, {n})",
                                 (getattr(I, "shape", type(I).__name__), tuple(I0.shape)))
    if not float(torch.linalg.norm(I0)) > 0:
        raise NumericalError.for_arg("I0", "must not be zero (M is relative to ||I0||)", 0.0)
    return X, I0


def _run(F: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, th: Threat,
         steps: int, restarts: int, alpha: float, init_samples: int, gen: torch.Generator
         ) -> tuple[list[float], torch.Tensor, tuple[int, ...] | None]:
    fset = feasible_set(th, X)
    rows = None
    if th.name == "poison" and th.k < X.shape[0]:
        idx = sensitive_rows(F, fset, th.k, gen, init_samples)
        fset, rows = fset.restrict(idx), tuple(int(i) for i in idx)
    vals, best = [], None
    for _ in range(restarts):
        v, d = ascend(F, fset, steps, alpha, gen, init_samples)
        if best is None or v > max(vals):
            best = d
        vals.append(v)
    return vals, best, rows


def run_attacks(influence: Influence, X: torch.Tensor, I0: torch.Tensor,
                threats: Sequence[Threat], targeted: Sequence[Threat], *, n_targets: int,
                topk: int | None, steps: int, restarts: int, alpha: float, init_samples: int,
                gen: torch.Generator, sigma: float | None = None
                ) -> tuple[tuple[Attack, ...], tuple[Targeted, ...]]:
    """The attacks of the module docstring on X: (n, d) with I0 = influence(X) (n_test, n);
    ``sigma`` = ‖JD‖₂ for the first-order estimate of ``l2-row`` (None: not computed);
    ``topk`` None: no attribution metrics and no targeted attacks."""
    X, I0 = _check(influence, X, I0, threats, targeted, n_targets, topk, restarts, sigma)
    base = float(torch.linalg.norm(I0))
    n = X.shape[0]

    def F(delta: torch.Tensor) -> torch.Tensor:
        return torch.linalg.norm(influence(X + delta) - I0) / base

    out = []
    for th in threats:
        fo = None if sigma is None or th.name != "l2-row" else th.eps * sigma / base
        fo_up = None if fo is None else math.sqrt(n) * fo
        if th.eps == 0:
            out.append(Attack(th, 0.0, tuple(0.0 for _ in range(restarts)),
                              1.0 if topk else None, 1.0 if topk else None, 0, None,
                              fo, fo_up))
            continue
        vals, best, rows = _run(F, X, th, steps, restarts, alpha, init_samples, gen)
        jac = rho = None
        undefined = 0
        if topk:
            with torch.no_grad():
                I1 = influence(X + best)
            jac = float(topk_jaccard(I0, I1, topk).mean())
            r, undefined = influence_spearman(I0, I1)
            rho = float(r.mean())
        out.append(Attack(th, max(vals), tuple(vals), jac, rho, undefined, rows, fo, fo_up))
    tgt: list[Targeted] = []
    if not topk or not n_targets or not targeted:
        return tuple(out), tuple(tgt)
    tgen = torch.Generator().manual_seed(gen.initial_seed())
    tests = torch.randperm(I0.shape[0], generator=tgen)[:n_targets].tolist()
    for t in tests:
        order = torch.sort(-I0[t].abs(), stable=True).indices.cpu()
        j_in = int(order[topk + int(torch.randint(n - topk, (1,), generator=tgen))])
        j_out = int(order[int(torch.randint(topk, (1,), generator=tgen))])
        for th in targeted:
            for direction, j in (("in", j_in), ("out", j_out)):
                def M(delta: torch.Tensor, t: int = t, j: int = j, dr: str = direction
                      ) -> torch.Tensor:
                    return targeted_margin(influence(X + delta), t, j, topk, dr)

                vals, best, _ = _run(M, X, th, steps, 1, alpha, init_samples, gen)
                with torch.no_grad():
                    after = rank_of(influence(X + best), t, j)
                ok = after < topk if direction == "in" else after >= topk
                tgt.append(Targeted(th, direction, t, j, rank_of(I0, t, j), after, bool(ok),
                                    max(vals)))
    return tuple(out), tuple(tgt)
