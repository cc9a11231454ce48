"""Proposition 4.5 in its typed form (pyverify.sensitivity)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from pyverify import (
    InputError,
    NumericalError,
    check_sensitivity,
    kernel_difference,
    kernel_gram_cube,
    kernel_value,
    sensitivity,
    sensitivity_bound,
    sensitivity_vector,
)

fractions = st.fractions(min_value=-9, max_value=9, max_denominator=6)


@st.composite
def instances(draw):
    n = draw(st.integers(1, 5))
    d = draw(st.integers(1, 4))
    X = [[draw(fractions) for _ in range(d)] for _ in range(n)]
    x, delta, y = ([draw(fractions) for _ in range(d)] for _ in range(3))
    return X, x, delta, y


def _m(rows):
    return sympy.Matrix(rows)  # sympify turns Fraction into the equal Rational


@given(instances())
def test_identity_and_bound_on_generated_inputs(inst):
    X, x, delta, y = inst
    assert check_sensitivity(X, x, delta, y) is True
    # Independent reference with plain sympy matrices.
    Xm, xv, dv, yv = _m(X), _m(x), _m(delta), _m(y)
    C = Xm.T * Xm
    v = C * C * yv
    assert sensitivity_vector(X, y) == v
    diff = kernel_difference(X, x, delta, y)
    assert diff == (dv.T * v)[0, 0]
    assert diff == ((C * (xv + dv)).T * (C * yv))[0, 0] - ((C * xv).T * (C * yv))[0, 0]
    eps = max(abs(a) for a in dv)
    assert abs(diff) <= sensitivity_bound(X, y, eps)
    assert sensitivity_bound(X, y, eps) == eps * sum(abs(a) for a in v)


@given(instances(), st.fractions(min_value=0, max_value=3, max_denominator=5))
def test_bound_is_attained_by_the_sign_perturbation(inst, eps):
    X, x, _, y = inst
    v = sensitivity_vector(X, y)
    delta = [eps * (1 if a > 0 else -1 if a < 0 else 0) for a in v]
    assert kernel_difference(X, x, delta, y) == sensitivity_bound(X, y, eps)


@given(instances())
def test_kernel_value_matches_gram_cube_on_training_points(inst):
    X = inst[0]
    K = kernel_gram_cube(X)
    for i in range(len(X)):
        for j in range(len(X)):
            assert kernel_value(X, X[i], X[j]) == K[i, j]


def test_symbolic_difference_is_linear_in_delta():
    d = 2
    xs = sympy.symbols("a0:2", real=True)
    ds = sympy.symbols("e0:2", real=True)
    X = [[1, 2], [Fraction(1, 3), -1], [0, 4]]
    y = [3, -2]
    diff = kernel_difference(X, list(xs), list(ds), y)
    v = sensitivity_vector(X, y)
    assert sympy.expand(diff - sum(ds[a] * v[a] for a in range(d))) == 0
    assert not diff.free_symbols & set(xs)  # independent of the query point itself


def test_planted_mistyped_vector_is_caught(monkeypatch):
    # Using C y in place of C^2 y (a "one power short" reading of the paper) must fail.
    X, x, delta, y = [[1, 2], [3, 1]], [1, 1], [1, -2], [2, 1]
    monkeypatch.setattr(sensitivity, "sensitivity_vector",
                        lambda X, y: sensitivity._C(X) * sympy.Matrix(y))
    with pytest.raises(NumericalError, match=r"^delta: sensitivity identity"):
        check_sensitivity(X, x, delta, y)


@given(instances())
def test_planted_off_by_one_coordinate_is_caught(inst):
    X, x, delta, y = inst
    v = sensitivity_vector(X, y)
    # delta^T shifted = sum_{a >= 1} delta_a v_{a-1}; the plant is visible iff it differs.
    planted = sum(a * b for a, b in zip(delta[1:], list(v)[:-1], strict=True))
    assume(len(v) >= 2 and planted != sum(a * b for a, b in zip(delta, v, strict=True)))

    def shifted(X, y):
        w = sensitivity._C(X) ** 2 * sympy.Matrix(y)
        return sympy.Matrix([0, *list(w)[:-1]])  # v_a replaced by v_{a-1}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sensitivity, "sensitivity_vector", shifted)
        with pytest.raises(NumericalError, match="sensitivity identity"):
            check_sensitivity(X, x, delta, y)


@pytest.mark.parametrize("eps", [-1, -0.001, Fraction(-1, 3)])
def test_negative_eps(eps):
    with pytest.raises(InputError, match=r"^eps: must be >= 0"):
        sensitivity_bound([[1, 2]], [1, 1], eps)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: kernel_value([[1, 2]], [1, 2, 3], [1, 2]), r"^x: must have length d = 2"),
        (lambda: kernel_difference([[1, 2]], [1, 2], [1], [1, 2]), r"^delta: must have length"),
        (lambda: sensitivity_vector([[1, 2]], [[1, 2], [3, 4]]), r"^y: must be"),
        (lambda: sensitivity_vector([1, 2], [1, 2]), r"^X: must be 2-D \(got 1\)"),
        (lambda: sensitivity_bound([[1, 2]], [1, 2], float("nan")), r"^eps: .*NaN"),
        (lambda: check_sensitivity([[1, 2]], [1, 2], [sympy.Symbol("t"), 0], [1, 1]),
         r"^delta: entry \[0\] must be a rational"),
    ],
)
def test_bad_inputs_name_the_argument(call, pattern):
    with pytest.raises(InputError, match=pattern):
        call()
