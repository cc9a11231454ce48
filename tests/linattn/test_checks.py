"""linattn.checks: the Appendix A.8 gates fire on planted bad kernels and pass good ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import orthogonal, seeds

from linattn import checks, influence
from pyverify.errors import InputError, KernelHealthError
from pyverify.tolerance import eig_rtol


def _spd(seed: int, n: int, cond: float, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Q = orthogonal(rng, n)
    ev = np.geomspace(1.0, 1.0 / cond, n) * scale
    A = (Q * ev) @ Q.T
    return 0.5 * (A + A.T)


@given(seed=seeds, n=st.integers(2, 8), logc=st.floats(0, 8),
       logs=st.sampled_from([-12, 0, 12, 40]))
def test_good_kernel_passes_at_any_scale(seed, n, logc, logs, device):
    """The PSD gate is relative (deviation from the paper's absolute 1e-12): c K passes
    whenever K does, for c = 1e-12 .. 1e40."""
    K = torch.from_numpy(_spd(seed, n, 10.0**logc, 10.0**logs)).to(device)
    h = checks.check_kernel(K)
    assert h.gates == checks.GATES and h.n == n and h.dtype == "float64"
    assert h.tau == eig_rtol("float64", n)
    assert h.asymmetry <= h.tau and h.lambda_min > 0
    assert math.isclose(h.cond, 10.0**logc, rel_tol=1e-6)


@given(seed=seeds, n=st.integers(2, 8), size=st.floats(1e-6, 1.0))
def test_symmetry_gate_fires_on_planted_asymmetry(seed, n, size):
    K = _spd(seed, n, 10.0)
    E = np.zeros((n, n))
    E[0, n - 1] = size * np.linalg.norm(K)
    with pytest.raises(KernelHealthError) as exc:
        checks.check_kernel(K + E, name="Kbad")
    err = exc.value
    assert err.check == "symmetry" and err.argument == "Kbad" and isinstance(err, ValueError)
    assert err.value > err.threshold == eig_rtol("float64", n)
    assert "symmetry" in str(err)


@given(seed=seeds, n=st.integers(2, 8), neg=st.floats(1e-6, 1.0))
def test_psd_gate_fires_on_indefinite(seed, n, neg):
    K = _spd(seed, n, 10.0)
    Q = orthogonal(np.random.default_rng(seed + 1), n)
    ev = np.linalg.eigvalsh(K)
    ev[0] = -neg * ev[-1]
    Kbad = (Q * ev) @ Q.T
    with pytest.raises(KernelHealthError) as exc:
        checks.check_kernel(0.5 * (Kbad + Kbad.T))
    assert exc.value.check == "psd" and exc.value.value < exc.value.threshold < 0


@given(seed=seeds, n=st.integers(2, 8), rank=st.integers(1, 7))
def test_conditioning_gate_fires_on_singular_and_ridge_repairs(seed, n, rank):
    rank = min(rank, n - 1)
    X = np.random.default_rng(seed).standard_normal((n, rank))
    K = X @ X.T
    with pytest.raises(KernelHealthError) as exc:
        checks.check_kernel(K)
    assert exc.value.check == "conditioning" and exc.value.value >= 1e12
    h = checks.check_kernel(K, ridge=1e-3 * np.trace(K))
    assert h.cond < 1e12
    with pytest.raises(KernelHealthError):
        checks.check_kernel(K, ridge=1e-3 * np.trace(K), max_cond=2.0)


def test_float32_gate_uses_float32_tau():
    K = torch.eye(4, dtype=torch.float32)
    assert checks.check_kernel(K).tau == eig_rtol("float32", 4)
    assert checks.default_tau(torch.float32, 4) > checks.default_tau(torch.float64, 4)


@given(seed=seeds, n=st.integers(2, 8), logc=st.floats(0, 8))
def test_check_inverse(seed, n, logc):
    A = torch.from_numpy(_spd(seed, n, 10.0**logc))
    Ai = torch.linalg.inv(A)
    h = checks.check_inverse(A, Ai)
    assert h.residual <= h.threshold and math.isclose(h.cond, 10.0**logc, rel_tol=1e-5)
    bad = Ai.clone()
    bad[0, 0] *= 1.01
    with pytest.raises(KernelHealthError) as exc:
        checks.check_inverse(A, bad)
    assert exc.value.check == "inversion"


def test_solvers_call_the_gates_and_check_false_turns_them_off():
    K = _spd(0, 5, 10.0)
    ev, Q = np.linalg.eigh(K)
    ev[0] = -0.5  # indefinite, but K + 1.0 I is still SPD
    Kbad = (Q * ev) @ Q.T
    Kbad = 0.5 * (Kbad + Kbad.T)
    y = np.ones(5)
    for fn in (lambda c: influence.influence_matrix(Kbad, Kbad[:2], 1.0, check=c),
               lambda c: influence.kernel_ridge(Kbad, y, 1.0, check=c),
               lambda c: influence.loo_residuals(Kbad, y, 1.0, check=c)):
        with pytest.raises(KernelHealthError) as exc:
            fn(True)
        assert exc.value.check == "psd"
        assert torch.isfinite(fn(False)).all()
    # K + ridge I not positive definite: the Cholesky itself refuses, even unchecked
    with pytest.raises(KernelHealthError):
        influence.influence_matrix(Kbad, Kbad[:2], 0.1, check=False)


def test_check_kernel_input_errors():
    with pytest.raises(InputError):
        checks.check_kernel(np.ones((2, 3)))
    with pytest.raises(InputError):
        checks.check_kernel(np.eye(2), gates=("nope",))
    with pytest.raises(InputError):
        checks.check_kernel(np.eye(2), ridge=-1.0)
    with pytest.raises(InputError):
        checks.check_kernel(np.array([[1.0, np.nan], [np.nan, 1.0]]))
