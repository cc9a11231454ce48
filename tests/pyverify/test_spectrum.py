"""Eigenvalues, 2-norm condition numbers and Theorem 4.7 (pyverify.spectrum)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from pyverify import (
    InputError,
    NumericalError,
    check_cond_cubed,
    cond,
    cond_d,
    eigenvalues,
    numerical_rank,
    spectral_stats,
    spectrum,
)

small_ints = st.integers(-4, 4)


@st.composite
def int_lists(draw, min_n=1, max_n=5, min_d=1, max_d=5):
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(min_d, max_d))
    return [[draw(small_ints) for _ in range(d)] for _ in range(n)]


@st.composite
def well_conditioned(draw):
    """Integer X (n <= d) with a dominant diagonal: G is SPD with kappa(G) < ~10."""
    rows = draw(int_lists(min_n=1, max_n=4, min_d=4, max_d=5))
    d = len(rows[0])
    for i, row in enumerate(rows):
        row[i] += 4 * d * (1 if row[i] >= 0 else -1)
    return rows


def close(a, b, digits):
    with mpmath.workdps(60):
        return abs(a - b) <= mpmath.mpf(10) ** -digits * max(abs(a), abs(b), 1)


def test_eigenvalues_of_known_matrices():
    with mpmath.workdps(50):
        ev = eigenvalues([[2, 1], [1, 2]])
        assert close(ev[0], 3, 48) and close(ev[1], 1, 48)
        ev = eigenvalues(sympy.diag(3, 1, 2))
        assert [mpmath.nint(v) for v in ev] == [3, 2, 1]
        ev = eigenvalues([[0, 1], [1, 0]])  # indefinite
        assert close(ev[0], 1, 48) and close(ev[1], -1, 48)


@given(int_lists(max_n=4, max_d=4))
def test_eigenvalues_descending_and_trace(rows):
    X = sympy.Matrix(rows)
    S = X.T * X
    ev = eigenvalues(S)
    assert ev == sorted(ev, reverse=True)
    with mpmath.workdps(50):
        assert close(sum(ev), S.trace(), 45)
        assert close(sum(v**2 for v in ev), sum(e**2 for e in S), 44)


@pytest.mark.parametrize(
    ("S", "pattern"),
    [
        ([[1, 2], [0, 1]], r"^S: must be symmetric \(got 'max\|S - S\^T\| / max\|S\|"),
        ([[1, 2, 3], [2, 1, 0]], r"^S: must be square"),
        ([1, 2], r"^S: must be 2-D"),
        ([[sympy.Symbol("a")]], r"^S: entry \[0, 0\] must be a rational"),
    ],
)
def test_eigenvalues_bad_input(S, pattern):
    with pytest.raises(InputError, match=pattern):
        eigenvalues(S)


def test_nearly_symmetric_is_accepted_beyond_tolerance_rejected():
    with mpmath.workdps(60):
        tiny, big = mpmath.mpf(10) ** -48, mpmath.mpf(10) ** -40
        ok = mpmath.matrix([[2, 1 + tiny], [1, 2]])
        bad = mpmath.matrix([[2, 1 + big], [1, 2]])
    assert len(eigenvalues(ok)) == 2
    with pytest.raises(InputError, match="must be symmetric"):
        eigenvalues(bad)


def test_residual_check_catches_a_bad_eigensolver(monkeypatch):
    real = mpmath.eigsy

    def sloppy(A, *args, **kwargs):
        E, Q = real(A, *args, **kwargs)
        return E + mpmath.matrix([mpmath.mpf(10) ** -20] * A.rows), Q

    monkeypatch.setattr(mpmath, "eigsy", sloppy)
    with pytest.raises(NumericalError, match=r"^S: eigen-residual .* above mp_residual_rtol"):
        eigenvalues([[2, 1], [1, 2]])


def test_cond_is_the_2norm_ratio_and_matches_svd():
    S = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]
    with mpmath.workdps(50):
        k = cond(S)
        ev = eigenvalues(S)
        assert k == ev[0] / ev[-1]
        sv = mpmath.svd_r(mpmath.matrix(S), compute_uv=False)
        assert close(k, max(sv) / min(sv), 45)
        assert close(cond(ev), k, 48)  # eigenvalue-list form


def test_mpmath_default_cond_is_the_1norm_and_differs():
    S = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]
    with mpmath.workdps(50):
        ours = cond(S)
        theirs = mpmath.cond(mpmath.matrix(S))  # 1-norm by default
        assert abs(theirs - ours) / ours > mpmath.mpf("0.01")
        one_norm = mpmath.mnorm(mpmath.matrix(S), 1) * mpmath.mnorm(
            mpmath.inverse(mpmath.matrix(S)), 1)
        assert close(theirs, one_norm, 45)


@pytest.mark.parametrize(
    ("S", "pattern"),
    [
        ([[1, 1], [1, 1]], r"cond undefined: lambda_min <= .*rank 1 of 2"),
        ([[1, 2], [2, 1]],
         r"cond undefined: lambda_min <= 0 .*singular or indefinite, rank 1 of 2"),
        ([[0, 0], [0, 0]], r"cond undefined: lambda_min <= 0 .*rank 0 of 2"),
        ([[2, 0, 0], [0, 1, 0], [0, 0, 0]], r"cond undefined: lambda_min <= 0 .*rank 2 of 3"),
    ],
)
def test_cond_raises_rather_than_inf(S, pattern):
    with pytest.raises(NumericalError, match=r"^S: " + pattern):
        cond(S)


def test_cond_d_and_rank_on_eigenvalue_lists():
    ev = [5, 4, 1, 0, 0]
    assert numerical_rank(ev, rtol=1e-30) == 3
    assert numerical_rank(ev, rtol=0.9) == 1
    assert numerical_rank(ev, rtol=0.5) == 2
    assert numerical_rank([0, -1], rtol=0.1) == 0
    with mpmath.workdps(50):
        assert cond_d(ev, 3) == 5
        assert cond_d(ev, 2) == mpmath.mpf(5) / 4
    with pytest.raises(NumericalError, match=r"^eigs: cond_d undefined: numerical rank 3 < r = 4"):
        cond_d(ev, 4)
    with pytest.raises(InputError, match=r"^r: must be an integer in 1..5"):
        cond_d(ev, 6)


@pytest.mark.parametrize("rtol", [-0.1, 1, 2.0, float("nan"), "x"])
def test_bad_rtol(rtol):
    with pytest.raises(InputError, match=r"^rtol: "):
        numerical_rank([1, 2], rtol=rtol)


@pytest.mark.parametrize(
    "eigs", [[], [[1, 2], [3, 4, 5]], np.zeros((2, 2)), 3.0, [1, float("inf")]])
def test_bad_eigenvalue_lists(eigs):
    with pytest.raises(InputError, match=r"^eigs: "):
        numerical_rank(eigs, rtol=0.1)


@given(well_conditioned())
def test_cond_cubed_to_40_digits(rows):
    rel = check_cond_cubed(rows, dps=50, digits=40)
    assert rel <= mpmath.mpf(10) ** -40
    rep = spectral_stats(rows)
    assert rep.rank == rep.n == rep.r  # n <= d and full rank
    with mpmath.workdps(50):
        assert close(rep.cond_cube, rep.cond**3, 40)
        assert rep.cond == rep.cond_d


@pytest.mark.parametrize("rows", [[[1, 2], [3, 4]], [[1, 2, 3], [4, 5, 6], [7, 8, 10]],
                                  [[0.1, 0.7, 0.0], [0.3, -0.2, 0.9]]])
def test_cond_cubed_moderately_conditioned(rows):
    # Attainable agreement ~ dps - log10(n kappa(G)^3) digits (backward-stable eigsy): 40
    # digits while kappa(G) < ~1e3, fewer beyond (kappa(G) = 7.8e3 for the 3x3 case).
    n = len(rows)
    k = spectral_stats(rows).cond
    with mpmath.workdps(50):
        attainable = int(50 - mpmath.log10(n * k**3)) - 2
    assert check_cond_cubed(rows, dps=50, digits=min(40, attainable)) >= 0
    if attainable >= 40:
        assert check_cond_cubed(rows, dps=50, digits=40) <= mpmath.mpf(10) ** -40


def test_cond_cubed_catches_a_planted_error(monkeypatch):
    real = spectrum.cond
    calls = []

    def off_on_second_call(S, **kw):
        calls.append(1)
        k = real(S, **kw)
        with mpmath.workdps(50):
            return k * (1 + mpmath.mpf(10) ** -35) if len(calls) == 2 else k

    monkeypatch.setattr(spectrum, "cond", off_on_second_call)
    with pytest.raises(NumericalError, match=r"^X: kappa\(G\^3\) = kappa\(G\)\^3 holds to fewer"):
        check_cond_cubed([[5, 1, 0], [1, 6, 1]])


def test_cond_cubed_bad_arguments():
    with pytest.raises(InputError, match=r"^digits: "):
        check_cond_cubed([[1, 0], [0, 2]], digits=50)
    with pytest.raises(InputError, match=r"^dps: "):
        check_cond_cubed([[1, 0], [0, 2]], dps=10)
    with pytest.raises(NumericalError, match=r"^S: cond undefined"):
        check_cond_cubed([[1, 2], [2, 4]])  # rank-1 G


def _exact_rank(rows):
    return sympy.Matrix(rows).rank()


@st.composite
def rank_deficient(draw):
    """n > d; duplicate rows with n <= d; or a zero column with n >= d.  In the last two
    the exact rank is below r = min(n, d)."""
    kind = draw(st.sampled_from(["n>d", "duplicate", "zero column"]))
    if kind == "n>d":
        return kind, draw(int_lists(min_n=3, max_n=5, min_d=1, max_d=2))
    if kind == "duplicate":
        rows = draw(int_lists(min_n=2, max_n=3, min_d=3, max_d=4))
        rows[-1] = list(rows[0])
        return kind, rows
    rows = draw(int_lists(min_n=3, max_n=4, min_d=2, max_d=3))
    j = draw(st.integers(0, len(rows[0]) - 1))
    for row in rows:
        row[j] = 0
    return kind, rows


@given(rank_deficient())
def test_rank_deficient_inputs(case):
    kind, rows = case
    n, d = len(rows), len(rows[0])
    rank = _exact_rank(rows)
    rep = spectral_stats(rows)
    assert rep.rank == rank, kind
    assert rep.r == min(n, d)
    assert rank < n  # G = X X^T (n x n) is singular in every case
    with pytest.raises(NumericalError, match=rf"cond undefined: .*rank {rank} of {n}"):
        cond(sympy.Matrix(rows) * sympy.Matrix(rows).T)
    if kind != "n>d":
        assert rank < rep.r
    if rank < rep.r:
        assert rep.cond_d == mpmath.inf
        assert f"numerical rank {rank} < r = min(n, d) = {rep.r}" in rep.cond_d_note
        with pytest.raises(NumericalError, match=rf"numerical rank {rank} < r = {rep.r}"):
            cond_d(rep.eigenvalues, rep.r)
    else:
        with mpmath.workdps(50):
            assert rep.cond_d == rep.eigenvalues[0] / rep.eigenvalues[rep.r - 1]
            assert rep.cond_d == cond_d(rep.eigenvalues, rep.r)
    if rank == 0:
        assert rep.cond == mpmath.inf and "X is zero" in rep.cond_note
    else:
        assert f"numerical rank {rank}" in rep.cond_note


def test_report_specific_rank_deficient_cases():
    dup = spectral_stats([[1, 2, 3, 4], [0, 1, 0, 1], [1, 2, 3, 4]])
    assert (dup.rank, dup.r, dup.cond_d) == (2, 3, mpmath.inf)
    zero_col = spectral_stats([[1, 0, 2], [3, 0, 1], [0, 0, 5]])
    assert (zero_col.rank, zero_col.r, zero_col.cond_d) == (2, 3, mpmath.inf)
    tall = spectral_stats([[1, 0], [0, 1], [1, 1]])
    assert (tall.rank, tall.r) == (2, 2)
    with mpmath.workdps(50):
        assert close(tall.cond_d, 3, 45)  # eigenvalues of G are 3, 1, 0
        assert close(tall.cond_cube, 27, 45)
    d = tall.as_dict(10)
    assert d["cond_d"].startswith("3.0") and d["rank"] == 2 and len(d["eigenvalues"]) == 3


def test_report_records_rtol_and_residuals():
    rep = spectral_stats([[1, 2], [3, 4]], dps=30)
    assert rep.dps == 30
    assert rep.rtol == mpmath.mpf(spectrum.mp_rank_rtol(30, 2, 2))
    assert rep.residual <= spectrum.mp_residual_rtol(30, 2)
    assert rep.residual_cube <= spectrum.mp_residual_rtol(30, 2)
    # G has eigenvalues 1 and 1e-10 (squares of 1 and 1e-5).
    custom = spectral_stats([[1, 0], [0, 1e-5]], rtol=1e-15)
    assert custom.rank == 2 and custom.rtol == mpmath.mpf(1e-15)
    coarse = spectral_stats([[1, 0], [0, 1e-5]], rtol=1e-9)
    assert coarse.rank == 1 and coarse.cond_d == mpmath.inf
