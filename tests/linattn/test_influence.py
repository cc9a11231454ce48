"""linattn.influence against float64 dense references (numpy.linalg.solve).

Tolerance: the solution of an SPD system with kappa(A) has relative error
<= solve_rtol(dtype, n, kappa) (Higham Thm 7.2), normwise.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import cases, seeds

from linattn import influence, kernel, ntk
from pyverify.errors import ConfigError, InputError
from pyverify.tolerance import residual_solve_rtol, solve_rtol


def _nonzero_rows(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X[~X.any(axis=1), 0] = 1.0
    return X


def _setup(case, seed, n_test=3, rel_ridge=1e-2):
    X = _nonzero_rows(case.X)
    rng = np.random.default_rng(seed)
    T = rng.standard_normal((n_test, X.shape[1]))
    K = ntk.relu_ntk(X).numpy()
    Kt = ntk.relu_ntk(T, X).numpy()
    lam = rel_ridge * np.trace(K) / K.shape[0]
    return X, T, K, Kt, lam, rng


def _rel(a, b) -> float:
    a = a.detach().cpu().double().numpy() if isinstance(a, torch.Tensor) else a
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


@pytest.mark.parametrize("prec", ["float64", "float32"])
@given(case=cases(), seed=seeds)
def test_influence_matrix_matches_dense_reference(prec, case, seed, device):
    _, _, K, Kt, lam, _ = _setup(case, seed)
    A = K + lam * np.eye(K.shape[0])
    ref = np.linalg.solve(A, Kt.T).T
    kappa = np.linalg.cond(A)
    dt = getattr(torch, prec)
    Kd = torch.from_numpy(K).to(device, dt)
    Ktd = torch.from_numpy(Kt).to(device, dt)
    inp = "float64" if prec == "float64" else "float32"
    I = influence.influence_matrix(Kd, Ktd, lam, check=prec == "float64")
    assert I.shape == Kt.shape and I.dtype == dt and I.device.type == device
    # float32: the rounded inputs perturb A by ~eps32, amplified by kappa
    assert _rel(I, ref) <= 2 * solve_rtol(inp, K.shape[0], kappa)


@given(case=cases(), seed=seeds, k=st.integers(1, 3))
def test_kernel_ridge_matches_dense_reference(case, seed, k):
    _, _, K, _, lam, rng = _setup(case, seed)
    y = rng.standard_normal((K.shape[0], k))
    A = K + lam * np.eye(K.shape[0])
    kappa = np.linalg.cond(A)
    alpha = influence.kernel_ridge(K, y, lam)
    assert _rel(alpha, np.linalg.solve(A, y)) <= solve_rtol("float64", K.shape[0], kappa)
    a1 = influence.kernel_ridge(K, y[:, 0], lam)
    assert a1.shape == (K.shape[0],)


@given(case=cases(max_dim=5), seed=seeds)
def test_loo_closed_form_equals_explicit_refits(case, seed):
    _, _, K, _, lam, rng = _setup(case, seed)
    n = K.shape[0]
    if n < 2:
        return
    y = rng.standard_normal(n)
    loo = influence.loo_residuals(K, y, lam).numpy()
    refit = np.empty(n)
    for j in range(n):
        keep = np.arange(n) != j
        a = np.linalg.solve(K[np.ix_(keep, keep)] + lam * np.eye(n - 1), y[keep])
        refit[j] = y[j] - K[j, keep] @ a
    kappa = np.linalg.cond(K + lam * np.eye(n))
    assert np.linalg.norm(loo - refit) <= 4 * solve_rtol("float64", n, kappa) * (
        np.linalg.norm(refit) + np.linalg.norm(y))


@given(case=cases(max_dim=6), seed=seeds, n_test=st.integers(1, 4),
       ridge=st.sampled_from([1e-3, 1e-1, 10.0]))
def test_linattn_influence_equals_dense_formula(case, seed, n_test, ridge, device):
    X = case.X
    T = np.random.default_rng(seed).standard_normal((n_test, X.shape[1]))
    K = kernel.linattn_kernel(X)
    lam = ridge * max(float(torch.trace(K)) / X.shape[0], 1e-300)
    A = K.numpy() + lam * np.eye(X.shape[0])
    ref = np.linalg.solve(A, kernel.linattn_kernel(T, X, keys=X).numpy().T).T
    kappa = np.linalg.cond(A)
    I = influence.linattn_influence(X, T, lam, device=device)
    assert I.shape == (n_test, X.shape[0]) and I.device.type == device
    assert _rel(I, ref) <= 4 * solve_rtol("float64", max(X.shape), kappa)


def test_linattn_influence_large_n_matches_dense_and_is_differentiable():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1500, 6))
    T = rng.standard_normal((5, 6))
    lam = 1e-2 * float(np.trace(kernel.linattn_kernel(X[:50]))) * 30
    I = influence.linattn_influence(X, T, lam)
    dense = influence.influence_matrix(kernel.linattn_kernel(X, check=False),
                                       kernel.linattn_kernel(T, X, keys=X), lam, check=False)
    assert _rel(I, dense.numpy()) <= 1e-8
    Xs = torch.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    Ts = torch.tensor(rng.standard_normal((2, 3)))
    assert torch.autograd.gradcheck(lambda a: influence.linattn_influence(a, Ts, 0.5), (Xs,))


def test_ridge_and_shape_validation():
    K = np.eye(3)
    for bad in (0.0, -1.0, float("nan"), float("inf"), "x"):
        with pytest.raises(InputError) as exc:
            influence.influence_matrix(K, K[:1], bad)
        assert exc.value.argument == "ridge"
    with pytest.raises(InputError):
        influence.linattn_influence(np.ones((3, 2)), np.ones((1, 2)), 0.0)
    with pytest.raises(InputError) as exc:
        influence.influence_matrix(K, np.ones((2, 4)), 1.0)
    assert exc.value.argument == "K_test_train"
    with pytest.raises(InputError) as exc:
        influence.kernel_ridge(K, np.ones(4), 1.0)
    assert exc.value.argument == "y"
    with pytest.raises(InputError):
        influence.influence_matrix(np.ones((2, 3)), np.ones((1, 3)), 1.0)


def test_every_spd_solve_goes_through_ridge_solve(monkeypatch):
    calls = []
    orig = influence.ridge_solve
    monkeypatch.setattr(influence, "ridge_solve",
                        lambda A, B, **kw: calls.append(A.shape) or orig(A, B, **kw))
    K, y = np.eye(3) * 2, np.ones(3)
    influence.kernel_ridge(K, y, 1.0)
    influence.influence_matrix(K, K[:1], 1.0)
    influence.loo_residuals(K, y, 1.0)
    influence.linattn_influence(np.eye(3), np.ones((1, 3)), 1.0)
    assert len(calls) == 4


def _relu_problem(n: int, n_test: int = 4, d: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    X, T = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    K, Kt = ntk.relu_ntk(X, check=False), ntk.relu_ntk(T, X)
    lam = 1e-2 * float(K.diagonal().mean())
    kappa = float(np.linalg.cond(K.numpy() + lam * np.eye(n)))
    return X, K, Kt, lam, kappa


def test_pcg_route_equals_cholesky_route_with_info():
    """method="pcg" (block PCG, residual <= tol) and method="cholesky" give the same I to
    kappa * tol (forward error of a solve with relative residual tol), and report how."""
    _, K, Kt, lam, kappa = _relu_problem(400)
    tol = 1e-10
    I_c, info_c = influence.influence_matrix(K, Kt, lam, method="cholesky", return_info=True)
    I_p, info_p = influence.influence_matrix(K, Kt, lam, method="pcg", tol=tol,
                                             return_info=True)
    assert info_c.method == "cholesky" and info_c.iterations == 0 and info_c.tol is None
    assert info_c.residual <= solve_rtol("float64", 400, kappa)
    assert info_p.method == "pcg" and info_p.iterations >= 1 and info_p.tol == tol
    assert info_p.residual <= tol and info_p.precond == "nystrom" and info_p.rank >= 1
    # n <= PCG_MIN_N: the full gates run on both routes
    assert info_c.gates == info_p.gates == ("symmetry", "psd", "conditioning")
    assert _rel(I_p, I_c.numpy()) <= 10 * kappa * tol
    assert set(info_p.as_dict()) >= {"method", "iterations", "residual", "tol", "gates"}


def test_auto_routes_by_size_and_grad(monkeypatch):
    """Above PCG_MIN_N "auto" takes PCG with only the symmetry gate; an input requiring
    grad keeps the differentiable Cholesky route; forcing pcg then is an InputError."""
    monkeypatch.setattr(influence, "PCG_MIN_N", 100)
    _, K, Kt, lam, kappa = _relu_problem(300)
    I_a, info = influence.influence_matrix(K, Kt, lam, return_info=True)
    assert info.method == "pcg" and info.gates == ("symmetry",)
    assert info.residual <= influence.PCG_TOL
    I_c = influence.influence_matrix(K, Kt, lam, method="cholesky")
    assert _rel(I_a, I_c.numpy()) <= 10 * kappa * influence.PCG_TOL
    alpha = influence.kernel_ridge(K, Kt[0], lam)  # routed to PCG too
    assert _rel(alpha, influence.kernel_ridge(K, Kt[0], lam, method="cholesky").numpy()) \
        <= 10 * kappa * influence.PCG_TOL
    Ktg = Kt.clone().requires_grad_(True)
    I_g, info_g = influence.influence_matrix(K, Ktg, lam, return_info=True)
    assert info_g.method == "cholesky" and I_g.requires_grad
    with pytest.raises(InputError) as exc:
        influence.influence_matrix(K, Ktg, lam, method="pcg")
    assert exc.value.argument == "method"
    with torch.no_grad():
        assert influence.influence_matrix(K, Ktg, lam, return_info=True)[1].method == "pcg"


def test_kernel_operator_train_kernel_is_never_formed():
    """A KernelOperator K_train with method="pcg" is solved from row blocks on the fly: the
    kernel is never held as an n x n matrix, and the result equals the dense Cholesky
    route."""
    from linattn.solvers import KernelOperator

    X, K, Kt, lam, kappa = _relu_problem(300)
    shapes = []

    def kern(a, b):
        shapes.append((a.shape[0], b.shape[0]))
        return ntk.relu_ntk(a, b)

    op = KernelOperator(kern, torch.from_numpy(X), block_rows=64)
    I_op, info = influence.influence_matrix(op, Kt, lam, method="pcg", return_info=True)
    assert info.method == "pcg" and info.gates == () and info.residual <= influence.PCG_TOL
    assert info.method_note == "pcg requested"
    assert shapes and max(a for a, _ in shapes) <= 64
    I_c = influence.influence_matrix(K, Kt, lam, method="cholesky")
    assert _rel(I_op, I_c.numpy()) <= 10 * kappa * influence.PCG_TOL


def test_solve_method_and_tol_validation():
    K = np.eye(3) * 2
    for kw, arg in (({"method": "lu"}, "method"), ({"method": "pcg", "tol": 0.0}, "tol"),
                    ({"method": "pcg", "tol": 2.0}, "tol"), ({"method": "pcg", "tol": "x"},
                                                             "tol")):
        with pytest.raises(InputError) as exc:
            influence.influence_matrix(K, K[:1], 1.0, **kw)
        assert exc.value.argument == arg


def _operator_problem(n: int = 600, n_test: int = 5, seed: int = 3):
    from linattn.solvers import KernelOperator

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 12)) * (np.arange(1, 13) ** -1.0)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    T = rng.standard_normal((n_test, 12))
    Xt = torch.from_numpy(X)
    K, Kt = ntk.relu_ntk(Xt, check=False), ntk.relu_ntk(T, X)
    lam = 1e-3
    kappa = float(np.linalg.cond(K.numpy() + lam * np.eye(n)))
    return KernelOperator.relu_ntk(Xt), K, Kt, lam, kappa


def test_auto_route_for_an_operator_follows_the_memory_available(monkeypatch):
    """A planted memory limit (LINATTN_MEMORY_BYTES, or memory_bytes=) below what the float32
    cache needs sends "auto" to PCG on the fly; enough memory sends it to the cache route.
    The choice and its reason are in SolveInfo; both routes give the Cholesky influence."""
    from linattn.solvers import cached_route_bytes

    op, K, Kt, lam, kappa = _operator_problem()
    need = cached_route_bytes(600, 5, influence.cached_rank(600))
    I_c = influence.influence_matrix(K, Kt, lam, method="cholesky")
    monkeypatch.setenv("LINATTN_MEMORY_BYTES", str(int(need / 0.8) - 4096))
    I_p, info_p = influence.influence_matrix(op, Kt, lam, return_info=True)
    assert info_p.method == "pcg" and "LINATTN_MEMORY_BYTES" in info_p.method_note
    assert "on the fly" in info_p.method_note and info_p.refinements is None
    monkeypatch.setenv("LINATTN_MEMORY_BYTES", str(int(need / 0.8) + 4096))
    I_q, info_q = influence.influence_matrix(op, Kt, lam, return_info=True, tol=1e-10)
    assert info_q.method == "cached" and "float32 cache" in info_q.method_note
    assert info_q.residual <= 1e-10 and info_q.refinements >= 1 and info_q.cache_bytes > 0
    assert info_q.precond == "rpcholesky" and len(info_q.history) == info_q.refinements
    # the argument wins over the environment
    info_r = influence.influence_matrix(op, Kt, lam, return_info=True, memory_bytes="1K")[1]
    assert info_r.method == "pcg" and "memory_bytes argument" in info_r.method_note
    bound = residual_solve_rtol(influence.PCG_TOL, kappa) + solve_rtol("float64", 600, kappa)
    for I in (I_p, I_q):
        assert _rel(I, I_c.numpy()) <= bound
    monkeypatch.setenv("LINATTN_MEMORY_BYTES", "lots")
    with pytest.raises(ConfigError) as exc:
        influence.influence_matrix(op, Kt, lam)
    assert exc.value.argument == "LINATTN_MEMORY_BYTES"


def test_cached_route_kernel_ridge_and_influence_match_cholesky(tmp_path):
    """method="cached" (the float32 cache with float64 refinement) against dense Cholesky to
    the table bound, for kernel_ridge and influence_matrix; resumable through checkpoint."""
    op, K, Kt, lam, kappa = _operator_problem(seed=4)
    y = np.random.default_rng(5).standard_normal((600, 2))
    alpha, info = influence.kernel_ridge(op, y, lam, method="cached", tol=1e-10,
                                         return_info=True)
    ref = influence.kernel_ridge(K, y, lam, method="cholesky")
    assert info.method == "cached" and info.method_note == "cached requested"
    bound = residual_solve_rtol(info.residual, kappa) + solve_rtol("float64", 600, kappa)
    assert info.residual <= 1e-10 and _rel(alpha, ref.numpy()) <= bound
    a1 = influence.kernel_ridge(op, y[:, 0], lam, method="cached")
    assert a1.shape == (600,)
    I, info = influence.influence_matrix(op, Kt, lam, method="cached", return_info=True,
                                         checkpoint=tmp_path, rhs_block=2)
    assert (tmp_path / "problem.json").exists() and len(list(tmp_path.glob("block-*"))) == 3
    I2, info2 = influence.influence_matrix(op, Kt, lam, method="cached", return_info=True,
                                           checkpoint=tmp_path, rhs_block=2)
    assert "3 block(s) of columns loaded" in info2.method_note and info2.iterations == 0
    assert torch.equal(I, I2)
    I_c = influence.influence_matrix(K, Kt, lam, method="cholesky")
    bound = residual_solve_rtol(info.residual, kappa) + solve_rtol("float64", 600, kappa)
    assert _rel(I, I_c.numpy()) <= bound
    with pytest.raises(InputError) as exc:  # a dense matrix has no kernel to cache
        influence.influence_matrix(K, Kt, lam, method="cached")
    assert exc.value.argument == "method"
    note = influence.influence_matrix(K, Kt, lam, method="cholesky", return_info=True,
                                      checkpoint=tmp_path)[1].method_note
    assert "checkpoint unused" in note
