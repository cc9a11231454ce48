"""linattn.sensitivity against the exact reference pyverify.sensitivity (Proposition 4.5,
corrected; claim ``sensitivity``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import cases, seeds

from linattn import sensitivity as sens
from pyverify import sensitivity as exact
from pyverify.errors import InputError
from pyverify.tolerance import matmul_rtol


def _np(v) -> np.ndarray:
    return np.array([float(a) for a in v], dtype=np.float64)


@given(case=cases(max_dim=5, max_abs_log10=4), seed=seeds)
def test_vector_difference_and_bound_match_the_exact_reference(case, seed):
    X = case.X
    n, d = X.shape
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(d), rng.standard_normal(d)
    delta = 0.1 * rng.uniform(-1, 1, d)
    tol = matmul_rtol("float64", max(n, d), products=3)
    absC = np.abs(X).T @ np.abs(X)
    scale = absC @ absC @ np.abs(y)  # componentwise bound of C^2 y (Higham Sec. 3.5)
    v = sens.sensitivity_vector(X, y).numpy()
    assert np.all(np.abs(v - _np(exact.sensitivity_vector(X, y))) <= tol * scale)
    # the difference of two kernel values cancels: bounded by the size of the values
    big = float(np.abs(absC @ (np.abs(x) + np.abs(delta))) @ (absC @ np.abs(y)))
    diff = float(sens.kernel_difference(X, x, delta, y))
    assert abs(diff - float(exact.kernel_difference(X, x, delta, y))) <= 2 * tol * big
    bound = float(sens.sensitivity_bound(X, y, 0.1))
    assert abs(diff) <= bound + 2 * tol * big
    assert abs(bound - float(exact.sensitivity_bound(X, y, 0.1))) <= tol * 0.1 * scale.sum()


def test_the_bound_is_attained_by_the_sign_perturbation():
    X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [2.0, 0.0, 1.0]])
    y, x = np.array([1.0, -1.0, 2.0]), np.array([0.5, 0.0, 1.0])
    delta = sens.worst_perturbation(X, y, 0.25)
    assert torch.equal(delta.abs(), torch.full((3,), 0.25, dtype=torch.float64))
    # integers and quarters: every intermediate is exact, so equality holds by construction
    assert float(sens.kernel_difference(X, x, delta, y)) == float(
        sens.sensitivity_bound(X, y, 0.25))


def test_bad_inputs_name_the_argument():
    X = np.eye(3)
    for call, arg in ((lambda: sens.sensitivity_vector(X, [1.0, 2.0]), "y"),
                      (lambda: sens.sensitivity_bound(X, [1.0] * 3, -1.0), "eps"),
                      (lambda: sens.kernel_difference(X, [1.0] * 3, [np.nan] * 3, [1.0] * 3),
                       "delta"),
                      (lambda: sens.worst_perturbation(X, [1.0] * 3, "x"), "eps")):
        with pytest.raises(InputError) as exc:
            call()
        assert exc.value.argument == arg
