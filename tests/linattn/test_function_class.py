"""linattn.function_class against the exact reference pyverify.function_class (Theorem B.8)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import cases, seeds

from linattn import function_class as fc
from pyverify import function_class as exact
from pyverify.errors import InputError
from pyverify.tolerance import matmul_rtol


@given(case=cases(max_dim=4, max_abs_log10=3), seed=seeds)
def test_weight_and_value_match_the_exact_class(case, seed):
    X = case.X
    n, d = X.shape
    rng = np.random.default_rng(seed)
    alpha, Z = rng.standard_normal((n, n)), rng.standard_normal((3, d))
    tol = matmul_rtol("float64", max(n, d), products=4)
    aX, aA = np.abs(X), np.abs(alpha)
    G2 = (aX @ aX.T) @ (aX @ aX.T)
    scale_w = aX.T @ (aA * G2).sum(1)  # the same sums with absolute values
    w = fc.fourth_order_weight(X, alpha).numpy()
    want = np.array([float(v) for v in exact.fourth_order_weight(X, alpha)])
    assert np.all(np.abs(w - want) <= tol * scale_w)
    f = fc.fourth_order_value(X, alpha, Z).numpy()
    fz = np.array([float(exact.fourth_order_value(X, alpha, z)) for z in Z])
    assert np.all(np.abs(f - fz) <= tol * (np.abs(Z) @ scale_w))
    # linear in z (Theorem B.8): f(z) = w^T z within the rounding of both routes
    assert np.all(np.abs(f - Z @ w) <= 2 * tol * (np.abs(Z) @ scale_w))


def test_bad_inputs():
    with pytest.raises(InputError, match="alpha"):
        fc.fourth_order_weight(np.eye(2), np.ones((3, 3)))
    with pytest.raises(InputError, match="Z"):
        fc.fourth_order_value(np.eye(2), np.eye(2), np.ones((1, 3)))
    assert fc.fourth_order_weight(torch.eye(2, dtype=torch.float32), np.eye(2)).dtype == \
        torch.float32
