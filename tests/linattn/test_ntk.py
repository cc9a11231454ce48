"""linattn.ntk: the ReLU NTK against an mpmath-50 reference, empirical vs closed form,
and convergence to the infinite-width kernel.

Tolerance for H against mpmath: the inner product u = x^T y / (||x|| ||y||) carries a
relative error delta = matmul_rtol(dtype, d); arccos amplifies it near |u| = 1 to
sqrt(2 delta), so |dH_ij| <= ||x_i|| ||y_j|| (delta + sqrt(2 delta)).
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

from linattn import ntk
from pyverify.errors import ConfigError, InputError
from pyverify.tolerance import matmul_rtol


def _mp_relu_ntk(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    out = np.empty((X.shape[0], Y.shape[0]))
    with mpmath.workdps(50):
        xs = [[mpmath.mpf(float(v)) for v in r] for r in X]
        ys = [[mpmath.mpf(float(v)) for v in r] for r in Y]
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                g = mpmath.fsum(a * b for a, b in zip(x, y, strict=True))
                nx = mpmath.sqrt(mpmath.fsum(a * a for a in x))
                ny = mpmath.sqrt(mpmath.fsum(b * b for b in y))
                u = max(min(g / (nx * ny), 1), -1)
                out[i, j] = float(g * (mpmath.pi - mpmath.acos(u)) / (2 * mpmath.pi))
    return out


def _nonzero_rows(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    zero = ~X.any(axis=1)
    X[zero, 0] = 1.0
    return X


def _tol(X: np.ndarray, Y: np.ndarray, prec: str) -> np.ndarray:
    delta = matmul_rtol(prec, X.shape[1])
    return np.outer(np.linalg.norm(X, axis=1), np.linalg.norm(Y, axis=1)) * (
        delta + math.sqrt(2 * delta))


@pytest.mark.parametrize("prec", ["float64", "float32"])
@given(case=cases(max_abs_log10=8), m=st.integers(1, 4), seed=seeds)
def test_relu_ntk_matches_mpmath(prec, case, m, seed, device):
    ndt = np.float64 if prec == "float64" else np.float32
    X = _nonzero_rows(case.X.astype(ndt).astype(np.float64) / case.scale)
    Y = np.random.default_rng(seed).standard_normal((m, X.shape[1])).astype(ndt).astype(float)
    for A, B in ((X, X), (X, Y)):
        H = ntk.relu_ntk(A, None if B is A else B, dtype=prec, device=device)
        assert H.dtype == getattr(torch, prec) and H.device.type == device
        err = np.abs(H.cpu().double().numpy() - _mp_relu_ntk(A, B))
        assert np.all(err <= _tol(A, B, prec))
    Hd = ntk.relu_ntk(X, dtype=prec).diagonal().double().numpy()
    assert np.allclose(Hd, (X**2).sum(1) / 2, rtol=10 * matmul_rtol(prec, X.shape[1]), atol=0)


@given(case=cases(max_dim=5), m=st.integers(1, 3), seed=seeds)
def test_mlp_attn_ntk_is_relu_ntk_of_attention_features(case, m, seed):
    X = _nonzero_rows(case.X)
    Y = np.random.default_rng(seed).standard_normal((m, X.shape[1]))
    C = X.T @ X
    if np.any(np.linalg.norm(X @ C, axis=1) < 1e-6 * np.linalg.norm(X @ C)):
        return  # x in the null space of C: angle undefined (tested separately)
    want = _mp_relu_ntk(X @ C, Y @ C)
    got = ntk.mlp_attn_ntk(Y, X, keys=X).numpy().T
    assert np.all(np.abs(got - want) <= _tol(X @ C, Y @ C, "float64") * 4)
    diff = (ntk.mlp_attn_ntk(X) - ntk.relu_ntk(X @ C)).abs().numpy()
    assert np.all(diff <= _tol(X @ C, X @ C, "float64") * 4)


@given(case=cases(), seed=seeds)
def test_relu_ntk_metamorphic(case, seed, device):
    X = _nonzero_rows(case.X)
    rng = np.random.default_rng(seed)
    Q = orthogonal(rng, X.shape[1])
    p = rng.permutation(X.shape[0])
    H = ntk.relu_ntk(X, device=device)
    tol = torch.from_numpy(_tol(X, X, "float64") * 2).to(device)
    assert torch.all((ntk.relu_ntk(X @ Q, device=device) - H).abs() <= tol)
    assert torch.equal(ntk.relu_ntk(4.0 * X, device=device), 16.0 * H)  # 2-homogeneous
    assert torch.all((ntk.relu_ntk(X[p], device=device) - H[p][:, p]).abs() <= tol)


def test_zero_row_raises_naming_the_row():
    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]])
    with pytest.raises(InputError, match="zero row: angle undefined") as exc:
        ntk.relu_ntk(X)
    assert exc.value.argument == "X" and exc.value.value == 1
    with pytest.raises(InputError) as exc:
        ntk.relu_ntk(np.ones((2, 2)), X)
    assert exc.value.argument == "Y" and exc.value.value == 1
    with pytest.raises(InputError, match="zero row"):
        ntk.mlp_attn_ntk(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))


def test_collinear_rows_clamped_and_gradients_finite():
    X = torch.tensor([[1.0, 2.0], [2.0, 4.0], [-1.0, -2.0], [0.3, -1.0]],
                     dtype=torch.float64, requires_grad=True)
    H = ntk.relu_ntk(X)
    assert torch.isfinite(H).all()
    tol = _tol(X.detach().numpy(), X.detach().numpy(), "float64")
    assert abs(H[0, 1].item() - 10.0 / 2) <= tol[0, 1] and abs(H[0, 2].item()) <= tol[0, 2]
    H.sum().backward()
    assert torch.isfinite(X.grad).all()
    Z = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    T = torch.randn(2, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: ntk.relu_ntk(a, check=False), (Z,))
    assert torch.autograd.gradcheck(lambda a: ntk.mlp_attn_ntk(T, a, keys=a), (Z,))


@pytest.mark.parametrize("cls", ["relu", "attn"])
@given(case=cases(max_dim=5), width=st.sampled_from([1, 7, 64]), seed=seeds)
def test_empirical_ntk_equals_closed_form(cls, case, width, seed, device):
    X = _nonzero_rows(case.X)
    n, d = X.shape
    if cls == "relu":
        model = ntk.TwoLayerReLU(d, width, seed=seed, device=device)
        Xe = X
    else:
        model = ntk.MLPAttn(X, width, seed=seed, device=device)
        Xe = X @ (X.T @ X)
    Y = np.random.default_rng(seed).standard_normal((2, d))
    for A, B in ((X, None), (X, Y)):
        E = ntk.empirical_ntk(model, A, B)
        F = ntk.relu_ntk_closed_form(model, A, B)
        assert E.shape == F.shape == (n, n if B is None else 2)
        Ae = np.abs(Xe)
        Be = Ae if B is None else np.abs(B @ (X.T @ X) if cls == "attn" else B)
        tol = matmul_rtol("float64", d, products=3) * (Ae @ Be.T)
        assert torch.all((E - F).abs().cpu() <= torch.from_numpy(tol))


def _jj_tol(diag_x: torch.Tensor, diag_y: torch.Tensor, P: int) -> torch.Tensor:
    """Bound on |Theta_ij - Theta'_ij| for two evaluations of J_X J_Y^T (P columns) that
    sum in different orders: matmul_rtol(float64, P) * ||J_i|| ||J_j|| (Higham Thm 3.5 and
    Cauchy-Schwarz), with ||J_i||^2 = Theta(x_i, x_i)."""
    return matmul_rtol("float64", P) * torch.outer(diag_x.sqrt(), diag_y.sqrt())


def test_empirical_ntk_blocked_equals_direct():
    """Blocked and direct J J^T sum the same products in different GEMM shapes: equal to
    the rounding bound of a P-term inner product, not bit for bit."""
    gen = torch.Generator().manual_seed(0)
    net = ntk.TwoLayerReLU(3, 16, seed=0)
    X = torch.randn(7, 3, dtype=torch.float64, generator=gen)
    Y = torch.randn(5, 3, dtype=torch.float64, generator=gen)
    P = sum(p.numel() for p in net.parameters())
    dx = ntk.empirical_ntk(net, X).diagonal()
    for B in (None, Y):
        direct = ntk.empirical_ntk(net, X, B)
        blocked = ntk.empirical_ntk(net, X, B, max_elements=3 * 48)  # 48 params, b = 1
        dy = dx if B is None else ntk.empirical_ntk(net, Y).diagonal()
        assert torch.all((direct - blocked).abs() <= _jj_tol(dx, dy, P))


def test_empirical_ntk_any_module():
    """nn.Linear(d, 1): Theta(x, y) = x^T y + 1 (weight and bias), to the rounding bound of
    a (d + 1)-term inner product."""
    gen = torch.Generator().manual_seed(1)
    lin = torch.nn.Linear(3, 1).double()
    X = torch.randn(4, 3, dtype=torch.float64, generator=gen)
    E = ntk.empirical_ntk(lin, X)
    want = X @ X.T + 1
    assert torch.all((E - want).abs() <= _jj_tol(want.diagonal(), want.diagonal(), 4))
    with pytest.raises(InputError, match="one scalar"):
        ntk.empirical_ntk(torch.nn.Linear(3, 2).double(), X)


def test_finite_width_converges_to_infinite_width():
    """Theta_m -> H: each entry is an average of m i.i.d. bounded terms
    x^T y 1[.]1[.] with variance <= (x^T y)^2 / 4, so |Theta_m - H| <= 5 * |x^T y| / (2 sqrt m)
    over these entries with overwhelming probability (5 sd); seeded."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((6, 4))
    H = ntk.relu_ntk(X)
    G = np.abs(X @ X.T)
    for seed in range(3):
        errs = {}
        for m in (2**8, 2**14):
            F = ntk.relu_ntk_closed_form(ntk.TwoLayerReLU(4, m, seed=seed), X)
            e = (F - H).abs().numpy()
            assert np.all(e <= 5 * G / (2 * math.sqrt(m)))
            errs[m] = e.max()
        assert errs[2**14] < errs[2**8]


def test_two_layer_relu_init_and_config():
    net = ntk.TwoLayerReLU(5, 4096, seed=0)
    assert net.W.shape == (4096, 5) and net.W.requires_grad and net.W.dtype == torch.float64
    assert set(net.a.unique().tolist()) == {-1.0, 1.0}
    assert abs(float(net.W.detach().std()) / 0.01 - 1) < 0.05  # 20480 samples: sd of ratio ~0.005
    assert not any(b.requires_grad for b in net.buffers())
    assert torch.equal(ntk.TwoLayerReLU(5, 8, seed=3).W, ntk.TwoLayerReLU(5, 8, seed=3).W)
    x = torch.randn(3, 5, dtype=torch.float64)
    want = torch.relu(x @ net.W.T) @ net.a / math.sqrt(4096)
    assert torch.allclose(net(x), want)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ConfigError):
            ntk.TwoLayerReLU(5, bad)
    with pytest.raises(ConfigError):
        ntk.TwoLayerReLU(5, 8, init_scale=0.0)
    att = ntk.MLPAttn(np.eye(3) * 2, 16, seed=0)
    assert torch.equal(att.C, 4 * torch.eye(3, dtype=torch.float64))
    assert not att.C.requires_grad


@given(case=cases(kinds=("rank_deficient",), max_dim=6))
def test_relu_ntk_exactly_symmetric_with_duplicate_rows(case):
    """Regression (thorough profile): duplicate rows put u at 1 - O(eps), where arccos turns
    a GEMM's O(eps) asymmetry into O(sqrt(eps)); H(X, X) must be exactly symmetric."""
    X = _nonzero_rows(case.X)
    for H in (ntk.relu_ntk(X, check=False), ntk.mlp_attn_ntk(X, check=False)):
        assert torch.equal(H, H.T)


def _grad_path(A: np.ndarray, B: np.ndarray | None = None, **kw) -> torch.Tensor:
    """relu_ntk through the autograd path (an input that requires grad)."""
    At = torch.tensor(A, dtype=torch.float64, requires_grad=True)
    H = ntk.relu_ntk(At, None if B is None else torch.tensor(B, dtype=torch.float64), **kw)
    assert H.requires_grad
    return H.detach()


@given(case=cases(max_abs_log10=8), m=st.integers(1, 4), seed=seeds)
def test_fast_path_equals_autograd_path_and_mpmath(case, m, seed):
    """The in-place no-grad path (inputs without requires_grad) and the differentiable path
    compute the same H: both within the rounding bound of mpmath-50 and of each other (two
    floating-point routes: not bit for bit).  Exact by construction: a symmetric H is
    exactly symmetric (mirrored / symmetrized G), and both diagonals are the same
    operations on the same values, ||x~_i||^2 * (pi - arccos(1)) / (2 pi) * 2^(2 k_i)."""
    X = _nonzero_rows(case.X / case.scale)
    Y = np.random.default_rng(seed).standard_normal((m, X.shape[1]))
    for B in (None, Y):
        fast = ntk.relu_ntk(X, B)
        assert not fast.requires_grad and fast.grad_fn is None
        slow = _grad_path(X, B)
        want = _mp_relu_ntk(X, X if B is None else B)
        tol = _tol(X, X if B is None else B, "float64")
        for H in (fast, slow):
            assert np.all(np.abs(H.numpy() - want) <= tol)
        assert np.all(np.abs((fast - slow).numpy()) <= 2 * tol)
        if B is None:
            assert torch.equal(fast, fast.T) and torch.equal(slow, slow.T)
            assert torch.equal(fast.diagonal(), slow.diagonal())


def test_fast_path_used_under_no_grad_and_blocked_mirror():
    """torch.no_grad() takes the fast path even for inputs that require grad; n larger than
    the mirror block exercises the off-diagonal block copies (H == H^T bit for bit)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ntk._SYM_BLOCK + 37, 5))
    X[1] = 3.0 * X[0]  # collinear pair
    X[-1] = X[2]  # duplicate row across blocks
    Xt = torch.tensor(X, requires_grad=True)
    with torch.no_grad():
        fast = ntk.relu_ntk(Xt, check=False)
    assert fast.grad_fn is None and torch.equal(fast, fast.T)
    slow = ntk.relu_ntk(Xt, check=False).detach()
    tol = torch.from_numpy(_tol(X, X, "float64"))
    assert torch.all((fast - slow).abs() <= 2 * tol)
    assert torch.equal(fast.diagonal(), slow.diagonal())
    assert np.allclose(fast.diagonal().numpy(), (X**2).sum(1) / 2,
                       rtol=10 * matmul_rtol("float64", X.shape[1]), atol=0)


@pytest.mark.parametrize(("kx", "ky"), [(-500, None), (500, None), (-700, 690), (690, -700)])
def test_fast_path_pow2_rescaling(kx, ky):
    """Rows at 2^-700 / 2^+690 (x^T x or ||x||^2 under/overflow without the row rescaling).

    Exact by construction (one path, exact powers of two): H(2^a X, 2^b Y) = 2^(a+b) H(X, Y)
    bit for bit, because both calls rescale their rows to the same X~, Y~ and multiply by
    powers of two; a symmetric H is mirrored, so H == H^T bit for bit.  The autograd path
    is a different floating-point route (u = G/(|x||y|) vs (G/|x|)/|y|, a symmetrized G):
    it agrees to the rounding bound of the mpmath test, scaled by 2^(a+b)."""
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((2, 3))
    sx = 2.0**kx
    sy = sx if ky is None else 2.0**ky
    B = None if ky is None else Y
    got = ntk.relu_ntk(sx * X, None if B is None else sy * Y, check=False)
    want = ntk.relu_ntk(X, B, check=False) * sx * sy
    assert torch.isfinite(got).all() and torch.equal(got, want)
    if B is None:
        assert torch.equal(got, got.T)
    slow = _grad_path(sx * X, None if B is None else sy * Y, check=False)
    tol = torch.from_numpy(2 * _tol(X, X if B is None else Y, "float64")) * sx * sy
    assert torch.all((slow - got).abs() <= tol)


def test_torch_func_transforms_take_the_differentiable_path():
    """Under torch.func.jvp inputs do not report requires_grad; relu_ntk must still build
    the differentiable H (regression: the in-place fast path gave NaN first-order
    malleability).  jvp and forward-mode AD agree with reverse-mode autograd."""
    from torch.autograd import forward_ad
    from torch.func import jvp

    rng = np.random.default_rng(3)
    X = torch.tensor(rng.standard_normal((5, 3)))
    V = torch.tensor(rng.standard_normal((5, 3)))
    f = lambda a: ntk.relu_ntk(a, check=False)  # noqa: E731
    _, want = torch.autograd.functional.jvp(f, (X,), (V,))
    _, got = jvp(f, (X,), (V,))
    with forward_ad.dual_level():
        got_fw = forward_ad.unpack_dual(f(forward_ad.make_dual(X, V))).tangent
    for g in (got, got_fw):
        assert g is not None and torch.isfinite(g).all()
        assert torch.allclose(g, want, rtol=1e-10, atol=1e-12)
