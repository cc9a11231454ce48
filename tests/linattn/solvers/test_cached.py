"""The float32 kernel cache, the exact float64 pass, RPCholesky and the refined solve.

Bounds (pyverify.tolerance):
* float32 cache product: every entry rounded once (relative 2^-24) and accumulated in
  float32 over n terms: |K32 V - K V| <= matmul_rtol("float32", n) * (|K| |V|) entrywise;
* exact pass: the same in float64, matmul_rtol("float64", n) * (|K| |V|);
* refined solve against dense Cholesky: residual_solve_rtol(residual, kappa) for ours plus
  solve_rtol("float64", n, kappa) for Cholesky (forward error from the residual, exact).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from linattn.ntk import mlp_attn_ntk, relu_ntk
from linattn.solvers import Float32KernelCache, KernelOperator, solve_cached, symmetric_matmul
from linattn.solvers import refine as refine_mod
from linattn.solvers.checkpoint import BlockStore
from linattn.solvers.precond import rp_cholesky
from linattn.solvers.refine import block_pcg
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import matmul_rtol, residual_solve_rtol, solve_rtol

F64 = torch.float64


def _unit_rows(n: int, d: int, seed: int, device: str = "cpu") -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    s = torch.arange(1, d + 1, dtype=F64) ** -1.0  # MNIST-like decay, as the benchmarks
    X = torch.randn(n, d, generator=g, dtype=F64) * s
    return (X / X.norm(dim=1, keepdim=True)).to(device)


def _dense_from_cache(c: Float32KernelCache) -> torch.Tensor:
    K = torch.zeros(c.n, c.n, dtype=F64)
    for s, P in zip(c.starts, c.panels, strict=True):
        h = P.shape[0]
        K[s:s + h, s:] = P.double()
        K[s:, s:s + h] = P.double().T
    return K


def _rel_res(K: torch.Tensor, X: torch.Tensor, B: torch.Tensor, ridge: float) -> float:
    R = B - K @ X - ridge * X
    return float((R.norm(dim=0) / B.norm(dim=0)).max())


@given(n=st.integers(1, 70), d=st.integers(1, 5), k=st.integers(1, 3),
       block=st.integers(1, 80), seed=st.integers(0, 2**16))
def test_cache_and_exact_pass_match_the_dense_kernel(n, d, k, block, seed):
    X = torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)
    X[X.norm(dim=1) == 0, 0] = 1.0
    op = KernelOperator.relu_ntk(X)
    K = relu_ntk(X, check=False)
    V = torch.randn(n, k, generator=torch.Generator().manual_seed(seed + 1), dtype=F64)
    c = Float32KernelCache(op, block=block)
    assert c.nbytes == Float32KernelCache.nbytes_for(n, block)
    Kc = _dense_from_cache(c)
    # the panels' diagonal squares are mirrored: the cached matrix is symmetric by construction
    assert torch.equal(Kc, Kc.T)
    scale = K.abs() @ V.abs()
    assert bool(((c.matmul(V) - K @ V).abs() <= matmul_rtol("float32", n) * scale).all())
    assert c.matmul(V).dtype == F64 and c.matmul(V[:, 0]).shape == (n,)
    exact = symmetric_matmul(op, V, block=block)
    assert bool(((exact - K @ V).abs() <= matmul_rtol("float64", n) * scale).all())
    # the diagonal is ||x||^2 / 2 as in relu_ntk(X) (u_ii = 1 exactly)
    assert torch.allclose(c.diag().double(), X.norm(dim=1) ** 2 / 2, rtol=2.0**-23, atol=0)


def test_cache_never_evaluates_below_the_diagonal():
    """Every kernel tile the cache and the exact pass evaluate lies on or above the diagonal
    blocks (by symmetry: half the entries of a full pass), in chunks of bounded size."""
    X = _unit_rows(300, 6, 0)
    calls = []

    def kern(a, b):
        calls.append((a.shape[0], b.shape[0]))
        return relu_ntk(a, b, check=False)

    op = KernelOperator(kern, X)
    Float32KernelCache(op, block=64)
    entries = sum(a * b for a, b in calls)
    assert max(a for a, _ in calls) <= 64
    starts = range(0, 300, 64)
    assert entries == sum(min(64, 300 - s) * (300 - s) for s in starts) < 300 * 300 * 0.62


def test_rp_cholesky_error_decreases_and_full_rank_is_exact():
    X = _unit_rows(300, 4, 1)
    op = KernelOperator.relu_ntk(X)
    K = relu_ntk(X, check=False)
    errs = []
    for rank in (10, 40, 160):
        ap = rp_cholesky(op.diag(), op.columns, rank, block=20, rtol=1e-15, seed=0)
        assert ap.rank <= rank and ap.method == "rpcholesky"
        assert bool((ap.lam[:-1] >= ap.lam[1:]).all()) and bool((ap.lam > 0).all())
        errs.append(float(torch.linalg.matrix_norm(ap.to_dense() - K) / K.norm()))
    assert errs[0] > errs[1] > errs[2]
    A = K[:40, :40]
    ap = rp_cholesky(torch.diagonal(A).clone(), lambda i: A[:, i], 40, block=7,
                     rtol=1e-15, seed=3)
    cond = float(torch.linalg.cond(A))
    assert float((ap.to_dense() - A).norm() / A.norm()) <= solve_rtol("float64", 40, cond)


def test_block_pcg_reaches_its_recurrence_tolerance():
    g = torch.Generator().manual_seed(2)
    Q, _ = torch.linalg.qr(torch.randn(80, 80, generator=g, dtype=F64))
    A = (Q * torch.logspace(0, -4, 80, dtype=F64)) @ Q.T
    B = torch.randn(80, 3, generator=g, dtype=F64)
    X, it = block_pcg(lambda V: A @ V, B, 1e-3, 1e-10, 500, lambda V: V.clone())
    assert 1 <= it < 500 and _rel_res(A, X, B, 1e-3) <= 1e-9


def _problem(n: int, n_test: int, ridge: float, seed: int = 0, device: str = "cpu"):
    X, T = _unit_rows(n, 20, seed, device), _unit_rows(n_test, 20, seed + 1, device)
    op = KernelOperator.relu_ntk(X)
    B = relu_ntk(X, T, check=False)
    K = relu_ntk(X, check=False)
    ev = torch.linalg.eigvalsh(K.cpu())
    cond = float((ev[-1] + ridge) / (ev[0] + ridge))
    return X, op, B, K, cond


def test_cached_route_matches_dense_cholesky(device):
    n, ridge, tol = 1200, 1e-3, 1e-10
    _, op, B, K, cond = _problem(n, 6, ridge, device=device)
    sol = solve_cached(op, B, ridge=ridge, tol=tol, rank=120)
    assert sol.residual <= tol and sol.refinements >= 1 and sol.X.device.type == device
    assert sol.cache_bytes == Float32KernelCache.nbytes_for(n)
    assert [h[1] for h in sol.history] == list(range(1, sol.refinements + 1))
    ref = torch.cholesky_solve(B, torch.linalg.cholesky(K + ridge * torch.eye(
        n, dtype=F64, device=device)))
    # the reported residual is the float64 one: recompute it independently
    assert _rel_res(K, sol.X, B, ridge) <= 2 * tol
    err = float((sol.X - ref).norm() / ref.norm())
    assert err <= residual_solve_rtol(sol.residual, cond) + solve_rtol("float64", n, cond)


def test_refinement_reaches_float64_target_where_the_float32_kernel_cannot():
    """With a small ridge, the exact solution of the float32-rounded system has a float64
    residual far above tol (kappa * 2^-24 >> tol); the refined solve meets tol."""
    n, ridge, tol = 800, 1e-5, 1e-9
    _, op, _, K, _ = _problem(n, 1, ridge, seed=4)
    B = torch.randn(n, 3, generator=torch.Generator().manual_seed(5), dtype=F64)
    c = Float32KernelCache(op)
    A32 = _dense_from_cache(c) + ridge * torch.eye(n, dtype=F64)
    X32 = torch.cholesky_solve(B, torch.linalg.cholesky(A32))  # the float32 kernel, exactly
    assert _rel_res(K, X32, B, ridge) > 100 * tol  # premise: float32 alone cannot
    # and its own inner PCG (float32 products, no refinement) does not either
    X_in, _ = block_pcg(c.matmul, B, ridge, 1e-12, 3000, lambda V: V.clone())
    assert _rel_res(K, X_in, B, ridge) > 100 * tol
    sol = solve_cached(op, B, ridge=ridge, tol=tol, rank=80, cache=c)
    assert sol.residual <= tol and sol.refinements >= 2
    assert _rel_res(K, sol.X, B, ridge) <= 2 * tol


def test_refinement_that_cannot_converge_raises_and_says_why():
    """kappa * 2^-24 >> 1 (entries ~1e6 rounded to float32 perturb K by ~0.06 >> ridge): a
    NumericalError naming the float32 kernel, never a silent wrong answer.  A tol below the
    float64 rounding level of the residual raises a NumericalError naming tol instead."""
    X = _unit_rows(300, 5, 6)
    op = KernelOperator(lambda a, b: a @ b.T + 1e6, X)  # PSD: Gram + constant
    B = torch.randn(300, 2, generator=torch.Generator().manual_seed(7), dtype=F64)
    with pytest.raises(NumericalError, match="float32 kernel is too coarse") as exc:
        solve_cached(op, B, ridge=1e-3, tol=1e-8, rank=10, max_iter=300)
    assert exc.value.argument == "A"
    X3 = _unit_rows(400, 3, 6)  # kappa(K + ridge I) ~ 4e5: 1e-13 cannot be measured
    with pytest.raises(NumericalError, match="rounding level") as exc:
        solve_cached(KernelOperator.relu_ntk(X3), B.repeat(2, 1)[:400], ridge=1e-10,
                     tol=1e-13, rank=20, max_iter=300)
    assert exc.value.argument == "tol"


def test_resume_after_an_interrupted_block(tmp_path, monkeypatch):
    n, ridge, tol = 300, 1e-3, 1e-10
    _, op, B, K, cond = _problem(n, 6, ridge, seed=8)
    full = solve_cached(op, B, ridge=ridge, tol=tol, rank=60, rhs_block=2)
    calls = {"n": 0}
    orig = refine_mod.block_pcg

    def interrupted(*a, **kw):  # the second block is interrupted (Ctrl-C) in its PCG
        calls["n"] += 1
        if calls["n"] > sum(1 for h in full.history if h[0] == 0):
            raise KeyboardInterrupt
        return orig(*a, **kw)

    monkeypatch.setattr(refine_mod, "block_pcg", interrupted)
    with pytest.raises(KeyboardInterrupt):
        solve_cached(op, B, ridge=ridge, tol=tol, rank=60, rhs_block=2, checkpoint=tmp_path)
    monkeypatch.setattr(refine_mod, "block_pcg", orig)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["block-0000000.npz", "problem.json"]  # atomic: no partial file
    again = solve_cached(op, B, ridge=ridge, tol=tol, rank=60, rhs_block=2,
                         checkpoint=tmp_path)
    assert again.blocks_loaded == 1 and {h[0] for h in again.history} == {2, 4}
    assert again.residual <= tol and _rel_res(K, again.X, B, ridge) <= 2 * tol
    assert float((again.X - full.X).norm() / full.X.norm()) <= 2 * residual_solve_rtol(tol,
                                                                                      cond)
    done = solve_cached(op, B, ridge=ridge, tol=tol, rank=60, rhs_block=2,
                        checkpoint=tmp_path)
    assert done.blocks_loaded == 3 and done.history == [] and done.iterations == 0
    assert torch.equal(done.X, again.X)  # loaded from the files written by `again`
    with pytest.raises(InputError) as exc:  # another problem in the same folder
        solve_cached(op, 2 * B, ridge=ridge, tol=tol, rank=60, rhs_block=2,
                     checkpoint=tmp_path)
    assert exc.value.argument == "checkpoint"


def test_block_store_key_and_atomic_files(tmp_path):
    X = _unit_rows(10, 3, 9)
    op = KernelOperator.relu_ntk(X)
    B = torch.ones(10, 2, dtype=F64)
    s = BlockStore(tmp_path, op, B, 0.1, 1e-8, 1)
    assert s.load(0) is None and s.finished() == []
    s.save(1, B[:, 1:], 3e-9)
    Xb, res = s.load(1)
    assert torch.equal(Xb, B[:, 1:]) and res == 3e-9 and s.finished() == [1]
    assert BlockStore(tmp_path, op, B, 0.1, 1e-8, 1).key == s.key
    for other in (dict(ridge=0.2), dict(tol=1e-9), dict(rhs_block=2)):
        kw = dict(ridge=0.1, tol=1e-8, rhs_block=1) | other
        with pytest.raises(InputError):
            BlockStore(tmp_path, op, B, kw["ridge"], kw["tol"], kw["rhs_block"])


def test_mlp_attn_operator_matches_the_dense_ntk_and_solves():
    X = _unit_rows(200, 8, 10)
    op = KernelOperator.mlp_attn_ntk(X)
    K = mlp_attn_ntk(X, check=False)
    rel = float((symmetric_matmul(op, torch.eye(200, dtype=F64)) - K).abs().max()
                / K.abs().max())
    assert rel <= matmul_rtol("float64", 200) * 8  # same features X C, GEMMs on sub-blocks
    ridge = 1e-3 * float(K.diagonal().mean())
    B = torch.randn(200, 2, generator=torch.Generator().manual_seed(11), dtype=F64)
    sol = solve_cached(op, B, ridge=ridge, tol=1e-10, rank=40)
    assert sol.residual <= 1e-10 and _rel_res(K, sol.X, B, ridge) <= 1e-9
    keys = _unit_rows(50, 8, 12)
    assert torch.allclose(symmetric_matmul(KernelOperator.mlp_attn_ntk(X, keys=keys),
                                           torch.eye(200, dtype=F64)),
                          mlp_attn_ntk(X, keys=keys, check=False), rtol=1e-10, atol=0)


def test_tile_and_bad_arguments():
    X = _unit_rows(20, 3, 13)
    op = KernelOperator.relu_ntk(X)
    K = relu_ntk(X, check=False)
    T = op.tile(3, 9, 5, 20)
    assert T.shape == (6, 15)
    assert torch.allclose(T, K[3:9, 5:20], rtol=1e-12, atol=1e-15)
    # the global diagonal inside the tile is ||x||^2 / 2 exactly, as in relu_ntk(X)
    idx = torch.arange(5, 9)
    assert torch.equal(T[idx - 3, idx - 5], X[5:9].norm(dim=1) ** 2 / 2)
    B = torch.ones(20, 1, dtype=F64)
    bad = [lambda: op.tile(0, 0, 0, 1), lambda: op.tile(0, 21, 0, 1),
           lambda: op.tile(0, 1.5, 0, 1), lambda: Float32KernelCache(K),
           lambda: Float32KernelCache(op, block=0), lambda: symmetric_matmul(op, B[:3]),
           lambda: solve_cached(K, B, ridge=1.0), lambda: solve_cached(op, B[:3], ridge=1.0),
           lambda: solve_cached(op, B, ridge=-1.0), lambda: solve_cached(op, B, ridge=1.0,
                                                                          tol=0.0),
           lambda: solve_cached(op, B, ridge=1.0, rank=0),
           lambda: solve_cached(op, B * math.nan, ridge=1.0),
           lambda: solve_cached(op, B, ridge=1.0, max_iter=0),
           lambda: KernelOperator.mlp_attn_ntk(X.numpy()),
           lambda: KernelOperator(lambda a, b: torch.zeros(1, dtype=F64), X).tile(0, 2, 0, 2)]
    for case in bad:
        with pytest.raises(InputError):
            case()
