"""The attribution metrics that users of influence scores read (claim ``malleability-ratio``).

For an influence matrix I (n_test, n) (I[t, j] = ∂f(x_t)/∂y_j, :mod:`linattn.influence`),
test point t's **top-k** set is the k training points with the largest |I[t, j]| (ties
broken by the lower index: a stable sort of −|I[t, ·]|); its **rank** of training point j is
the number of training points l ranked before j in that order (0 = most influential).

* :func:`topk_jaccard` -- per test point, |A ∩ B| / |A ∪ B| of the top-k sets before (A) and
  after (B) an attack (1: unchanged, 0: disjoint);
* :func:`influence_spearman` -- per test point, Spearman's ρ between the signed scores
  I[t, ·] before and after (``scipy.stats.spearmanr``; a constant row has no ρ: NaN is
  reported as 0 with a count, never silently);
* :func:`targeted_margin` -- the objective of the targeted attack on (t, j): push j **into**
  t's top-k, margin |I[t, j]| − v_k, or **out** of it, margin v_k − |I[t, j]|, with v_k the
  k-th largest |I[t, l]| over l ≠ j; the attack succeeds iff the margin is > 0 (then j's
  rank is < k, resp. ≥ k).  Differentiable almost everywhere (``torch.topk``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy import stats as sps

from linattn.validate import as_matrix, own_dtype
from pyverify.errors import InputError

__all__ = ["DIRECTIONS", "TOP_K", "influence_spearman", "rank_of", "targeted_margin",
           "topk_indices", "topk_jaccard"]

TOP_K = 10
"""The size of the top set attribution users read (the issue's top-10)."""
DIRECTIONS = ("in", "out")


def _influence(I: Any, name: str) -> torch.Tensor:
    return as_matrix(I, name, dtype=own_dtype(I)).detach()


def _k(k: Any, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < n:
        raise InputError.for_arg("k", f"must be an integer in 1..{n - 1} (n = {n} training "
                                 "points)", k)
    return k


def _order(row: torch.Tensor) -> torch.Tensor:
    return torch.sort(-row.abs(), stable=True).indices


def topk_indices(I: Any, k: int = TOP_K) -> torch.Tensor:
    """Indices (n_test, k) of each test point's top-k training points by |I[t, j]| (module
    docstring order).  I: (n_test, n), 1 <= k < n."""
    It = _influence(I, "I")
    k = _k(k, It.shape[1])
    return torch.sort(-It.abs(), dim=1, stable=True).indices[:, :k]


def topk_jaccard(I_before: Any, I_after: Any, k: int = TOP_K) -> torch.Tensor:
    """Per test point, the Jaccard overlap |A ∩ B| / |A ∪ B| of the top-k sets of
    ``I_before`` and ``I_after`` (both (n_test, n)) -> (n_test,) float64 in [0, 1]."""
    A, B = _influence(I_before, "I_before"), _influence(I_after, "I_after")
    if A.shape != B.shape:
        raise InputError.for_arg("I_after", f"must have the shape {tuple(A.shape)}",
                                 tuple(B.shape))
    k = _k(k, A.shape[1])
    ta, tb = topk_indices(A, k), topk_indices(B, k)
    inter = (ta[:, :, None] == tb[:, None, :]).any(2).sum(1).to(torch.float64)
    return inter / (2 * k - inter)


def influence_spearman(I_before: Any, I_after: Any) -> tuple[np.ndarray, int]:
    """Per test point, Spearman's ρ of the scores I_before[t, ·] and I_after[t, ·] (both
    (n_test, n), n >= 2) by ``scipy.stats.spearmanr``; returns ``(rho (n_test,), undefined)``
    where ``undefined`` counts rows with a constant side (their ρ is set to 0)."""
    A, B = _influence(I_before, "I_before"), _influence(I_after, "I_after")
    if A.shape != B.shape or A.shape[1] < 2:
        raise InputError.for_arg("I_after", f"must have the shape {tuple(A.shape)} with n "
                                 ">= 2", tuple(B.shape))
    a, b = A.cpu().numpy(), B.cpu().numpy()
    rho = np.zeros(a.shape[0])
    undefined = 0
    for t in range(a.shape[0]):
        if np.ptp(a[t]) == 0 or np.ptp(b[t]) == 0:
            undefined += 1
            continue
        r = float(sps.spearmanr(a[t], b[t]).statistic)
        if math.isfinite(r):
            rho[t] = r
        else:
            undefined += 1
    return rho, undefined


def _pair(I: torch.Tensor, t: Any, j: Any) -> tuple[int, int]:
    for name, v, size in (("t", t, I.shape[0]), ("j", j, I.shape[1])):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < size:
            raise InputError.for_arg(name, f"must be an index in 0..{size - 1}", v)
    return t, j


def rank_of(I: Any, t: int, j: int) -> int:
    """Rank of training point j in test point t's order by |I[t, ·]| (0 = most influential)."""
    It = _influence(I, "I")
    t, j = _pair(It, t, j)
    return int((_order(It[t]) == j).nonzero()[0, 0])


def targeted_margin(I: torch.Tensor, t: int, j: int, k: int = TOP_K,
                    direction: str = "in") -> torch.Tensor:
    """The targeted attack's margin on (t, j) (module docstring), a scalar tensor
    differentiable in I: (n_test, n).  ``direction`` "in" or "out"; 1 <= k < n."""
    if direction not in DIRECTIONS:
        raise InputError.for_arg("direction", f"must be one of {DIRECTIONS}", direction)
    It = as_matrix(I, "I", dtype=own_dtype(I))
    k = _k(k, It.shape[1])
    t, j = _pair(It, t, j)
    row = It[t].abs()
    others = torch.cat([row[:j], row[j + 1:]])
    vk = torch.topk(others, k).values[-1]
    return row[j] - vk if direction == "in" else vk - row[j]
