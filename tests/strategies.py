"""Shared Hypothesis strategies for the torch library tests.

Matrices come as :class:`Case` (numpy float64 ``X`` plus what is known about it by
construction).  Randomness inside a case is a numpy Generator seeded by a drawn integer,
so examples are reproducible and Hypothesis still explores shapes, kinds and scales.

Kinds:

* ``integer``: entries in {-3..3}; every kernel entry is an integer < 2^53, so float64
  products are exact-able and the exact reference is cheap;
* ``conditioned``: X = U diag(s) V^T, full rank r = min(n, d), singular values geometric
  from 1 to cond^{-1/2}, so kappa(G) = ``cond`` (up to rounding), cond in [1, max_cond];
* ``rank_deficient``: m distinct well-conditioned rows (m < n) repeated, plus zero
  columns, so rank(G) = m < min(n, d) exactly (a clean gap: the nonzero eigenvalues
  are >= 1/9 of lambda_max);
* ``gaussian``: i.i.d. N(0, 1).

Shapes: n < d, n = d and n > d are all drawn.  ``scale`` multiplies X by 10^k
(tiny and huge scales; ``max_abs_log10`` bounds k so that the sixth power in G^3 stays in
range for the dtype under test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

__all__ = ["KINDS", "Case", "cases", "orthogonal", "scales", "seeds", "shapes"]

KINDS = ("integer", "conditioned", "rank_deficient", "gaussian")
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@dataclass(frozen=True)
class Case:
    X: np.ndarray
    kind: str
    rank: int  # exact rank of X (and of G)
    cond: float | None  # kappa(G) by construction, None when unknown
    scale: float

    def __repr__(self) -> str:  # short, for Hypothesis falsifying examples
        return (f"Case(kind={self.kind!r}, shape={self.X.shape}, rank={self.rank}, "
                f"cond={self.cond}, scale={self.scale:g}, X={self.X.tolist()!r})")


def orthogonal(rng: np.random.Generator, k: int) -> np.ndarray:
    """A Haar-random k x k orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))


@st.composite
def shapes(draw, min_dim: int = 1, max_dim: int = 6, relation: str | None = None):
    """(n, d) with n < d, n = d or n > d (drawn unless ``relation`` fixes it)."""
    rel = relation or draw(st.sampled_from(("n<d", "n=d", "n>d")))
    lo = min_dim + (1 if rel != "n=d" else 0)
    big = draw(st.integers(max(lo, min_dim), max_dim))
    small = big if rel == "n=d" else draw(st.integers(min_dim, big - 1))
    return (small, big) if rel == "n<d" else (big, small)


def scales(max_abs_log10: int = 20):
    """Powers of ten: tiny, moderate and huge."""
    ks = sorted({0, -max_abs_log10, max_abs_log10, -max_abs_log10 // 2, max_abs_log10 // 2})
    return st.sampled_from([10.0**k for k in ks])


def _conditioned(rng, n, d, cond):
    r = min(n, d)
    s = np.geomspace(1.0, cond**-0.5, r) if r > 1 else np.ones(1)
    U = orthogonal(rng, n)[:, :r]
    V = orthogonal(rng, d)[:, :r]
    return (U * s) @ V.T


def _rank_deficient(rng, n, d):
    # m distinct rows in d0 = d - z nonzero columns, m < min(n, d), m <= d0.
    z = int(rng.integers(0, max(d - 1, 0) + 1)) if d > 1 else 0
    d0 = d - z
    m = int(rng.integers(1, min(n - 1, d - 1, d0) + 1))
    U, V = orthogonal(rng, m), orthogonal(rng, d0)[:, :m]
    base = (U * rng.uniform(1.0, 3.0, m)) @ V.T  # (m, d0), singular values in [1, 3]
    rows = np.concatenate([np.arange(m), rng.integers(0, m, n - m)])
    rng.shuffle(rows)
    X = np.zeros((n, d))
    cols = rng.permutation(d)[:d0]
    X[:, cols] = base[rows]
    return X, m


@st.composite
def cases(draw, kinds: tuple[str, ...] = KINDS, min_dim: int = 1, max_dim: int = 6,
          max_cond: float = 1e8, max_abs_log10: int = 0, relation: str | None = None):
    """A :class:`Case`; ``max_abs_log10 > 0`` also draws a scale 10^k, |k| <= it."""
    kind = draw(st.sampled_from(kinds))
    if kind == "rank_deficient":
        n, d = draw(shapes(max(min_dim, 2), max_dim, relation))
    else:
        n, d = draw(shapes(min_dim, max_dim, relation))
    rng = np.random.default_rng(draw(seeds))
    cond = None
    if kind == "integer":
        X = rng.integers(-3, 4, (n, d)).astype(np.float64)
        if not X.any():
            X[0, 0] = 1.0
        rank = int(np.linalg.matrix_rank(X))
    elif kind == "conditioned":
        cond = 10.0 ** draw(st.floats(0.0, float(np.log10(max_cond))))
        X, rank = _conditioned(rng, n, d, cond), min(n, d)
    elif kind == "rank_deficient":
        X, rank = _rank_deficient(rng, n, d)
    else:
        X = rng.standard_normal((n, d))
        rank = min(n, d)
    scale = draw(scales(max_abs_log10)) if max_abs_log10 else 1.0
    return Case(X * scale, kind, rank, cond, scale)
