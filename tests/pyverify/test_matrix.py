"""Input coercion and validation (pyverify.matrix)."""

from __future__ import annotations

import decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from pyverify import InputError, as_exact_matrix, as_exact_vector, as_mp_matrix
from pyverify.matrix import as_scaled_int

fractions = st.fractions(min_value=-20, max_value=20, max_denominator=12)


@st.composite
def rational_lists(draw, max_n=5, max_d=5):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    return [[draw(fractions) for _ in range(d)] for _ in range(n)]


def test_float_converts_to_its_exact_binary_value():
    M = as_exact_matrix([[0.1, 2.5]])
    num, den = (0.1).as_integer_ratio()
    assert M[0, 0] == sympy.Rational(num, den)
    assert M[0, 0] != sympy.Rational(1, 10)  # no nsimplify-style guessing
    assert M[0, 1] == sympy.Rational(5, 2)


def test_float32_converts_exactly():
    v = np.float32(0.1)
    M = as_exact_matrix(np.array([[v]], dtype=np.float32))
    assert M[0, 0] == sympy.Rational(*v.as_integer_ratio())
    assert M[0, 0] != as_exact_matrix([[0.1]])[0, 0]


@pytest.mark.parametrize(
    "container",
    [
        [[1, 2], [3, 4]],
        ((1, 2), (3, 4)),
        np.array([[1, 2], [3, 4]]),
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        np.array([[1, 2], [3, 4]], dtype=object),
        sympy.Matrix([[1, 2], [3, 4]]),
        mpmath.matrix([[1, 2], [3, 4]]),
        [[Fraction(1), decimal.Decimal(2)], [mpmath.mpf(3), sympy.Float(4)]],
        [np.array([1, 2]), np.array([3, 4])],
    ],
)
def test_all_containers_give_the_same_exact_matrix(container):
    assert as_exact_matrix(container) == sympy.Matrix([[1, 2], [3, 4]])


def test_mpf_with_many_digits_converts_exactly():
    with mpmath.workdps(40):
        v = mpmath.mpf(1) / 3
    man, exp = v.man_exp
    assert as_exact_matrix([[v]])[0, 0] == sympy.Rational(man) * sympy.Rational(2) ** exp


@given(rational_lists())
def test_rational_roundtrip_and_scaled_int(rows):
    expected = sympy.Matrix([[sympy.Rational(f.numerator, f.denominator) for f in r]
                             for r in rows])
    assert as_exact_matrix(rows) == expected
    s = as_scaled_int(rows)
    assert s.den > 0
    assert s.to_sympy() == expected


@given(rational_lists(max_n=3, max_d=3))
def test_mp_matrix_is_one_rounding_of_exact(rows):
    with mpmath.workdps(50):
        M = as_mp_matrix(rows, dps=50)
        for i, r in enumerate(rows):
            for j, f in enumerate(r):
                exact = mpmath.mpf(f.numerator) / f.denominator
                assert abs(M[i, j] - exact) <= abs(exact) * mpmath.mpf(10) ** -49


def test_symbols_allowed_exactly_only_where_symbolic():
    x = sympy.Symbol("x")
    M = as_exact_matrix([[x, 1]])
    assert M[0, 0] == x
    with pytest.raises(InputError, match=r"^X: entry \[0, 0\] must be a rational"):
        as_mp_matrix([[x, 1]])
    with pytest.raises(InputError, match=r"^X: .*symbolic"):
        as_exact_matrix([[sympy.sqrt(2)]], allow_symbols=False)


BAD = [
    ("1-D list", [1, 2, 3], r"must be 2-D \(got 1\)"),
    ("1-D numpy", np.arange(3.0), r"must be 2-D \(got 1\)"),
    ("3-D list", [[[1]], [[2]]], r"must be 2-D \(got 3\)"),
    ("3-D numpy", np.zeros((2, 2, 2)), r"must be 2-D \(got 3\)"),
    ("scalar", 5.0, r"must be 2-D \(got 0\)"),
    ("empty list", [], r"must be non-empty"),
    ("zero columns", [[], []], r"must be non-empty"),
    ("empty numpy", np.zeros((0, 3)), r"must be non-empty"),
    ("empty sympy", sympy.zeros(0, 3), r"must be non-empty"),
    ("NaN", [[1.0, float("nan")]], r"entry \[0, 1\] must be finite, not NaN/Inf \(got 'NaN'\)"),
    ("NaN numpy", np.array([[np.nan]]), r"must be finite, not NaN/Inf \(got 'NaN'\)"),
    ("Inf", [[float("inf")]], r"must be finite, not NaN/Inf \(got 'Inf'\)"),
    ("-Inf numpy", np.array([[1.0], [-np.inf]]), r"entry \[1, 0\] must be finite"),
    ("mpf nan", [[mpmath.nan]], r"must be finite"),
    ("sympy oo", [[sympy.oo]], r"must be finite"),
    ("string entry", [[1, "a"]], r"entry \[0, 1\] must be a real number, not str"),
    ("None entry", [[None]], r"must be a real number, not NoneType"),
    ("object entry", [[object()]], r"must be a real number, not object"),
    ("bool entry", [[True, 1]], r"must be a real number, not bool"),
    ("bool numpy", np.array([[True]]), r"must be numeric, not boolean"),
    ("string numpy", np.array([["a"]]), r"must be numeric"),
    ("complex", [[1 + 2j]], r"must be real, not complex"),
    ("complex numpy", np.array([[1j]]), r"must be real, not complex"),
    ("string", "abc", r"must be a 2-D numeric array-like"),
    ("None", None, r"must be a 2-D numeric array-like"),
    ("ragged", [[1, 2], [3]], r"must not be ragged.*\[2, 1\]"),
    ("ragged mixed", [[1, 2], 3], r"must not be ragged"),
]


@pytest.mark.parametrize(("label", "bad", "pattern"), BAD, ids=[b[0] for b in BAD])
def test_every_bad_input_names_the_argument(label, bad, pattern):
    with pytest.raises(InputError, match=r"^keys: .*" + pattern) as info:
        as_exact_matrix(bad, name="keys")
    assert info.value.argument == "keys"
    assert isinstance(info.value, ValueError)


def test_vector_forms():
    expected = sympy.Matrix([1, 2, 3])
    for v in ([1, 2, 3], (1, 2, 3), np.array([1, 2, 3]), sympy.Matrix([1, 2, 3]),
              sympy.Matrix([[1, 2, 3]]), np.array([[1], [2], [3]])):
        assert as_exact_vector(v, "y", length=3) == expected


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ([1, 2], r"must have length d = 3 to match X \(got 2\)"),
        ([[1, 2], [3, 4]], r"must be 1-D"),
        (np.ones((2, 2)), r"must be a vector"),
        (np.ones((2, 2, 2)), r"must be 1-D \(got 3\)"),
        (3.0, r"must be 1-D \(got 0\)"),
        ([], r"must be non-empty"),
        ([1, float("nan"), 2], r"entry \[1\] must be finite"),
        ([True, 1, 2], r"not bool"),
    ],
)
def test_bad_vectors_name_the_argument(bad, pattern):
    with pytest.raises(InputError, match=r"^y: .*" + pattern):
        as_exact_vector(bad, "y", length=3)


@pytest.mark.parametrize("dps", [10, 301, 50.0, True])
def test_bad_dps(dps):
    with pytest.raises(InputError, match=r"^dps: "):
        as_mp_matrix([[1]], dps=dps)
