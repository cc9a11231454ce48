"""linattn.solvers: PCG and Nyström against dense Cholesky on small sizes."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from linattn.solvers import (
    KernelOperator,
    approx_influence,
    nystrom_approx,
    solve_spd,
)
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import matmul_rtol, solve_rtol

F64 = torch.float64


def _relu_ntk_ref(Xa: torch.Tensor, Xb: torch.Tensor) -> torch.Tensor:
    """The ReLU NTK's formula, written independently here: H = xᵀy (π − arccos u)/(2π)."""
    g = Xa @ Xb.T
    u = (g / (Xa.norm(dim=1)[:, None] * Xb.norm(dim=1)[None, :])).clamp(-1.0, 1.0)
    return g * (math.pi - torch.arccos(u)) / (2 * math.pi)


def _rbf(Xa: torch.Tensor, Xb: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * torch.cdist(Xa, Xb) ** 2)


def _spd(n: int, cond: float, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    lam = torch.logspace(0, -math.log10(cond), n, dtype=F64)
    A = (Q * lam) @ Q.T
    return 0.5 * (A + A.T)


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


@given(n=st.integers(1, 60), k=st.integers(1, 4), block=st.integers(1, 70),
       seed=st.integers(0, 2**16))
def test_kernel_operator_matches_dense(n: int, k: int, block: int, seed: int) -> None:
    X = _data(n, 3, seed)
    op = KernelOperator(_rbf, X, block_rows=block)
    K = _rbf(X, X)
    V = _data(n, k, seed + 1)
    tol = matmul_rtol("float64", n)
    scale = float(K.abs().sum(1).max() * V.abs().max())
    assert float((op.matmul(V) - K @ V).abs().max()) <= tol * scale
    assert float((op @ V[:, 0] - K @ V[:, 0]).abs().max()) <= tol * scale
    assert torch.equal(op.to_dense(), torch.cat([_rbf(X[a:a + block], X)
                                                  for a in range(0, n, block)]))
    assert torch.allclose(op.diag(), torch.diagonal(K), rtol=tol, atol=0)
    idx = [0, n - 1]
    assert torch.allclose(op.columns(idx), K[:, idx], rtol=tol, atol=tol)
    assert op.shape == (n, n) and op.dtype == F64 and op.device == X.device


@given(n=st.integers(2, 50), log_cond=st.floats(0, 6), k=st.integers(1, 3),
       seed=st.integers(0, 2**16), precond=st.sampled_from(["nystrom", "pivoted-cholesky", None]))
def test_pcg_equals_cholesky_on_random_spd(n: int, log_cond: float, k: int, seed: int,
                                           precond: str | None) -> None:
    cond = 10.0**log_cond
    A, B = _spd(n, cond, seed), _data(n, k, seed + 1)
    # attainable relative residual in float64 is ~ n·eps·κ (Higham Thm 7.2)
    tol = max(1e-11, solve_rtol("float64", n, cond))
    ref = solve_spd(A, B, method="cholesky", tol=tol)
    out = solve_spd(A, B, method="pcg", precond=precond, rank=max(1, n // 4), tol=tol,
                    max_iter=20 * n)
    assert ref.method == "cholesky" and out.method == "pcg" and out.converged
    assert out.residual <= tol and ref.residual <= tol
    # forward error ≤ κ · (backward error) for both solves
    bound = cond * tol
    err = float(torch.linalg.matrix_norm(out.X - ref.X) / torch.linalg.matrix_norm(ref.X))
    assert err <= 4 * bound


@pytest.mark.parametrize("precond", ["nystrom", "pivoted-cholesky", None])
def test_pcg_equals_cholesky_on_relu_ntk(precond: str | None) -> None:
    n, ridge = 400, 1e-2
    X = _data(n, 10, 0)
    op = KernelOperator(_relu_ntk_ref, X, block_rows=200)
    B = _relu_ntk_ref(X, _data(5, 10, 1))
    K = op.to_dense()
    ref = solve_spd(K, B, ridge=ridge)  # auto: n <= 8000 → Cholesky
    # the on-the-fly operator with the default preconditioner, the dense matrix otherwise
    A = op if precond == "nystrom" else K
    out = solve_spd(A, B, ridge=ridge, cholesky_max_n=100, precond=precond, rank=100)
    assert ref.method == "cholesky" and out.method == "pcg"
    assert out.residual <= 1e-10 and out.precond == precond
    ev = torch.linalg.eigvalsh(K)
    cond = float((ev[-1] + ridge) / (ev[0] + ridge))
    err = float(torch.linalg.matrix_norm(out.X - ref.X) / torch.linalg.matrix_norm(ref.X))
    assert err <= 4 * (cond * 1e-10 + solve_rtol("float64", n, cond))


def test_pcg_on_project_relu_ntk() -> None:
    """The same check with the project's own ``linattn.ntk.relu_ntk`` as kernel_fn."""
    from linattn.ntk import relu_ntk

    n, ridge = 200, 1e-2
    X = _data(n, 8, 2)
    op = KernelOperator(lambda a, b: relu_ntk(a, b), X, block_rows=100)
    B = _data(n, 3, 3)
    ref = solve_spd(relu_ntk(X), B, ridge=ridge)
    out = solve_spd(op, B, ridge=ridge, method="pcg", rank=60)
    assert out.residual <= 1e-10
    assert float((out.X - ref.X).norm() / ref.X.norm()) <= 1e-6


def test_preconditioner_cuts_iterations_on_ill_conditioned_kernel() -> None:
    # ReLU NTK of 3-D data: fast spectral decay, κ(K + ridge·I) ≈ 1e6.
    n, ridge = 250, 1e-4
    X = _data(n, 3, 4)
    K = _relu_ntk_ref(X, X)
    B = _data(n, 2, 5)
    plain = solve_spd(K, B, ridge=ridge, method="pcg", precond=None, max_iter=5000)
    its = {pc: solve_spd(K, B, ridge=ridge, method="pcg", precond=pc, rank=40).iterations
           for pc in ("nystrom", "pivoted-cholesky")}
    for pc, it in its.items():
        assert it < plain.iterations / 2, (pc, it, plain.iterations)


@pytest.mark.parametrize("method", ["nystrom", "pivoted-cholesky"])
def test_nystrom_error_decreases_with_rank(method: str) -> None:
    X = _data(300, 3, 6)
    K = _relu_ntk_ref(X, X)
    errs = []
    for rank in (5, 20, 80):
        ap = nystrom_approx(K, rank, seed=1, method=method)
        assert ap.U.shape == (300, ap.rank) and ap.rank <= rank
        assert bool((ap.lam[:-1] >= ap.lam[1:]).all()) and bool((ap.lam >= 0).all())
        eye = torch.eye(ap.rank, dtype=F64)
        assert torch.allclose(ap.U.T @ ap.U, eye, atol=matmul_rtol("float64", 300))
        errs.append(float(torch.linalg.matrix_norm(ap.to_dense() - K) / K.norm()))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.05


def test_nystrom_full_rank_is_exact() -> None:
    A = _spd(40, 1e3, 7)
    ap = nystrom_approx(A, 40, seed=0)
    assert float((ap.to_dense() - A).norm() / A.norm()) <= solve_rtol("float64", 40, 1e3)


def test_approx_influence_error_reported_and_decreasing() -> None:
    X, T = _data(300, 3, 8), _data(20, 3, 9)
    op = KernelOperator(_relu_ntk_ref, X)
    Kt = _relu_ntk_ref(T, X)
    ridge = 1.0
    errs = [approx_influence(op, Kt, ridge, r, seed=0).rel_error for r in (5, 20, 80)]
    assert all(e is not None for e in errs)
    assert errs[0] > errs[1] > errs[2]
    exact = Kt @ torch.linalg.inv(_relu_ntk_ref(X, X) + ridge * torch.eye(300, dtype=F64))
    full = approx_influence(op, Kt, ridge, 300, seed=0)
    assert float((full.influence - exact).norm() / exact.norm()) <= 1e-8
    assert approx_influence(op, Kt, ridge, 10, exact=False).rel_error is None


def test_nonconvergence_raises_with_tol_iterations_and_residual() -> None:
    A, B = _spd(60, 1e6, 10), _data(60, 1, 11)
    with pytest.raises(NumericalError, match=r"tol=1e-10.*3 iteration.*residual"):
        solve_spd(A, B, method="pcg", precond=None, max_iter=3)


def test_ridge_rules() -> None:
    X = _data(30, 2, 12)  # rank-2 Gram matrix: singular
    G, B = X @ X.T, _data(30, 1, 13)
    with pytest.raises(InputError, match="ridge"):
        solve_spd(G, B, ridge=-1e-3)
    with pytest.raises(NumericalError):
        solve_spd(G, B, ridge=0.0, method="cholesky")
    with pytest.raises(NumericalError):
        solve_spd(G, B, ridge=0.0, method="pcg", max_iter=200)
    out = solve_spd(G, B, ridge=1e-3, method="pcg")
    assert out.residual <= 1e-10
    with pytest.raises(InputError, match="ridge"):
        approx_influence(G, B.T, 0.0, 2)


def test_bad_inputs_raise_input_error() -> None:
    A, B = _spd(5, 10.0, 14), _data(5, 2, 15)
    bad = A.clone()
    bad[0, 0] = float("nan")
    cases = [
        lambda: solve_spd(bad, B),
        lambda: solve_spd(A[:, :4], B),
        lambda: solve_spd(A, B[:4]),
        lambda: solve_spd(A, B, method="lu"),
        lambda: solve_spd(A, B, precond="jacobi", method="pcg"),
        lambda: solve_spd(A, B, rank=0, method="pcg"),
        lambda: solve_spd(A, B, max_iter=0),
        lambda: solve_spd(A, B, tol=0.0),
        lambda: solve_spd(A.numpy(), B),
        lambda: KernelOperator(_rbf, torch.zeros(0, 3)),
        lambda: nystrom_approx(A, 6),
    ]
    for case in cases:
        with pytest.raises(InputError):
            case()


def test_vector_rhs_float32_and_auto_threshold() -> None:
    A, b = _spd(50, 100.0, 16), _data(50, 1, 17)[:, 0]
    out = solve_spd(A, b)
    assert out.X.shape == (50,) and out.method == "cholesky"
    out32 = solve_spd(A.float(), b.float(), method="pcg", tol=1e-5, cholesky_max_n=10)
    assert out32.X.dtype == torch.float32 and out32.residual <= 1e-5
    assert float((out32.X.double() - out.X).norm() / out.X.norm()) <= 100 * 1e-5
    assert solve_spd(A, b, cholesky_max_n=49).method == "pcg"


@pytest.mark.cuda
def test_cuda_matches_cpu() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X = _data(400, 5, 18)
    B = _data(400, 3, 19)
    cpu = solve_spd(KernelOperator(_relu_ntk_ref, X), B, ridge=1e-2, method="pcg")
    gpu = solve_spd(KernelOperator(_relu_ntk_ref, X.cuda()), B.cuda(), ridge=1e-2,
                    method="pcg")
    assert gpu.X.device.type == "cuda"
    assert float((gpu.X.cpu() - cpu.X).norm() / cpu.X.norm()) <= 1e-8
