"""linattn.spectrum.spectral_stats against mpmath at 50 digits (pyverify.spectrum).

Error bounds used (first order, Weyl / Higham):
* gram-dual (eigh of X^T X or X X^T): |dlambda_i| <= eig_rtol(dtype, max(n, d)) * tr(G)
  (forming the Gram costs ~ n eps |X|^T|X|, and || |X| ||_2^2 <= tr(G));
* svd / qr-svd: |dsigma_i| <= eig_rtol(dtype, max(n, d)) * ||X||_F.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import cases, orthogonal, seeds

from linattn import spectrum
from linattn.spectrum import accumulate_gram_dual, spectral_stats
from pyverify import spectrum as ps
from pyverify.errors import InputError
from pyverify.tolerance import eig_rtol, eps_of

METHODS = ("gram-dual", "svd", "qr-svd")


def _mp_eigs(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of G at 50 digits (exact Gram of the float values), as float64."""
    from pyverify import kernel as pk
    n, d = X.shape
    S = pk.attention_map(X) if n >= d else pk.gram(X)
    with mpmath.workdps(50):
        return np.array([float(v) for v in ps.eigenvalues(S, dps=50)])


def _check_eigs(st_: spectrum.SpectralStats, X: np.ndarray, prec: str) -> np.ndarray:
    n, d = X.shape
    ref = _mp_eigs(X)
    k = min(st_.rank, len(ref))
    got = st_.eigenvalues[:k].cpu().numpy()
    g = eig_rtol(prec, max(n, d))
    if st_.method == "gram-dual":
        assert np.all(np.abs(got - ref[:k]) <= g * ref.sum()), (got, ref)
    else:
        err = np.abs(np.sqrt(got) - np.sqrt(np.maximum(ref[:k], 0)))
        assert np.all(err <= g * np.linalg.norm(X)), (got, ref)
    return ref


def _resolved_rank(ref: np.ndarray, rtol: float) -> int | None:
    """The rank when no eigenvalue lies within a factor 100 of the threshold, else None."""
    thr = rtol * ref[0]
    if np.any((ref > thr / 100) & (ref < thr * 100)):
        return None
    return int((ref > thr).sum())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("prec", ["float64", "float32"])
@given(data=st.data())
def test_eigenvalues_rank_and_cond_match_mpmath(method, prec, device, data):
    case = data.draw(cases(max_cond=1e8 if prec == "float64" else 1e4,
                           max_abs_log10=20 if prec == "float64" else 4))
    X = case.X.astype(np.float32 if prec == "float32" else np.float64).astype(np.float64)
    n, d = X.shape
    s = spectral_stats(torch.from_numpy(X), method=method, dtype=prec, device=device,
                       cross_check=False)
    assert s.method == method and s.dtype == prec and (s.n, s.d, s.r) == (n, d, min(n, d))
    assert torch.all(s.eigenvalues[:-1] >= s.eigenvalues[1:])
    ref = _check_eigs(s, X, prec)
    want = _resolved_rank(ref, s.rtol)
    if want is not None:
        assert s.rank == want
        if case.kind == "rank_deficient":
            assert s.rank == case.rank and math.isinf(s.cond_d)
            assert f"rank {s.rank} < min(n,d)={min(n, d)}" in s.cond_d_note
        cond = ref[0] / ref[want - 1]
        g = eig_rtol(prec, max(n, d) * min(n, d), cond if method == "gram-dual"
                     else math.sqrt(cond))
        assert abs(s.cond - cond) <= 4 * g * cond
        assert abs(s.cond_cube - cond**3) <= 12 * g * cond**3
        if want == min(n, d):
            assert s.cond_d == s.cond
            assert s.log10_width is None if n < 2 else abs(
                s.log10_width - (6 * math.log10(s.cond) + math.log10(n * math.log(n)))) < 1e-9


@given(case=cases(kinds=("conditioned",), max_cond=1e4), seed=seeds)
def test_gram_dual_and_svd_agree_when_well_conditioned(case, seed):
    X = case.X
    a = spectral_stats(X, method="gram-dual")
    b = spectral_stats(X, method="svd")
    c = spectral_stats(X, method="qr-svd")
    assert a.rank == b.rank == c.rank == case.rank
    tol = eig_rtol("float64", max(X.shape) * min(X.shape), case.cond)
    for other in (b, c):
        assert torch.allclose(a.eigenvalues, other.eigenvalues, rtol=tol, atol=0)
    auto = spectral_stats(X)
    assert auto.method == "gram-dual" and "auto" in auto.method_note


def test_auto_switches_to_svd_when_ill_conditioned():
    rng = np.random.default_rng(0)
    U, V = orthogonal(rng, 6)[:, :4], orthogonal(rng, 4)
    X = (U * np.array([1.0, 1e-2, 1e-4, 1e-7])) @ V.T  # kappa(G) = 1e14
    s = spectral_stats(X)
    assert s.method == "svd" and "1/sqrt(eps)" in s.method_note
    assert s.rank == 4 and abs(s.cond / 1e14 - 1) < 1e-6
    assert s.cross_check == "mpmath-50"
    assert s.cross_check_rel <= eig_rtol("float64", 6, math.sqrt(s.cond))
    assert 1 / math.sqrt(eps_of("float64")) < 1e14
    quiet = spectral_stats(X, cross_check=False)
    assert quiet.cross_check.startswith("not run") and quiet.cross_check_rel is None


@given(case=cases(max_abs_log10=10), k=st.integers(-6, 6), seed=seeds)
def test_metamorphic_rotation_and_scaling(case, k, seed, device):
    X = case.X
    Q = orthogonal(np.random.default_rng(seed), X.shape[1])
    c = 2.0**k
    s = spectral_stats(X, device=device)
    s_rot = spectral_stats(X @ Q, device=device, method=s.method)
    s_sc = spectral_stats(c * X, device=device, method=s.method)
    # scaling by a power of two is exact: eigenvalues scale by c^2, kappa unchanged
    assert s_sc.rank == s.rank
    assert torch.allclose(s_sc.eigenvalues, c**2 * s.eigenvalues, rtol=1e-12, atol=0)
    assert math.isclose(s_sc.cond, s.cond, rel_tol=1e-10) or s.cond == s_sc.cond
    ref = _mp_eigs(X)
    if _resolved_rank(ref, s.rtol) is not None:
        assert s_rot.rank == s.rank
        g = eig_rtol("float64", max(X.shape) * min(X.shape))
        bound = 2 * g * (ref.sum() if s.method == "gram-dual" else np.linalg.norm(X) * math.sqrt(
            ref[0]))
        assert torch.all((s_rot.eigenvalues - s.eigenvalues).abs() <= bound)


def test_never_an_n_by_n_eigendecomposition_when_n_gt_d(monkeypatch):
    sizes = []
    for name in ("eigvalsh", "eigh", "svdvals", "svd"):
        orig = getattr(torch.linalg, name)

        def spy(A, *a, _orig=orig, **kw):
            sizes.append(tuple(A.shape))
            return _orig(A, *a, **kw)

        monkeypatch.setattr(torch.linalg, name, spy)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 5))
    X[:, 4] = 0.0  # rank-deficient: auto goes through gram-dual then svd
    for method in ("auto", "gram-dual", "svd", "qr-svd"):
        spectral_stats(X, method=method)
    spectral_stats(iter([X[:50], X[50:]]))
    assert sizes and all(max(s) <= 200 and min(s) <= 5 and s != (200, 200) for s in sizes)
    assert all(s[0] <= 5 for s in sizes if len(s) == 2 and s[0] == s[1])


@given(case=cases(), block=st.integers(1, 4))
def test_memmap_and_iterable_equal_in_memory(case, block, tmp_path_factory):
    X = case.X
    path = tmp_path_factory.mktemp("mm") / "x.f64"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    ref = spectral_stats(X, method="gram-dual")
    n, d = X.shape
    tol = eig_rtol("float64", max(n, d)) * ref.eigenvalues.sum()
    for src in (mm, iter([X[i:i + block] for i in range(0, n, block)]),
                [torch.from_numpy(X[i:i + block]) for i in range(0, n, block)]):
        s = spectral_stats(src, method="gram-dual", block_rows=block)
        assert (s.n, s.d) == (n, d)
        k = min(s.rank, ref.rank)
        assert torch.all((s.eigenvalues[:k] - ref.eigenvalues[:k]).abs() <= tol)
    G = accumulate_gram_dual((torch.from_numpy(X[i:i + block]), None)
                              for i in range(0, n, block))
    assert (G.n, G.d) == (n, d)
    assert torch.allclose(G.C, torch.from_numpy(X.T @ X), rtol=0,
                          atol=eig_rtol("float64", n) * float(np.abs(X).sum(0).max() ** 2))
    s_qr = spectral_stats(mm, method="qr-svd", block_rows=block)
    assert s_qr.n == n and s_qr.rank == spectral_stats(X, method="svd").rank


def test_stream_validation():
    with pytest.raises(InputError, match="block 1"):
        spectral_stats(iter([np.ones((2, 3)), np.ones((2, 4))]))
    with pytest.raises(InputError, match="block 0"):
        spectral_stats(iter([np.array([[np.nan, 1.0]])]))
    with pytest.raises(InputError):
        spectral_stats(iter([]))
    with pytest.raises(InputError):
        spectral_stats(np.ones((3, 2)), method="lanczos")
    with pytest.raises(InputError):
        accumulate_gram_dual(np.ones((3, 2)), block_rows=0)


def test_one_shot_iterator_keeps_gram_dual_and_says_so():
    rng = np.random.default_rng(3)
    X = (orthogonal(rng, 8)[:, :3] * np.array([1.0, 1e-3, 1e-5])) @ orthogonal(rng, 3).T
    s = spectral_stats(iter([X[:4], X[4:]]))
    assert s.method == "gram-dual" and "one-shot" in s.method_note
    s2 = spectral_stats([X[:4], X[4:]])
    assert s2.method == "qr-svd"


def test_rank_deficient_note_and_zero_matrix():
    X = np.zeros((5, 4))
    X[:, :2] = np.random.default_rng(0).standard_normal((5, 2))
    s = spectral_stats(X)
    assert s.rank == 2 and math.isinf(s.cond_d) and s.log10_width is None
    assert "rank 2 < min(n,d)=4" in s.cond_d_note
    z = spectral_stats(np.zeros((3, 2)))
    assert z.rank == 0 and math.isinf(z.cond)


@pytest.mark.parametrize("method", ["auto", "gram-dual", "qr-svd"])
def test_float32_memmap_out_of_core_equals_in_memory(method, tmp_path, device):
    """A float32 memmap streamed in blocks (the out-of-core route) gives the spectrum of the
    same values held in memory: both compute in float64 from float32 values (exact in
    float64), so they differ only by float64 rounding (eig_rtol on tr(G) for gram-dual,
    on ||X||_F^2 for qr-svd)."""
    rng = np.random.default_rng(11)
    n, d = 3000, 24
    X = ((rng.standard_normal((n, d)) * np.arange(1, d + 1) ** -1.0)
         @ orthogonal(rng, d)).astype(np.float32)
    mm = np.memmap(tmp_path / "x.f32", dtype=np.float32, mode="w+", shape=(n, d))
    mm[:] = X
    mm.flush()
    ro = np.memmap(tmp_path / "x.f32", dtype=np.float32, mode="r", shape=(n, d))
    s = spectral_stats(ro, method=method, block_rows=700, device=device)
    ref = spectral_stats(torch.from_numpy(X.astype(np.float64)),
                         method="svd" if method == "qr-svd" else "gram-dual")
    assert s.eigenvalues.device.type == device
    assert (s.n, s.d, s.dtype) == (n, d, "float64") and s.rank == ref.rank == d
    assert s.method == ("qr-svd" if method == "qr-svd" else "gram-dual")
    tol = eig_rtol("float64", n) * float(ref.eigenvalues.sum())
    assert torch.all((s.eigenvalues.cpu() - ref.eigenvalues).abs() <= tol)
    assert abs(s.cond_d - ref.cond_d) <= eig_rtol("float64", n, ref.cond_d) * 2 * ref.cond_d
    bad = np.memmap(tmp_path / "bad.f32", dtype=np.float32, mode="w+", shape=(n, d))
    bad[:] = X
    bad[2500, 3] = np.nan
    with pytest.raises(InputError, match=r"X\[block 3\]"):
        spectral_stats(bad, block_rows=700)
