"""Input validation at the public boundary of the torch library (linattn.validate)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from linattn import influence, kernel, ntk, spectrum
from linattn.validate import as_matrix, as_vector, resolve_dtype
from pyverify.errors import InputError

BAD = [
    (np.ones((2, 2), dtype=bool), "bool"),
    (torch.ones(2, 2, dtype=torch.bool), "bool"),
    (np.ones((2, 2), dtype=complex), "complex"),
    (torch.ones(2, 2, dtype=torch.complex128), "complex"),
    (np.array([["a", "b"]]), "numeric"),
    (np.array([[object()]], dtype=object), "numeric"),
    ("abc", "numeric"),
    (None, "numeric"),
    (np.ones(3), "2-D"),
    (np.ones((2, 2, 2)), "2-D"),
    (np.zeros((0, 3)), "empty"),
    (np.zeros((3, 0)), "empty"),
    (np.array([[1.0, np.nan]]), "finite"),
    (np.array([[1.0, np.inf]]), "finite"),
    (torch.tensor([[-np.inf, 1.0]]), "finite"),
    ([[1.0, 2.0], [3.0]], "rectangular"),
]


@pytest.mark.parametrize(("bad", "word"), BAD, ids=[f"{w}-{i}" for i, (_, w) in enumerate(BAD)])
def test_as_matrix_rejects_naming_argument(bad, word):
    with pytest.raises(InputError) as exc:
        as_matrix(bad, "Xtrain")
    assert exc.value.argument == "Xtrain"
    assert str(exc.value).startswith("Xtrain: ")
    assert word in str(exc.value)


PUBLIC = [
    ("gram", lambda a: kernel.gram(a)),
    ("attention_map", lambda a: kernel.attention_map(a)),
    ("linattn_kernel", lambda a: kernel.linattn_kernel(a)),
    ("linattn_features", lambda a: kernel.linattn_features(a)),
    ("kernel_double_sum", lambda a: kernel.kernel_double_sum(a)),
    ("spectral_stats", lambda a: spectrum.spectral_stats(a)),
    ("relu_ntk", lambda a: ntk.relu_ntk(a)),
    ("mlp_attn_ntk", lambda a: ntk.mlp_attn_ntk(a)),
    ("linattn_influence", lambda a: influence.linattn_influence(a, np.ones((1, 2)), 1.0)),
]


@pytest.mark.parametrize(("bad", "word"), BAD[:3] + BAD[8:13])
@pytest.mark.parametrize(("fname", "fn"), PUBLIC, ids=[p[0] for p in PUBLIC])
def test_public_functions_validate_X(fname, fn, bad, word):
    with pytest.raises(InputError) as exc:
        fn(bad)
    assert exc.value.argument.startswith("X"), (fname, str(exc.value))


@pytest.mark.parametrize("fn", [kernel.gram, kernel.linattn_kernel, ntk.relu_ntk,
                                ntk.mlp_attn_ntk, kernel.kernel_double_sum])
def test_mismatched_d_names_Y(fn):
    with pytest.raises(InputError) as exc:
        fn(np.ones((3, 2)), np.ones((2, 3)))
    assert exc.value.argument == "Y"


def test_mismatched_keys_and_test_set():
    with pytest.raises(InputError) as exc:
        kernel.linattn_kernel(np.ones((3, 2)), keys=np.ones((3, 4)))
    assert exc.value.argument == "keys"
    with pytest.raises(InputError) as exc:
        influence.linattn_influence(np.ones((3, 2)), np.ones((2, 3)), 1.0)
    assert exc.value.argument == "Y"


def test_integers_promoted_and_dtype_device(device):
    t = as_matrix(np.arange(6).reshape(2, 3), device=device)
    assert t.dtype == torch.float64 and t.device.type == device
    assert as_matrix([[1, 2]], dtype="float32").dtype == torch.float32
    assert as_matrix(torch.ones(2, 2, dtype=torch.float32)).dtype == torch.float64
    assert as_vector([1.0, 2.0]).shape == (2,)
    assert resolve_dtype(np.float32) == torch.float32
    with pytest.raises(InputError):
        resolve_dtype(torch.int64)
    with pytest.raises(InputError):
        resolve_dtype("float128x")


def test_autograd_history_is_kept():
    X = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    kernel.linattn_kernel(X).sum().backward()
    assert X.grad is not None and torch.isfinite(X.grad).all()


def test_ldexp_is_exact_and_differentiable():
    """Regression: torch.ldexp's backward is 0 for negative integer exponents."""
    from linattn.validate import ldexp, pow2_scale
    x = torch.tensor([3.0, 5.0, 1e-300], dtype=torch.float64, requires_grad=True)
    k = torch.tensor([-2, 1, 900])
    y = ldexp(x, k)
    assert y.tolist() == [0.75, 10.0, 1e-300 * 2.0**900]
    y.sum().backward()
    assert x.grad.tolist() == [0.25, 2.0, 2.0**900]
    assert pow2_scale(torch.tensor([[0.0, 0.0], [3.0, -0.5]]), dim=1).tolist() == [0, 2]


@pytest.mark.parametrize(("fn", "scale"), [
    (kernel.linattn_kernel, 1e60), (kernel.gram, 1e200), (kernel.attention_map, 1e200),
    (ntk.relu_ntk, 1e200), (ntk.mlp_attn_ntk, 1e60), (spectrum.spectral_stats, 1e200),
    (lambda X: influence.linattn_influence(X, X, 1.0), 1e60),
])
def test_overflow_raises_numerical_error_not_inf(fn, scale):
    from pyverify.errors import NumericalError
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    with pytest.raises(NumericalError):
        fn(scale * X)


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e150])
def test_tiny_and_huge_rows_keep_angles_and_rank(scale):
    """Rows are rescaled by exact powers of two: u, kappa and rank are scale invariant."""
    X = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 1.0], [0.5, 0.5, 2.0], [1.0, 2.0, 0.0]])
    H1 = ntk.relu_ntk(X[:3])  # no collinear pair: no sqrt(eps) arccos amplification
    if scale >= 1e-150:
        Hs = ntk.relu_ntk(scale * X[:3])
        assert torch.allclose(Hs / scale**2, H1, rtol=1e-12, atol=0)
    else:  # H ~ scale^2 underflows: the diagonal check refuses rather than return zeros
        from pyverify.errors import NumericalError
        with pytest.raises(NumericalError, match="underflows"):
            ntk.relu_ntk(scale * X[:3])
    s1, s2 = spectrum.spectral_stats(X), spectrum.spectral_stats(1e-100 * X)
    assert s1.rank == s2.rank == 3 and abs(s2.cond / s1.cond - 1) < 1e-12
