"""Tests of linattn.opnorm: the Lanczos spectral norm of a symmetric matrix against dense
eigvalsh, to the tolerance table's bound ``eig_rtol("float64", n)`` (the bound on the dense
route itself, relative to ‖A‖₂); the routes, the fallback and bad inputs."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch

from linattn import opnorm
from linattn.finite_width import fast_finite_width_ntk
from linattn.ntk import relu_ntk
from linattn.opnorm import LANCZOS_MIN_N, sym_spectral_norm
from pyverify.errors import InputError
from pyverify.tolerance import eig_rtol


def _with_spectrum(ev: np.ndarray, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((ev.size, ev.size)))
    A = (Q * ev) @ Q.T
    return torch.as_tensor(0.5 * (A + A.T))


def _kernel_error(n: int) -> torch.Tensor:
    """H_m − H_∞ of a width-512 ReLU network on n rows (the matrices the experiment norms)."""
    g = torch.Generator().manual_seed(n)
    X = torch.rand(n, 20, generator=g, dtype=torch.float64)
    W = torch.randn(512, 20, generator=g, dtype=torch.float64)
    return fast_finite_width_ntk(X, W) - relu_ntk(X)


@functools.cache
def _spectra(n: int) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(n)
    G = rng.standard_normal((n, n))
    return {
        "wigner": torch.as_tensor((G + G.T) / math.sqrt(2 * n)),
        "indefinite-tie": _with_spectrum(np.r_[1.0, -(1 - 1e-9), rng.uniform(-0.5, 0.5,
                                                                             n - 2)], 1),
        "negative-dominant": _with_spectrum(np.r_[-10.0, rng.uniform(-1, 1, n - 1)], 2),
        "clustered-top": _with_spectrum(np.r_[1.0, 1 - 1e-10, 1 - 2e-10,
                                              rng.uniform(0, 0.9, n - 3)], 3),
        "decaying-psd": _with_spectrum(np.arange(1, n + 1, dtype=float) ** -2.0, 4),
        "low-rank": _with_spectrum(np.r_[3.0, -2.0, 1.0, np.zeros(n - 3)], 5),
        "tiny-scale": _with_spectrum(rng.uniform(-1, 1, n), 6) * 1e-300,
        "huge-scale": _with_spectrum(rng.uniform(-1, 1, n), 7) * 1e300,
        "kernel-error": _kernel_error(n),
    }


@pytest.mark.parametrize("n", [120, 400])
@pytest.mark.parametrize("case", ["wigner", "indefinite-tie", "negative-dominant",
                                  "clustered-top", "decaying-psd", "low-rank", "tiny-scale",
                                  "huge-scale", "kernel-error"])
def test_lanczos_norm_matches_dense_eigvalsh(n: int, case: str) -> None:
    A = _spectra(n)[case]
    dense = float(torch.linalg.eigvalsh(A).abs().max())
    r = sym_spectral_norm(A, method="lanczos")
    assert abs(r.norm - dense) <= eig_rtol("float64", n) * dense, (r, dense)
    if case != "low-rank":  # an invariant Krylov space may end in the dense fallback
        assert r.method == "lanczos" and r.residual <= eig_rtol("float64", n)
    assert r.norm == max(abs(r.lam_max), abs(r.lam_min))


def test_routes_and_float32() -> None:
    A = _spectra(LANCZOS_MIN_N)["wigner"]
    assert sym_spectral_norm(A).method == "lanczos"
    assert sym_spectral_norm(A[:50, :50]).method == "dense"
    assert sym_spectral_norm(A, method="dense").matvecs == 0
    r32 = sym_spectral_norm(A.float(), method="dense")
    dense = float(torch.linalg.eigvalsh(A).abs().max())
    assert abs(r32.norm - dense) <= eig_rtol("float32", A.shape[0]) * dense
    assert sym_spectral_norm(torch.zeros(5, 5)).norm == 0.0


def test_deterministic_start_vector() -> None:
    A = _spectra(200)["kernel-error"]
    a, b = sym_spectral_norm(A, method="lanczos"), sym_spectral_norm(A, method="lanczos")
    assert a == b  # same seeded start vector and operations in one process: by construction


def test_failed_lanczos_falls_back_to_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.sparse.linalg as sl

    def broken(*args, **kwargs):
        raise sl.ArpackNoConvergence("planted", np.zeros(0), np.zeros((0, 0)))

    monkeypatch.setattr(sl, "eigsh", broken)
    A = _spectra(150)["negative-dominant"]
    r = sym_spectral_norm(A, method="lanczos")
    assert r.method == "dense" and "lanczos failed" in r.note
    assert math.isclose(r.norm, 10.0, rel_tol=eig_rtol("float64", 150))


def test_planted_one_ended_lanczos_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Lanczos that looks only at the top of the spectrum returns λ_max, not ‖A‖₂, on a
    matrix whose negative end dominates: the comparison with dense eigvalsh fails."""
    import scipy.sparse.linalg as sl

    real = sl.eigsh
    monkeypatch.setattr(sl, "eigsh", lambda op, k, which, **kw: real(op, k=1, which="LA",
                                                                         **kw))
    A = _spectra(150)["negative-dominant"]
    dense = float(torch.linalg.eigvalsh(A).abs().max())
    r = sym_spectral_norm(A, method="lanczos")
    assert r.method == "lanczos"
    assert abs(r.norm - dense) > eig_rtol("float64", 150) * dense


@pytest.mark.parametrize(("A", "what"), [
    (torch.ones(3, 4), "square"),
    (torch.tensor([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (torch.tensor([[1.0, math.nan], [math.nan, 1.0]]), "finite"),
])
def test_bad_inputs(A: torch.Tensor, what: str) -> None:
    with pytest.raises(InputError, match=what):
        sym_spectral_norm(A)
    with pytest.raises(InputError, match="method"):
        sym_spectral_norm(torch.eye(3), method="eigh")
    assert opnorm.METHODS == ("auto", "dense", "lanczos")
