"""Tests of linattn.widthlaw: m_½ and the power law in n recovered from planted laws, the
coverage of the exponent's t-interval and of the prediction interval, and the bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats as sps

from linattn.spectrum import spectral_stats
from linattn.widthlaw import (
    fit_band,
    log10_cond_width,
    log10_du_width,
    log10_m_half,
    log10_m_half_at_rate,
    m_half_estimates,
    power_law_fit,
    width_bounds,
)
from pyverify.errors import InputError

WIDTHS = [2**k for k in range(6, 15)]


def test_m_half_of_a_planted_power_law() -> None:
    # ratio = 10^3 m^(-1/2) reaches 1/2 at m = (2·10^3)^2; with slope -0.7 at (2·10^3)^(1/0.7)
    for b in (-0.5, -0.7):
        ratios = [1e3 * m**b for m in WIDTHS]
        fit = log10_m_half(WIDTHS, ratios)
        assert math.isclose(fit["slope"], b, rel_tol=1e-12)
        assert math.isclose(fit["log10_m_half"], math.log10(2e3) / -b, rel_tol=1e-12)
    assert math.isclose(log10_m_half_at_rate(WIDTHS, [1e3 / math.sqrt(m) for m in WIDTHS]),
                        2 * math.log10(2e3), rel_tol=1e-12)
    assert log10_m_half(WIDTHS, [m**0.1 for m in WIDTHS])["log10_m_half"] is None
    assert log10_m_half([64], [3.0])["log10_m_half"] is None
    # non-finite and non-positive points are dropped, not propagated
    ratios = [1e3 / math.sqrt(m) for m in WIDTHS]
    fit = log10_m_half([*WIDTHS, 10**6], [*ratios, math.nan])
    assert math.isclose(fit["log10_m_half"], 2 * math.log10(2e3), rel_tol=1e-12)


def test_the_exponent_in_n_of_a_planted_law_is_recovered() -> None:
    """ratio = c m^(-1/2) n^a: m_½ = (2 c n^a)^2, so log10 m_½ = 2 log10(2c) + 2a log10 n."""
    c, a, ns = 3.0, 1.25, [64, 128, 256, 512]
    rng = np.random.default_rng(0)
    xs, ys, ys_rate = [], [], []
    for n in ns:
        for _ in range(3):  # seeds: multiplicative noise on the ratio curve
            ratios = [c * n**a / math.sqrt(m) * 10 ** (0.01 * rng.standard_normal())
                      for m in WIDTHS]
            est = m_half_estimates(WIDTHS, ratios, rate_from=1024)
            xs.append(n)
            ys.append(est["log10_m_half"])
            ys_rate.append(est["log10_m_half_rate"])
    for y in (ys, ys_rate):
        fit = power_law_fit(xs, y, x0=60000)
        assert fit["exponent_lo"] < 2 * a < fit["exponent_hi"]
        truth = 2 * math.log10(2 * c) + 2 * a * math.log10(60000)
        assert fit["log10_y0_lo"] < truth < fit["log10_y0_hi"]
        assert fit["log10_y0_mean_lo"] >= fit["log10_y0_lo"]  # prediction ⊃ mean interval
    exact = power_law_fit(ns, [2 * math.log10(2 * c) + 2 * a * math.log10(n) for n in ns])
    assert math.isclose(exact["exponent"], 2 * a, rel_tol=1e-12)


def test_fit_agrees_with_scipy_linregress() -> None:
    rng = np.random.default_rng(1)
    x = np.repeat([64, 128, 256, 512, 1024], 3).astype(float)
    y = 1.0 + 2.5 * np.log10(x) + 0.2 * rng.standard_normal(x.size)
    fit, ref = power_law_fit(x, y), sps.linregress(np.log10(x), y)
    assert math.isclose(fit["exponent"], ref.slope, rel_tol=1e-12)
    t = sps.t.ppf(0.975, x.size - 2)
    assert math.isclose(fit["exponent_hi"] - fit["exponent"], t * ref.stderr, rel_tol=1e-9)


def test_interval_coverage_is_nominal() -> None:
    """Over 400 planted data sets the exponent's 95% t-interval covers the true exponent,
    and the 95% prediction interval at x0 covers a new draw, 95% of the time (binomial sd
    1.1%: the accepted band is ±4 sd)."""
    rng = np.random.default_rng(2)
    x = np.repeat([64, 128, 256, 512], 3).astype(float)
    cover_e = cover_p = 0
    for _ in range(400):
        y = 0.5 + 3.0 * np.log10(x) + 0.3 * rng.standard_normal(x.size)
        f = power_law_fit(x, y, x0=50000)
        new = 0.5 + 3.0 * math.log10(50000) + 0.3 * rng.standard_normal()
        cover_e += f["exponent_lo"] <= 3.0 <= f["exponent_hi"]
        cover_p += f["log10_y0_lo"] <= new <= f["log10_y0_hi"]
    assert 0.905 <= cover_e / 400 <= 0.995 and 0.905 <= cover_p / 400 <= 0.995
    lo, hi = fit_band(f, [64, 50000], prediction=True)
    assert math.isclose(lo[1], f["log10_y0_lo"]) and math.isclose(hi[1], f["log10_y0_hi"])


def test_bounds() -> None:
    n = 512
    assert math.isclose(log10_cond_width(1e3, n), 6 + math.log10(n * math.log(n)))
    assert log10_cond_width(math.inf, n) is None
    assert math.isclose(log10_du_width(n, 1e-3, 0.1), 6 * math.log10(n) + 12 + 3)
    for bad in (lambda: log10_du_width(n, 0.0), lambda: log10_du_width(n, 1.0, 1.5),
                lambda: log10_cond_width(0.5, n), lambda: log10_cond_width(10.0, 1),
                lambda: power_law_fit([1, 2], [1, 2], level=2.0),
                lambda: fit_band({"exponent": None}, [1.0])):
        with pytest.raises(InputError):
            bad()


def test_width_bounds_use_the_spectra_they_report() -> None:
    g = torch.Generator().manual_seed(0)
    X = torch.rand(40, 8, generator=g, dtype=torch.float64)
    Xf = (X @ X.T) @ X
    b = width_bounds(X, Xf, delta=0.1)
    assert b["log10_bound_paper"] == spectral_stats(X).log10_width
    assert math.isclose(b["cond_H"], b["lambda_max"] / b["lambda_min"])
    assert math.isclose(b["log10_bound_cond_h"], log10_cond_width(b["cond_H"], 40))
    assert math.isclose(b["log10_bound_du"], log10_du_width(40, b["lambda0_unit"], 0.1))
    with pytest.raises(InputError):
        width_bounds(X, Xf[:10])
