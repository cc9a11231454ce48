"""Theorem 4.1 (kernel correspondence), exactly (pyverify.kernel)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from pyverify import InputError, NumericalError, kernel

fractions = st.fractions(min_value=-9, max_value=9, max_denominator=7)


@st.composite
def rational_lists(draw, max_n=6, max_d=5, min_n=1):
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, max_d))
    return [[draw(fractions) for _ in range(d)] for _ in range(n)]


def _sym(rows):
    return sympy.Matrix([[sympy.Rational(f.numerator, f.denominator) for f in r] for r in rows])


SIZES = list(itertools.product((1, 2, 3), repeat=2))


@pytest.mark.parametrize(("n", "d"), SIZES)
def test_symbolic_identity_all_sizes_up_to_3(n, d):
    assert kernel.symbolic_kernel_identity(n, d) is True


@pytest.mark.parametrize("bad", [0, 4, -1, True, 2.0, "2"])
def test_symbolic_identity_rejects_sizes(bad):
    with pytest.raises(InputError, match=r"^n: must be an integer in 1..3"):
        kernel.symbolic_kernel_identity(bad, 2)
    with pytest.raises(InputError, match=r"^d: must be an integer in 1..3"):
        kernel.symbolic_kernel_identity(2, bad)


@given(rational_lists())
def test_exact_correspondence_on_rationals(rows):
    assert kernel.check_kernel_correspondence(rows) is True
    # Independent sympy reference for G and K = G^3.
    X = _sym(rows)
    G = X * X.T
    assert kernel.gram(rows) == G
    assert kernel.attention_map(rows) == X.T * X
    assert kernel.kernel_gram_cube(rows) == G**3


@given(rational_lists(max_n=4, max_d=3), st.data())
def test_double_sum_with_queries(rows, data):
    d = len(rows[0])
    m = data.draw(st.integers(1, 3))
    Y = [[data.draw(fractions) for _ in range(d)] for _ in range(m)]
    X, Ys = _sym(rows), _sym(Y)
    C = X.T * X
    assert kernel.kernel_double_sum(rows, Y) == X * C**2 * Ys.T


def test_floats_are_taken_exactly():
    rows = [[0.1, 0.2], [0.3, -0.7], [1e-3, 5.0]]
    assert kernel.check_kernel_correspondence(rows)
    G = kernel.gram(rows)
    a, b = (sympy.Rational(*v.as_integer_ratio()) for v in (0.1, 0.2))
    assert G[0, 0] == a * a + b * b
    assert G[0, 0] != sympy.Rational(1, 20)


def test_symbolic_matrix_input_with_mixed_entries():
    x, y = sympy.symbols("x y", real=True)
    assert kernel.check_kernel_correspondence([[x, 1], [Fraction(1, 2), y]])


def test_query_dimension_mismatch():
    with pytest.raises(InputError, match=r"^Y: must have d = 2 columns to match X"):
        kernel.kernel_double_sum([[1, 2]], [[1, 2, 3]])


def test_bad_input_names_argument():
    with pytest.raises(InputError, match=r"^X: must be 2-D \(got 1\)"):
        kernel.gram([1, 2, 3])


# --- planted faults: the check must catch them ----------------------------------------


def _double_sum_skipping_last_k(X, Y=None):
    """The literal double sum with an off-by-one: k runs over range(n - 1)."""
    xs = kernel._rows(kernel.coerce(X, "X"))
    n = len(xs)

    def dot(u, v):
        return sum((a * b for a, b in zip(u, v, strict=True)), Fraction(0))

    def entry(xi, xj):
        s = sum((dot(xi, xs[k]) * dot(xs[k], xs[l]) * dot(xs[l], xj)
                 for k in range(n - 1) for l in range(n)), Fraction(0))
        return sympy.Rational(s.numerator, s.denominator)

    return sympy.Matrix([[entry(xi, xj) for xj in xs] for xi in xs])


@given(rational_lists(max_n=4, max_d=4, min_n=2))
def test_planted_off_by_one_in_double_sum_is_caught(rows):
    # The skipped term at (n-1, n-1) is |x_{n-1}|^2 * sum_l (x_{n-1}.x_l)^2 > 0.
    assume(any(v != 0 for v in rows[-1]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernel, "kernel_double_sum", _double_sum_skipping_last_k)
        with pytest.raises(NumericalError, match=r"kernel_double_sum != kernel_gram_cube"):
            kernel.check_kernel_correspondence(rows)
    assert kernel.check_kernel_correspondence(rows)  # the genuine kernel passes


def test_planted_shifted_index_in_gram_cube_is_caught(monkeypatch):
    def shifted_cube(X):
        G = kernel.gram(X)
        K = G * G * G.T  # G^2 G^T (= G^3 since G is symmetric) ...
        n = K.rows
        return sympy.Matrix(n, n, lambda i, j: K[i, (j + 1) % n])  # ... with j shifted

    monkeypatch.setattr(kernel, "kernel_gram_cube", shifted_cube)
    with pytest.raises(NumericalError, match=r"kernel_gram_cube at entry \[0, 0\]"):
        kernel.check_kernel_correspondence([[1, 2, 0], [0, 1, 3], [2, 0, 1]])


def test_planted_fault_in_feature_map_is_caught(monkeypatch):
    monkeypatch.setattr(kernel, "linattn_kernel", lambda X: kernel.gram(X) ** 2)
    with pytest.raises(NumericalError, match=r"kernel_double_sum != linattn_kernel"):
        kernel.check_kernel_correspondence([[1, 2], [3, 5]])


def test_larger_exact_case():
    rows = [[Fraction((7 * i + 3 * j) % 11 - 5, 1 + (i + j) % 4) for j in range(7)]
            for i in range(9)]
    assert kernel.check_kernel_correspondence(rows)
