"""linattn.threats: feasible sets (ℓ2 rows, ℓ∞ box, poisoned rows), projections, PGA."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linattn import threats as th
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import EPS

EPS8 = 8 / 255
TOL = 4 * EPS["float64"]  # a clamp is exact; one rounding of x + δ


def _pixels(n: int = 7, d: int = 9, seed: int = 0) -> np.ndarray:
    """Pixels in [0, 1] with saturated ones (0 and 1) as in real images."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, d))
    X[rng.uniform(size=(n, d)) < 0.3] = 0.0
    X[rng.uniform(size=(n, d)) < 0.1] = 1.0
    return X


def feasible_linf(X: np.ndarray, D: np.ndarray, eps: float, rows=None) -> bool:
    """Independent check (numpy): |δ| <= ε, 0 <= x + δ <= 1, δ = 0 off ``rows``."""
    ok = np.all(np.abs(D) <= eps + TOL) and np.all(X + D >= -TOL) and np.all(X + D <= 1 + TOL)
    if rows is not None:
        off = np.setdiff1d(np.arange(X.shape[0]), rows)
        ok = ok and np.all(D[off] == 0)
    return bool(ok)


def test_linf_projection_is_the_clamp_on_box_and_ball():
    X = _pixels()
    fs = th.feasible_set(th.Threat("linf", EPS8), X)
    rng = np.random.default_rng(1)
    D = torch.from_numpy(rng.normal(0, 0.1, X.shape))
    P = fs.project(D).numpy()
    want = np.clip(D.numpy(), np.maximum(-EPS8, -X), np.minimum(EPS8, 1 - X))
    assert np.array_equal(P, want)  # the same clamp, exact by construction
    assert feasible_linf(X, P, EPS8)
    assert np.array_equal(fs.project(torch.from_numpy(P)).numpy(), P)  # idempotent
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        start = fs.random_start(g)
        assert feasible_linf(X, start.numpy(), EPS8)
        step = fs.step(start, torch.from_numpy(rng.normal(size=X.shape)), 0.7)
        assert feasible_linf(X, step.numpy(), EPS8)
    # a vertex start: every coordinate at a bound
    s = fs.random_start(g).numpy()
    lo, hi = np.maximum(-EPS8, -X), np.minimum(EPS8, 1 - X)
    assert np.all((s == lo) | (s == hi))


def test_linf_without_box_is_the_cube_and_l2_is_the_row_ball():
    X = _pixels() * 3 - 1  # outside [0, 1]: fine without a box
    fs = th.feasible_set(th.Threat("linf", 0.1, box=None), X)
    P = fs.project(torch.full(X.shape, 5.0)).numpy()
    assert np.all(P == 0.1)
    with pytest.raises(InputError) as exc:
        th.feasible_set(th.Threat("linf", 0.1), X)
    assert exc.value.argument == "X"
    l2 = th.feasible_set(th.Threat("l2-row", 0.2, box=None), X)
    D = torch.from_numpy(np.random.default_rng(2).normal(size=X.shape))
    nrm = np.linalg.norm(l2.project(D).numpy(), axis=1)
    assert np.all(nrm <= 0.2 * np.linalg.norm(X, axis=1) * (1 + 1e-12))


def test_poison_moves_exactly_the_chosen_rows():
    X = _pixels(n=10)
    fs = th.feasible_set(th.Threat("poison", EPS8, k=3), X, rows=[1, 4, 8])
    assert fs.rows.sum() == 3
    g = torch.Generator().manual_seed(3)
    w = torch.from_numpy(np.random.default_rng(4).normal(size=X.shape))

    def F(d):
        return (w * d).sum() ** 2

    val, D = th.ascend(F, fs, 5, 0.5, g, 2)
    D = D.numpy()
    assert feasible_linf(X, D, EPS8, rows=[1, 4, 8])
    assert np.count_nonzero(np.abs(D).sum(1)) <= 3 and val > 0


@pytest.mark.parametrize(("spec", "n", "k"), [("1", 128, 1), ("1%", 128, 1), ("1%", 256, 3),
                                             ("10%", 128, 13), ("all", 128, 128), (5, 3, 3),
                                             ("100%", 7, 7)])
def test_poison_count(spec, n, k):
    assert th.poison_count(spec, n) == k


@pytest.mark.parametrize("spec", ["0", "0%", "101%", "x%", "", None, True, 0, -2, 1.5])
def test_poison_count_rejects(spec):
    with pytest.raises(InputError):
        th.poison_count(spec, 10)


def test_sensitive_rows_are_the_largest_first_order_gains():
    """F linear in δ with row weights w: the box gain is w_j ε d (w_j > 0), so the attacker
    takes the rows of the largest w."""
    n, d = 8, 5
    X = np.full((n, d), 0.5)
    w = torch.tensor([0.1, 3.0, 0.2, 2.0, 0.0, 5.0, 0.3, 1.0], dtype=torch.float64)
    fs = th.feasible_set(th.Threat("linf", 0.1), X)

    def F(D):
        return (w[:, None] * D).sum()

    rows = th.sensitive_rows(F, fs, 3, torch.Generator().manual_seed(0))
    assert rows.tolist() == [1, 3, 5]
    assert th.sensitive_rows(F, fs, 8, torch.Generator()).tolist() == list(range(8))


def test_ascend_beats_its_start_and_stays_feasible():
    X = _pixels(n=6, d=4)
    fs = th.feasible_set(th.Threat("linf", 0.05), X)
    target = torch.from_numpy(np.random.default_rng(5).normal(size=X.shape))

    def F(D):
        return -((D - target) ** 2).sum()

    g = torch.Generator().manual_seed(1)
    start_val, _ = th.ascend(F, fs, 0, 1.0, torch.Generator().manual_seed(1), 1)
    val, D = th.ascend(F, fs, 20, 0.25, g, 1)
    assert val >= start_val and feasible_linf(X, D.numpy(), 0.05)
    # the maximiser of this concave F is the clamp of the target: sign steps reach it
    want = np.clip(target.numpy(), np.maximum(-0.05, -X), np.minimum(0.05, 1 - X))
    assert np.allclose(D.numpy(), want, atol=0.05 * 0.25)


def test_planted_fault_a_projection_without_the_box_is_caught(monkeypatch):
    """The feasibility check above fails on an ascent whose projection forgets the box."""
    X = _pixels()
    fs = th.feasible_set(th.Threat("linf", EPS8), X)
    monkeypatch.setattr(th.FeasibleSet, "project",
                        lambda self, d: torch.clamp(d, -self.eps, self.eps))
    w = torch.ones(X.shape, dtype=torch.float64)
    _, D = th.ascend(lambda d: (w * d).sum(), fs, 3, 1.0, torch.Generator().manual_seed(0), 1)
    assert not feasible_linf(X, D.numpy(), EPS8)  # x + δ > 1 where x = 1


def test_legacy_projected_gradient_ascent_and_validation():
    X = torch.from_numpy(_pixels())
    radii = 0.1 * torch.linalg.vector_norm(X, dim=1)
    val, _ = th.projected_gradient_ascent(lambda d: (d ** 2).sum(), X, radii, 3, 0.5,
                                          torch.Generator().manual_seed(0), 2)
    assert math.isclose(val, float((radii ** 2).sum()), rel_tol=1e-9)
    for bad in ({"name": "l1"}, {"eps": -1.0}, {"name": "linf", "k": 3},
                {"name": "poison", "k": 0}, {"box": (1.0, 0.0)}):
        with pytest.raises(InputError):
            th.Threat(**{"name": "linf", "eps": 0.1, **bad})
    with pytest.raises(NumericalError):
        th.ascend(lambda d: d.sum() * math.nan, th.feasible_set(th.Threat("linf", 0.1), X),
                  1, 0.5, torch.Generator(), 1)
