"""Numerical trouble is detected, never hidden.

1. The kernel gates (Appendix A.8, :mod:`linattn.checks`) raise
   :class:`KernelHealthError` -- naming the gate, the measured value and the threshold --
   for asymmetric, indefinite and (near-)singular kernels fed to ``kernel_ridge``,
   ``influence_matrix``, ``loo_residuals``, ``linattn_influence`` and ``malleability``
   with the default ``check=True``; with ``check=False`` a failed Cholesky is still a
   KernelHealthError, never a torch error.
2. ``linattn.spectrum.spectral_stats``: when the float64 condition number exceeds 1e12
   it cross-checks with pyverify's mpmath path (``cross_check == "mpmath-50"``, relative
   eigenvalue difference within the svd error bound) or says why not (``"not run: ..."``),
   for every input; a float result whose numerical rank disagrees with the exact one is
   never reported as agreeing.
3. No function returns NaN/Inf silently: inputs whose kernels overflow (entries 1e60 ..
   1e300) or whose norms underflow (1e-300) give a finite result or raise
   :class:`NumericalError` (the quantity cannot be computed in float64 -- the input itself
   is fine, so ``InputError`` is the wrong class, and an internal ``LinAlgError`` is a
   leak).  Test ids name the module and the owner's function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from linattn import checks, influence, kernel, malleability, ntk, qkv, spectrum
from pyverify import spectrum as pspec
from pyverify.errors import KernelHealthError, LinAttnError, NumericalError
from pyverify.tolerance import cond_rtol, eig_rtol

B = np.array([[1.0, 2.0, 0.0], [3.0, 1.0, 1.0], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
ASYM = np.array([[2.0, 1.0], [0.0, 2.0]])
INDEF = np.diag([1.0, -1.0])
RANK1 = np.ones((3, 3))


def conditioned(n: int, d: int, cond: float, seed: int = 0) -> np.ndarray:
    """X = U diag(s) V^T with kappa(G) = s_1^2 / s_r^2 = cond, r = min(n, d)."""
    rng = np.random.default_rng(seed)
    r = min(n, d)
    U = np.linalg.qr(rng.standard_normal((n, r)))[0]
    V = np.linalg.qr(rng.standard_normal((d, r)))[0]
    s = np.geomspace(1.0, cond**-0.5, r)
    return (U * s) @ V.T


# ----------------------------------------------------------------------------- 1. gates

def _gate(fn, check: str, argument: str) -> KernelHealthError:
    with pytest.raises(KernelHealthError) as info:
        fn()
    err = info.value
    assert err.check == check, str(err)
    assert str(err).startswith(f"{argument}: kernel gate '{check}' failed"), str(err)
    assert err.threshold is not None and err.value is not None
    return err


GATE_CASES = {
    "symmetry": (ASYM, 1.0),
    "psd": (INDEF, 1e-3),
    "conditioning": (RANK1, 1e-14),  # kappa(K + ridge I) = (3 + 1e-14) / 1e-14 > 1e12
}


@pytest.mark.parametrize("gate", sorted(GATE_CASES))
@pytest.mark.parametrize("fn", [
    lambda K, lam: influence.kernel_ridge(K, np.ones(K.shape[0]), lam),
    lambda K, lam: influence.influence_matrix(K, np.ones((2, K.shape[0])), lam),
    lambda K, lam: influence.loo_residuals(K, np.ones(K.shape[0]), lam),
], ids=["kernel_ridge", "influence_matrix", "loo_residuals"])
def test_kernel_gates_raise(fn, gate):
    K, lam = GATE_CASES[gate]
    err = _gate(lambda: fn(K, lam), gate, "K_train")
    if gate == "conditioning":
        assert err.value > err.threshold == 1e12
    if gate == "symmetry":
        assert err.value > err.threshold > 0


def test_kernel_gate_measurements_are_reported():
    h = checks.check_kernel(RANK1 + np.eye(3), ridge=0.5)
    assert h.gates == checks.GATES
    assert h.asymmetry == 0.0 and h.lambda_min == pytest.approx(1.0)
    assert h.cond == pytest.approx((4.0 + 0.5) / (1.0 + 0.5))


def test_failed_cholesky_without_gates_is_a_kernel_health_error():
    with pytest.raises(KernelHealthError) as info:
        influence.kernel_ridge(INDEF, np.ones(2), 1e-3, check=False)
    assert info.value.check == "psd" and "Cholesky" in str(info.value)


def test_linattn_influence_conditioning_gate():
    X = np.diag([1.0, 1e-3])  # K = X C^2 X^T has eigenvalues 1 and 1e-18
    _gate(lambda: influence.linattn_influence(X, X, 1e-14), "conditioning", "K_train")


def test_malleability_gates_the_unperturbed_kernel():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # duplicate rows: singular NTK
    with pytest.raises(KernelHealthError) as info:
        malleability.estimate_malleability(X, X[:1], eps=0.1, ridge=1e-15, ridge_mode="absolute",
                                  steps=1, restarts=1, power_iters=1)
    assert info.value.check == "conditioning"


def test_inversion_gate():
    with pytest.raises(KernelHealthError) as info:
        checks.check_inverse(np.eye(3), 2 * np.eye(3))
    assert info.value.check == "inversion"


# ----------------------------------------------------------------------------- 2. cross-check

def test_cross_check_runs_above_1e12_and_agrees():
    X = conditioned(6, 4, 1e14)
    s = spectrum.spectral_stats(X)
    assert s.cond > spectrum.CROSS_CHECK_COND
    assert s.method == "svd" and "recomputed with svd" in s.method_note
    assert s.cross_check == "mpmath-50"
    exact = pspec.spectral_stats(X, dps=50)
    assert s.rank == exact.rank == 4
    # svd: sigma_i has absolute error ~ n eps sigma_1, so lambda_i = sigma_i^2 has relative
    # error ~ 2 n eps sqrt(kappa_i) <= eig_rtol(float64, n, sqrt(kappa)).
    assert s.cross_check_rel <= eig_rtol("float64", 6, math.sqrt(s.cond))
    tol = eig_rtol("float64", 6, math.sqrt(s.cond))
    assert s.cond == pytest.approx(float(exact.cond), rel=tol)


def test_cross_check_says_why_not():
    small = spectrum.spectral_stats(B)
    assert small.cross_check.startswith("not run: kappa") and small.cross_check_rel is None
    big = spectrum.spectral_stats(conditioned(60, 50, 1e13))
    assert big.cond > spectrum.CROSS_CHECK_COND
    limit = spectrum.CROSS_CHECK_MAX_R
    assert big.cross_check.startswith(f"not run: min(n, d) = 50 > {limit}")
    off = spectrum.spectral_stats(conditioned(6, 4, 1e14), cross_check=False)
    assert off.cross_check == "not run: cross_check=False"
    f32 = spectrum.spectral_stats(conditioned(6, 4, 1e14), dtype=torch.float32)
    assert f32.cross_check.startswith("not run") and f32.cross_check_rel is None


@given(n=st.integers(1, 6), d=st.integers(1, 6), logc=st.sampled_from([0, 4, 10, 13, 15]),
       seed=st.integers(0, 2**16))
def test_cross_check_path_is_always_recorded(n, d, logc, seed):
    s = spectrum.spectral_stats(conditioned(n, d, 10.0**logc, seed))
    ran = s.cross_check == "mpmath-50"
    limit = spectrum.CROSS_CHECK_MAX_R
    assert ran == (s.cond > spectrum.CROSS_CHECK_COND and min(n, d) <= limit)
    assert ran or s.cross_check.startswith("not run: ")
    assert (s.cross_check_rel is not None) == ran
    assert s.method in s.method_note


@pytest.mark.parametrize("scale", [1e-200, 1e-160])
def test_tiny_scale_rank_agrees_with_exact_or_raises(scale):
    """kappa is scale invariant; eigenvalues of (s X)(s X)^T that underflow must not be
    reported as a rank-0 (or rank-deficient) G with a note blaming the data, nor as a
    cross-check that agrees with mpmath when the exact rank differs."""
    exact = pspec.spectral_stats(scale * B, dps=50)
    assert exact.rank == 3
    try:
        s = spectrum.spectral_stats(scale * B)
    except NumericalError:
        return
    assert s.rank == exact.rank, (s.rank, s.cond_d_note, s.cross_check, s.cross_check_rel)
    assert s.cond == pytest.approx(float(exact.cond), rel=cond_rtol("float64", 4, s.cond))


# ----------------------------------------------------------------------------- 3. no NaN/Inf

T = torch.tensor
I3 = torch.eye(3, dtype=torch.float64)
SILENT = {
    # id (module.function@scale): callable
    "kernel.linattn_kernel@1e60": lambda: kernel.linattn_kernel(1e60 * B),
    "kernel.linattn_kernel(check=False)@1e60":
        lambda: kernel.linattn_kernel(1e60 * B, check=False),
    "kernel.linattn_kernel(X,Y)@1e60": lambda: kernel.linattn_kernel(1e60 * B, 1e60 * B),
    "kernel.linattn_kernel@1e200": lambda: kernel.linattn_kernel(1e200 * B),
    "kernel.linattn_features@1e200": lambda: kernel.linattn_features(1e200 * B),
    "kernel.attention_map@1e200": lambda: kernel.attention_map(1e200 * B),
    "kernel.gram@1e200": lambda: kernel.gram(1e200 * B),
    "kernel.gram(X,Y)@1e200": lambda: kernel.gram(1e200 * B, 1e200 * B),
    "kernel.kernel_double_sum@1e60": lambda: kernel.kernel_double_sum(1e60 * B),
    "spectrum.spectral_stats@1e200": lambda: spectrum.spectral_stats(1e200 * B),
    "ntk.relu_ntk@1e200": lambda: ntk.relu_ntk(1e200 * B),
    "ntk.relu_ntk@1e-300": lambda: ntk.relu_ntk(1e-300 * B),
    "ntk.relu_ntk(X,Y)@1e-300": lambda: ntk.relu_ntk(1e-300 * B, B),
    "ntk.mlp_attn_ntk@1e60": lambda: ntk.mlp_attn_ntk(1e60 * B),
    "ntk.mlp_attn_ntk@1e-60": lambda: ntk.mlp_attn_ntk(1e-60 * B),
    "ntk.MLPAttn(keys)@1e300": lambda: ntk.MLPAttn(1e300 * B, 4, seed=0).C,
    "ntk.empirical_ntk@1e200":
        lambda: ntk.empirical_ntk(ntk.TwoLayerReLU(3, 4, seed=0), 1e200 * B),
    "ntk.relu_ntk_closed_form@1e200":
        lambda: ntk.relu_ntk_closed_form(ntk.TwoLayerReLU(3, 4, seed=0), 1e200 * B),
    "influence.influence_matrix(K)@1e308":
        lambda: influence.influence_matrix(1e308 * np.ones((3, 3)), np.ones((2, 3)), 1e308),
    "influence.kernel_ridge(K)@1e300":
        lambda: influence.kernel_ridge(1e300 * np.eye(3), [1.0, 2.0, 3.0], 1.0),
    "influence.linattn_influence@1e60": lambda: influence.linattn_influence(1e60 * B, B, 1.0),
    "malleability.estimate_malleability(mlp_attn)@1e60":
        lambda: malleability.estimate_malleability(1e60 * B, B, arch="mlp_attn", eps=0.1,
                                                   ridge=1e-3, steps=1, restarts=1,
                                                   power_iters=1).value,
    "malleability.estimate_malleability(relu)@1e100":
        lambda: malleability.estimate_malleability(1e100 * B, B, eps=0.1, ridge=1e-3,
                                                   steps=1, restarts=1, power_iters=1).value,
    "checks.check_kernel@1e308": lambda: checks.check_kernel(1.7e308 * np.ones((2, 2))),
    "qkv.qkv_kernel@1e100": lambda: qkv.qkv_kernel(T(1e100 * B), Q=I3, K=I3, V=I3),
    "qkv.qkv_map@1e200": lambda: qkv.qkv_map(I3, I3, I3, T(1e200 * B)),
    "qkv.expected_qkv_kernel@1e100": lambda: qkv.expected_qkv_kernel(T(1e100 * B), h=2),
}


def _finite(out) -> bool:
    if isinstance(out, torch.Tensor):
        return bool(torch.isfinite(out.detach()).all())
    if isinstance(out, float):
        return math.isfinite(out)
    if hasattr(out, "as_dict"):
        return all(_finite(v) for v in out.as_dict().values() if isinstance(v, float))
    return True


@pytest.mark.parametrize("case", sorted(SILENT))
def test_no_silent_nan_or_inf(case):
    try:
        out = SILENT[case]()
    except NumericalError:
        return
    except LinAttnError as exc:
        pytest.fail(f"{case}: overflow/underflow reported as {type(exc).__name__} "
                    f"(expected NumericalError; the input is valid): {exc}")
    except Exception as exc:
        pytest.fail(f"{case}: internal {type(exc).__name__} leaked: {str(exc)[:200]}")
    assert _finite(out), f"{case}: returned NaN/Inf silently"
