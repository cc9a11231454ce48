"""The tolerance table (pyverify.tolerance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyverify import InputError
from pyverify import tolerance as tol


def test_eps_of_names_and_passthrough():
    assert tol.eps_of("float64") == np.finfo(np.float64).eps == 2.0**-52
    assert tol.eps_of("float32") == 2.0**-23
    assert tol.eps_of("torch.float32") == tol.eps_of("float32")
    assert tol.eps_of("mp50") == 10.0**-50
    assert tol.eps_of(1e-7) == 1e-7


@pytest.mark.parametrize("bad", ["float8", "mp", "mpx", 0.0, -1e-3, float("nan")])
def test_eps_of_rejects(bad):
    with pytest.raises(InputError, match=r"^precision: "):
        tol.eps_of(bad)


@given(st.integers(1, 10**6), st.integers(1, 5))
def test_matmul_rule(n, k):
    assert tol.matmul_rtol("float64", n, products=k) == tol.SAFETY * k * n * 2.0**-52


@given(st.integers(1, 10**4), st.floats(1, 1e12), st.floats(1, 1e12))
def test_eig_rules_monotone_in_cond_and_related(n, c1, c2):
    lo, hi = sorted((c1, c2))
    assert tol.eig_rtol("float64", n, lo) <= tol.eig_rtol("float64", n, hi)
    assert tol.cond_rtol("float64", n, hi) == 2 * tol.eig_rtol("float64", n, hi)
    assert tol.cube_rtol("float64", n, hi) == 3 * tol.eig_rtol("float64", n, hi)
    assert tol.solve_rtol("float64", n, hi) == tol.eig_rtol("float64", n, hi)


@pytest.mark.parametrize(("n", "cond"), [(0, 1.0), (-1, 1.0), (2.5, 1.0), (3, 0.5),
                                         (3, float("nan"))])
def test_bad_size_or_cond(n, cond):
    with pytest.raises(InputError, match=r"^(n|cond): "):
        tol.eig_rtol("float64", n, cond)


def test_rank_rule_agrees_with_numpy_matrix_rank():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 3)) @ rng.standard_normal((3, 5))  # rank 3
    s = np.linalg.svd(A, compute_uv=False)
    rank = int((s > tol.rank_rtol("float64", 7, 5) * s[0]).sum())
    assert rank == np.linalg.matrix_rank(A) == 3


def test_mp_rules():
    assert tol.mp_residual_rtol(50, 4) == tol.SAFETY * 4 * 1e-50
    assert tol.mp_rank_rtol(50, 4, 9) == tol.SAFETY * 9 * 1e-50
    assert tol.mp_rank_rtol(50, 4) == tol.SAFETY * 4 * 1e-50
    assert tol.mp_symmetry_rtol(50) == 1e-45
    assert tol.mp_rank_rtol(30, 3) > tol.mp_rank_rtol(50, 3)


@pytest.mark.parametrize("dps", [10, 14, 301, 50.0, True])
def test_mp_rules_reject_bad_dps(dps):
    with pytest.raises(InputError, match=r"^dps: "):
        tol.mp_residual_rtol(dps, 3)


def test_arccos_rule_is_the_square_root_amplification_of_the_cosine_error():
    import math

    from pyverify.tolerance import arccos_rtol, matmul_rtol

    delta = matmul_rtol("float64", 8)
    assert arccos_rtol("float64", 8) == delta + math.sqrt(2 * delta)
    # arccos(1 - t) = sqrt(2 t) (1 + O(t)): a cosine off by delta moves the angle by ~sqrt(2 delta)
    t = delta
    assert math.acos(1 - t) <= arccos_rtol("float64", 8)
    assert arccos_rtol("float32", 8) > arccos_rtol("float64", 8)


@pytest.mark.parametrize("d", [1, 7, 64, 784, 3072])
def test_dot_sign_rule_bounds_float32_inner_products(d):
    """|fl32(x̂ᵀŵ) − xᵀw| <= dot_sign_rtol("float32", d) ‖x‖ ‖w‖ for float64 x, w rounded to
    float32, in BLAS order (np.dot) and in the worst sequential order (np.cumsum of
    same-sign terms); the exact value by math.fsum of the exactly representable float64
    products of the float32 inputs and of the float64 inputs."""
    rng = np.random.default_rng(d)
    bound = tol.dot_sign_rtol("float32", d)
    for trial in range(20):
        x, w = rng.standard_normal(d), rng.standard_normal(d)
        if trial % 2:
            x, w = np.abs(x), np.abs(w)  # all products positive: errors accumulate
        x32, w32 = x.astype(np.float32), w.astype(np.float32)
        exact = math.fsum(float(a) * float(b) for a, b in zip(x, w, strict=True))
        scale = float(np.linalg.norm(x) * np.linalg.norm(w))
        for computed in (float(np.dot(x32, w32)), float(np.cumsum(x32 * w32)[-1])):
            assert abs(computed - exact) <= bound * scale
    assert tol.dot_sign_rtol("float64", d) < tol.dot_sign_rtol("float32", d)
    with pytest.raises(InputError):
        tol.dot_sign_rtol("float16", 2**12)
