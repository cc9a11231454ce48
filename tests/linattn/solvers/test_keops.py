"""linattn.solvers.keops: the optional KeOps ReLU-NTK product against the dense torch kernel.

KeOps compiles one module per (dtype, d, padded k); the tests reuse d = 16 and k ∈ {1, 4}
(V's columns are padded to a power of two) so a cold cache costs two compilations.
"""

from __future__ import annotations

import sys

import pytest
import torch

from linattn.ntk import relu_ntk
from linattn.solvers import KernelOperator, keops, solve_spd
from pyverify.errors import InputError
from pyverify.tolerance import matmul_rtol, solve_rtol

F64 = torch.float64
N, D = 300, 16
HAS_KEOPS = keops.keops_available()
NO_KEOPS_REASON = "pykeops not installed: `pip install pykeops==2.3` to run the KeOps checks"


def _data(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _hide_pykeops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pykeops`` fail in this test, whether or not it is installed."""
    for mod in [m for m in sys.modules if m == "pykeops" or m.startswith("pykeops.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "pykeops", None)
    monkeypatch.setitem(sys.modules, "pykeops.torch", None)
    monkeypatch.setattr(keops, "keops_available", lambda: False)


def test_keops_backend_without_pykeops_is_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_pykeops(monkeypatch)
    with pytest.raises(InputError, match=r"backend: .*pykeops.*pip install pykeops"):
        KernelOperator.relu_ntk(_data(10, 3, 0), backend="keops")


def test_auto_without_pykeops_falls_back_to_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_pykeops(monkeypatch)
    X = _data(20, 3, 1)
    op = KernelOperator.relu_ntk(X, backend="auto")
    assert op.backend == "torch"
    V = _data(20, 2, 2)
    scale = float(relu_ntk(X).abs().sum(1).max() * V.abs().max())
    assert float((op @ V - relu_ntk(X) @ V).abs().max()) <= matmul_rtol("float64", 20) * scale


def test_torch_relu_ntk_operator_equals_dense_entrywise() -> None:
    """The blocked torch path: rectangular blocks relu_ntk(X[a:b], X) leave arccos(1 − eps)
    on the diagonal (~1e-8 relative); KernelOperator.relu_ntk sets u_ii = 1 as relu_ntk(X)."""
    n = 50
    X = _data(n, 3, 12)
    op = KernelOperator.relu_ntk(X, block_rows=7)
    assert op.backend == "torch"
    K = relu_ntk(X)
    tol = matmul_rtol("float64", n, products=2)
    assert torch.allclose(op.to_dense(), K, rtol=tol, atol=0)
    idx = [0, 13, 13, n - 1]
    assert torch.allclose(op.columns(idx), K[:, idx], rtol=tol, atol=0)
    assert torch.allclose(op.diag(), torch.diagonal(K), rtol=tol, atol=0)


def test_auto_on_cpu_is_torch() -> None:
    # documented: KeOps' CPU reduction is slower than the BLAS-blocked torch product
    assert KernelOperator.relu_ntk(_data(20, 3, 3), backend="auto").backend == "torch"


def test_bad_backends_are_input_errors() -> None:
    X = _data(10, 3, 4)
    with pytest.raises(InputError, match=r"backend: must be 'torch', 'keops' or 'auto'"):
        KernelOperator.relu_ntk(X, backend="cuda")
    with pytest.raises(InputError, match=r"backend: 'keops' is only implemented for the ReLU"):
        KernelOperator(lambda a, b: a @ b.T, X, backend="keops")
    assert KernelOperator(lambda a, b: a @ b.T, X, backend="auto").backend == "torch"


def test_next_pow2() -> None:
    assert [keops._next_pow2(k) for k in (1, 2, 3, 4, 5, 100, 128, 129)] == \
        [1, 2, 4, 4, 8, 128, 128, 256]


@pytest.mark.skipif(not HAS_KEOPS, reason=NO_KEOPS_REASON)
def test_keops_matmul_equals_dense_relu_ntk() -> None:
    X = _data(N, D, 5)
    X[7] *= 1e-3  # rows of very different norms
    X[11] *= 1e3
    op = KernelOperator.relu_ntk(X, backend="keops")
    assert op.backend == "keops"
    K = relu_ntk(X)  # dense, symmetric path: u_ii = 1 exactly
    # G_ij = ‖x_i‖‖x_j‖u_ij vs x_iᵀx_j: two products of length d, then arccos (Lipschitz
    # away from u = ±1, which random rows in d = 16 do not approach)
    tol = matmul_rtol("float64", max(N, D), products=2)
    for V in (_data(N, 3, 6), _data(N, 4, 7), _data(N, 1, 8)[:, 0]):
        ref = K @ V
        got = op @ V
        assert got.shape == ref.shape and got.dtype == F64
        scale = float(K.abs().sum(1).max() * V.abs().max())
        assert float((got - ref).abs().max()) <= tol * scale
    # columns of K through one-hot V, entry by entry, diagonal included: arccos(1 − eps)
    # ≈ √(2 eps) would miss this by ~1e-8 relative if u_ii were not set to 1
    E = torch.zeros(N, 4, dtype=F64)
    idx = [0, 7, 11, N - 1]
    E[idx, range(4)] = 1.0
    cols = op @ E
    assert torch.allclose(cols, K[:, idx], rtol=tol, atol=0)
    assert torch.allclose(op.diag(), torch.diagonal(K), rtol=tol, atol=0)


@pytest.mark.skipif(not HAS_KEOPS, reason=NO_KEOPS_REASON)
def test_keops_pcg_equals_dense_cholesky() -> None:
    ridge, tol = 1e-2, 1e-10
    X = _data(N, D, 9)
    B = relu_ntk(X, _data(3, D, 10))  # (n, 3) = K_train,test
    K = relu_ntk(X)
    ref = solve_spd(K, B, ridge=ridge, method="cholesky", tol=tol)
    op = KernelOperator.relu_ntk(X, backend="keops")
    out = solve_spd(op, B, ridge=ridge, method="pcg", rank=4, tol=tol)
    assert ref.method == "cholesky" and out.method == "pcg" and out.converged
    assert out.residual <= tol and out.iterations >= 1
    ev = torch.linalg.eigvalsh(K)
    cond = float((ev[-1] + ridge) / (ev[0] + ridge))
    err = float(torch.linalg.matrix_norm(out.X - ref.X) / torch.linalg.matrix_norm(ref.X))
    assert err <= 4 * (cond * tol + solve_rtol("float64", N, cond))


@pytest.mark.skipif(not HAS_KEOPS, reason=NO_KEOPS_REASON)
def test_keops_zero_row_is_input_error() -> None:
    X = _data(10, D, 11)
    X[3] = 0.0
    with pytest.raises(InputError, match=r"X: must have no zero rows"):
        KernelOperator.relu_ntk(X, backend="keops")
