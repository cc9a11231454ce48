"""The width threshold m = kappa_d^6 n ln n in log10 (pyverify.width)."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyverify import InputError, NumericalError, log10_width_threshold, width_threshold

kappas = st.floats(min_value=1.0, max_value=1e300, allow_nan=False, allow_infinity=False)
sizes = st.integers(min_value=2, max_value=10**9)


def direct(k, n):
    with mpmath.workdps(70):
        k = mpmath.mpf(k)
        return 6 * mpmath.log10(k) + mpmath.log10(n) + mpmath.log10(mpmath.log(n))


@given(kappas, sizes)
def test_matches_direct_mpmath_formula(k, n):
    got = log10_width_threshold(k, n)
    with mpmath.workdps(70):
        assert abs(got - direct(k, n)) <= mpmath.mpf(10) ** -45 * max(1, abs(direct(k, n)))
        # and the number itself: 10^log10 m == kappa^6 n ln n
        m = width_threshold(k, n)
        assert abs(mpmath.log10(m) - got) <= mpmath.mpf(10) ** -45 * max(1, abs(got))


def test_float_formula_agrees_where_float_does_not_overflow():
    k, n = 123.5, 1000
    assert math.isclose(float(log10_width_threshold(k, n)),
                        math.log10(k**6 * n * math.log(n)), rel_tol=1e-13)
    assert math.isclose(float(width_threshold(k, n)), k**6 * n * math.log(n), rel_tol=1e-13)


@given(kappas, kappas, sizes)
def test_monotone_in_kappa(k1, k2, n):
    lo, hi = sorted((k1, k2))
    a, b = log10_width_threshold(lo, n), log10_width_threshold(hi, n)
    assert a < b if lo < hi else a == b


@given(kappas, sizes, sizes)
def test_monotone_in_n(k, n1, n2):
    lo, hi = sorted((n1, n2))
    a, b = log10_width_threshold(k, lo), log10_width_threshold(k, hi)
    assert a < b if lo < hi else a == b


@pytest.mark.parametrize("k", [1e30, 10**30, "1e30", mpmath.mpf("1e30"), Fraction(10**30)])
def test_kappa_1e30_no_overflow(k):
    n = 60000
    got = log10_width_threshold(k, n)
    with mpmath.workdps(60):
        expected = 180 + mpmath.log10(n) + mpmath.log10(mpmath.log(n))
        inexact = isinstance(k, float | mpmath.mpf)  # 1e30 at 53 bits is not exactly 10^30
        tol = mpmath.mpf(10) ** (-14 if inexact else -45)
        assert abs(got - expected) <= tol * expected
    m = width_threshold(k, n)
    assert mpmath.isfinite(m) and m > mpmath.mpf(10) ** 180


def test_kappa_1_gives_n_ln_n():
    with mpmath.workdps(50):
        assert abs(width_threshold(1, 10) - 10 * mpmath.log(10)) < mpmath.mpf(10) ** -45


@pytest.mark.parametrize("k", [0.5, 0, -3, "0.99"])
def test_kappa_below_one(k):
    with pytest.raises(InputError, match=r"^cond_d: must be a 2-norm condition number >= 1"):
        log10_width_threshold(k, 10)


@pytest.mark.parametrize("k", [float("nan"), "nan", mpmath.nan])
def test_kappa_nan(k):
    with pytest.raises(InputError, match=r"^cond_d: .*NaN"):
        log10_width_threshold(k, 10)


@pytest.mark.parametrize("k", ["abc", None, [3.0], True])
def test_kappa_non_numeric(k):
    with pytest.raises(InputError, match=r"^cond_d: "):
        width_threshold(k, 10)


@pytest.mark.parametrize("k", [float("inf"), mpmath.inf, "inf"])
def test_kappa_infinite_is_rank_deficiency(k):
    with pytest.raises(NumericalError, match=r"^cond_d: is infinite: rank-deficient data"):
        log10_width_threshold(k, 10)


@pytest.mark.parametrize("n", [1, 0, -5, 2.5, True, "10"])
def test_bad_n(n):
    with pytest.raises(InputError, match=r"^n: must be an integer >= 2 .*ln 1 = 0"):
        log10_width_threshold(10, n)
