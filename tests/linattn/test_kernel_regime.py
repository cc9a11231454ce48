"""Tests of linattn.kernel_regime: the ratio, fit and m_½ against a synthetic curve with a
known answer, consistency with experiments.ntk_convergence's measurement, the singular
case, and input validation."""

from __future__ import annotations

import math

import pytest
import torch

from linattn.kernel_regime import (
    check_widths,
    kernel_regime,
    kernel_regime_curve,
    log10_m_half,
    width_seed,
)
from linattn.ntk import finite_width_ntk, relu_ntk
from linattn.reduce import span_coordinates
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eig_rtol, matmul_rtol

F64 = torch.float64


def _spd(n: int, seed: int) -> torch.Tensor:
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return A @ A.T + n * torch.eye(n, dtype=F64)


def test_synthetic_curve_with_known_m_half() -> None:
    """H_m = H_∞ + E/√m: ratio(m) = ‖E‖₂/(λ_min √m) exactly, so the fit has slope −1/2 and
    m_½ = (2‖E‖₂/λ_min)²; a fit of rel_err instead (a planted error) would miss it."""
    H = _spd(5, 0)
    E = torch.randn(5, 5, generator=torch.Generator().manual_seed(1), dtype=F64)
    E = E + E.T
    widths = (4, 16, 64, 256)
    c = kernel_regime(H, widths, lambda m, k: H + E / math.sqrt(m), draws=2)
    ev = torch.linalg.eigvalsh(H)
    e2 = float(torch.linalg.matrix_norm(E, ord=2))
    tol = eig_rtol("float64", 5, float(ev[-1] / ev[0]))
    assert math.isclose(c.slope, -0.5, rel_tol=tol, abs_tol=tol)
    want = 2 * math.log10(2 * e2 / float(ev[0]))
    assert math.isclose(c.log10_m_half, want, rel_tol=tol, abs_tol=tol)
    assert math.isclose(c.log10_m_half_rate_half, want, rel_tol=tol, abs_tol=tol)
    assert c.se_slope is not None and c.se_slope <= tol
    wrong = log10_m_half(*_fit_of(widths, c.rel_err))
    assert abs(wrong - want) > 1  # the ratio, not the relative error, defines m_½
    for r, q, m in zip(c.ratio, c.rel_err, widths, strict=True):
        assert math.isclose(r * c.lam_min, q * c.lam_max, rel_tol=tol)
        assert math.isclose(r, e2 / (math.sqrt(m) * float(ev[0])), rel_tol=tol)


def _fit_of(widths, ys):
    import numpy as np

    b, a = np.polyfit(np.log10(widths), np.log10(ys), 1)
    return float(b), float(a)


def test_curve_matches_the_ntk_convergence_measurement() -> None:
    """kernel_regime_curve(F) is experiments.ntk_convergence's measurement: W for (seed, m,
    draw) from the seed 1_000_003 (1009 seed + draw) + m in the row-space coordinates of F,
    errors ‖finite_width_ntk − relu_ntk‖₂ averaged over draws (the same operations in the
    same order here, so the values agree to the last bit by construction)."""
    X = torch.rand(10, 6, generator=torch.Generator().manual_seed(2), dtype=F64) + 0.1
    F = X @ (X.T @ X)
    widths, draws, seed = (8, 32, 128), 3, 4
    c = kernel_regime_curve(F, widths, seed=seed, draws=draws)
    (Fr,), red = span_coordinates(F)
    H = relu_ntk(Fr, check=False)
    for i, m in enumerate(widths):
        errs = []
        for k in range(draws):
            g = torch.Generator().manual_seed(1_000_003 * (1009 * seed + k) + m)
            W = torch.randn(m, Fr.shape[1], generator=g, dtype=F64)
            errs.append(float(torch.linalg.matrix_norm(finite_width_ntk(Fr, None, W) - H,
                                                       ord=2)))
        assert c.err2[i] == sum(errs) / draws
    assert c.d_reduced == red["d_reduced"]
    assert math.isclose(c.lam_max, float(torch.linalg.eigvalsh(relu_ntk(F))[-1]),
                        rel_tol=matmul_rtol("float64", 10, products=3))


def test_error_shrinks_with_width() -> None:
    X = torch.rand(12, 5, generator=torch.Generator().manual_seed(3), dtype=F64) + 0.1
    c = kernel_regime_curve(X, (16, 4096), seed=0, draws=4)
    assert c.err2[1] < c.err2[0] / 4  # 256× the width, E‖·‖ ~ m^(-1/2): ~16× smaller
    assert c.slope < 0 and c.log10_m_half is not None and c.cond_ntk > 1


def test_singular_limit_has_no_ratio() -> None:
    H = torch.diag(torch.tensor([1.0, 0.0], dtype=F64))
    c = kernel_regime(H, (2, 4), lambda m, k: H + 1 / m, draws=1)
    assert not c.lam_min_resolved and c.ratio == (None, None)
    assert c.slope is None and c.log10_m_half is None and c.log10_m_half_rate_half is None


def test_m_half_helpers() -> None:
    assert math.isclose(log10_m_half(-0.5, 3.0), 2 * math.log10(2e3), rel_tol=1e-15)
    assert log10_m_half(0.1, 0.0) is None and log10_m_half(None, 1.0) is None
    with pytest.raises(NumericalError):
        log10_m_half(-5e-324, 1.0)
    assert width_seed(2, 64, 1) == 1_000_003 * (1009 * 2 + 1) + 64
    assert check_widths([1, 3, 2]) == (1, 3, 2)


@pytest.mark.parametrize("bad", [(), (4,), (4, 4), (1, 3, 3), (0, 2), (1.5, 2), "ab", None,
                                 (True, 2)])
def test_bad_widths(bad) -> None:
    with pytest.raises(InputError):
        check_widths(bad)


def test_bad_arguments() -> None:
    H = _spd(3, 0)
    with pytest.raises(InputError):
        kernel_regime(H, (2, 4), lambda m, k: torch.eye(2, dtype=F64))
    with pytest.raises(InputError):
        kernel_regime(H, (2, 4), lambda m, k: None)
    with pytest.raises(InputError):
        kernel_regime(H, (2, 4), "not callable")
    with pytest.raises(InputError):
        kernel_regime(H[:, :2], (2, 4), lambda m, k: H)
    with pytest.raises(InputError):
        kernel_regime(H, (2, 4), lambda m, k: H, draws=0)
    with pytest.raises(InputError):
        kernel_regime_curve(torch.zeros(3, 2, dtype=F64), (2, 4))
    with pytest.raises(InputError):
        kernel_regime_curve(torch.ones(3, 2, dtype=F64), (2, 4), seed=-1)
    with pytest.raises(NumericalError):
        kernel_regime(-H, (2, 4), lambda m, k: H)
