"""pyverify.function_class: Theorem B.8's "fourth-order" class is linear in x, exactly."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from strategies import cases, seeds

from pyverify import function_class as fc
from pyverify.errors import InputError, NumericalError


@given(case=cases(kinds=("integer",), max_dim=3), seed=seeds)
def test_the_class_is_linear_in_x_for_every_x(case, seed):
    import numpy as np

    X = case.X
    n = X.shape[0]
    alpha = np.random.default_rng(seed).integers(-2, 3, (n, n))
    assert fc.check_fourth_order_linear(X, alpha)


def test_weight_is_in_the_row_span_and_a_planted_error_is_caught(monkeypatch):
    X = [[1, 2], [0, 1], [3, -1]]
    alpha = [[1, 0, 2], [0, -1, 0], [1, 1, 1]]
    w = fc.fourth_order_weight(X, alpha)
    Xm = sympy.Matrix(X)
    G2 = (Xm * Xm.T) ** 2
    b = sympy.Matrix([sum(alpha[k][m] * G2[k, m] for m in range(3)) for k in range(3)])
    assert w == Xm.T * b
    real = fc.fourth_order_weight
    monkeypatch.setattr(fc, "fourth_order_weight", lambda X, a: 2 * real(X, a))
    with pytest.raises(NumericalError, match=r"Theorem B\.8"):
        fc.check_fourth_order_linear(X, alpha)


def test_bad_shapes_name_the_argument():
    with pytest.raises(InputError, match="alpha"):
        fc.fourth_order_weight([[1, 2]], [[1, 2]])
    with pytest.raises(InputError, match="x"):
        fc.fourth_order_value([[1, 2]], [[1]], [1, 2, 3])
