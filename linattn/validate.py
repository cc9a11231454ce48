"""Input validation and coercion shared by the torch library modules.

Every public function of ``linattn.kernel``, ``spectrum``, ``ntk``, ``influence``,
``malleability`` and ``checks`` passes its array arguments through :func:`as_matrix`
(or :func:`as_vector`) first.  Accepted: torch tensors on any device, numpy arrays
(including ``numpy.memmap``) and nested lists of real numbers (integers are promoted).
Rejected with :class:`~pyverify.errors.InputError` naming the argument:

* non-numeric dtypes: bool, complex, object, str/bytes;
* wrong number of dimensions;
* empty arrays (a zero-length dimension);
* NaN or +-Inf entries.

The computation dtype is float64 unless ``dtype=`` says otherwise (``torch.float32``,
``"float32"``, ...); the device is the input tensor's device (CPU for numpy/lists)
unless ``device=`` says otherwise.  Autograd history is preserved (``.to`` is
differentiable), so the torch code stays differentiable w.r.t. validated inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from pyverify.errors import InputError, NumericalError
from pyverify.matrix import check_real_dtype

__all__ = [
    "as_matrix",
    "as_pair",
    "as_vector",
    "check_same_cols",
    "dtype_name",
    "finite_result",
    "ldexp",
    "linalg_guard",
    "needs_grad",
    "own_dtype",
    "positive_ridge",
    "pow2_scale",
    "resolve_device",
    "resolve_dtype",
]

_FLOAT_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
}
"""Computation dtypes.  float16/bfloat16 are refused: the factorizations every kernel gate
and solver needs (eigh, Cholesky, QR) exist in LAPACK/cuSOLVER only for float32/float64."""


def resolve_dtype(dtype: Any = None) -> torch.dtype:
    """``None`` -> float64; ``torch.float32``/``float64``, a numpy dtype or its name -> torch
    dtype.  Anything else (half precision, integers, unknown names) -> InputError."""
    if dtype is None:
        return torch.float64
    if isinstance(dtype, torch.dtype):
        name = dtype_name(dtype)
    else:
        try:
            name = dtype if isinstance(dtype, str) else str(np.dtype(dtype))
        except TypeError:
            name = repr(dtype)
    name = name.removeprefix("torch.")
    if name not in _FLOAT_DTYPES:
        raise InputError.for_arg("dtype", f"must be one of {sorted(_FLOAT_DTYPES)}", dtype)
    return _FLOAT_DTYPES[name]


def resolve_device(device: Any = None) -> torch.device | None:
    """``None`` (keep the input's device), ``"cpu"``, ``"cuda"``, ``"cuda:k"``, an int k
    (= ``cuda:k``) or a ``torch.device``.  A device that torch does not know, a type other
    than cpu/cuda, or a CUDA device that is not present -> InputError."""
    if device is None:
        return None
    if isinstance(device, bool) or not isinstance(device, str | int | torch.device):
        raise InputError.for_arg("device", "must be 'cpu', 'cuda[:k]' or a torch.device",
                                 device)
    try:
        dev = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise InputError.for_arg("device", "must be 'cpu', 'cuda[:k]' or a torch.device",
                                 device) from None
    if dev.type not in ("cpu", "cuda"):
        raise InputError.for_arg("device", "must be a cpu or cuda device", str(dev))
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (dev.index or 0) >= count:
            raise InputError.for_arg("device", f"CUDA device not available ({count} present)",
                                     str(dev))
    return dev


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``"float32"`` (the key of :data:`pyverify.tolerance.EPS`)."""
    return str(dtype).removeprefix("torch.")


def _to_tensor(x: Any, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bool:
            raise InputError.for_arg(name, "must be numeric, not bool", str(x.dtype))
        if x.is_complex():
            raise InputError.for_arg(name, "must be real, not complex", str(x.dtype))
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise InputError.for_arg(name, "must be a numeric array or tensor", type(x).__name__)
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise InputError.for_arg(name, "must be a rectangular numeric array", str(exc)) from exc
    check_real_dtype(a.dtype, name)
    if a.dtype.kind in "iu" or a.dtype == np.float16:
        a = a.astype(np.float64)
    return torch.from_numpy(np.ascontiguousarray(a))


def as_matrix(
    x: Any,
    name: str = "X",
    *,
    ndim: int = 2,
    dtype: Any = None,
    device: Any = None,
    finite: bool = True,
) -> torch.Tensor:
    """Validate ``x`` and return it as a tensor of ``ndim`` dimensions, ``dtype``
    (default float64) on ``device`` (default: where ``x`` already is)."""
    t = _to_tensor(x, name)
    if t.ndim != ndim:
        raise InputError.for_arg(name, f"must be {ndim}-D", tuple(t.shape))
    if t.numel() == 0:
        raise InputError.for_arg(name, "must not be empty", tuple(t.shape))
    dev = resolve_device(device)
    t = t.to(dtype=resolve_dtype(dtype), device=dev if dev is not None else t.device)
    if finite and not bool(torch.isfinite(t.detach()).all()):
        raise InputError.for_arg(name, "must contain only finite values (no NaN/Inf)",
                                 int((~torch.isfinite(t.detach())).sum()))
    return t


def as_vector(x: Any, name: str = "y", **kw: Any) -> torch.Tensor:
    """Like :func:`as_matrix` for a 1-D or 2-D (targets with several columns) array."""
    t = _to_tensor(x, name)
    return as_matrix(t, name, ndim=1 if t.ndim <= 1 else 2, **kw)


def own_dtype(x: Any) -> torch.dtype | None:
    """The dtype of a floating-point tensor (kept by :func:`as_matrix`), else None (float64)."""
    return x.dtype if isinstance(x, torch.Tensor) and x.is_floating_point() else None


def as_pair(X: Any, Y: Any, dtype: Any = None, device: Any = None
            ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Validate ``X: (n, d)`` and the optional ``Y: (m, d)`` (same dtype and device as X,
    same d); ``(X, None)`` when ``Y`` is None."""
    Xt = as_matrix(X, "X", dtype=dtype, device=device)
    if Y is None:
        return Xt, None
    Yt = as_matrix(Y, "Y", dtype=Xt.dtype, device=Xt.device)
    check_same_cols(Xt, Yt)
    return Xt, Yt


def positive_ridge(ridge: Any) -> float:
    """``float(ridge)`` for a finite ridge lambda > 0; InputError naming ``ridge`` otherwise."""
    try:
        r = float(ridge)
    except (TypeError, ValueError) as exc:
        raise InputError.for_arg("ridge", "must be a real number > 0", ridge) from exc
    if not (r > 0 and math.isfinite(r)):
        raise InputError.for_arg("ridge", "must be a finite number > 0", ridge)
    return r


def needs_grad(*ts: Any) -> bool:
    """True when derivatives may be taken through a computation on ``ts``: an input that
    requires grad (with grad mode on), or any torch.func transform (vjp/jvp/grad wrap
    tensors; under jvp ``requires_grad`` is False) or forward-mode AD level is active.
    The no-grad fast paths (in place, no graph) are used only when this is False."""
    if torch._C._are_functorch_transforms_active():
        return True
    from torch.autograd import forward_ad

    if forward_ad._current_level >= 0:
        return True
    return torch.is_grad_enabled() and any(
        isinstance(t, torch.Tensor) and t.requires_grad for t in ts)


def check_same_cols(X: torch.Tensor, Y: torch.Tensor, name_x: str = "X",
                    name_y: str = "Y") -> None:
    """Raise InputError (naming ``name_y``) unless X and Y have the same number of columns."""
    if X.shape[-1] != Y.shape[-1]:
        raise InputError.for_arg(name_y, f"must have d = {X.shape[-1]} columns to match "
                                 f"{name_x}", tuple(Y.shape))


def finite_result(t: torch.Tensor, what: str, argument: str = "X") -> torch.Tensor:
    """Return ``t``; raise NumericalError (naming ``argument``) if it holds NaN/Inf, i.e. the
    result overflowed the dtype although the input was finite (no silent NaN/Inf)."""
    if not bool(torch.isfinite(t.detach()).all()):
        raise NumericalError.for_arg(
            argument, f"{what} is not finite in {dtype_name(t.dtype)} (overflow)",
            f"max |entry| of the input beyond what {dtype_name(t.dtype)} can carry "
            "through this product", hint="rescale the input (the quantity is homogeneous)")
    return t


@contextmanager
def linalg_guard(argument: str, what: str) -> Iterator[None]:
    """Turn torch's LinAlgError (e.g. eigh not converging on an overflowed matrix) into
    NumericalError naming ``argument``."""
    try:
        yield
    except torch.linalg.LinAlgError as exc:
        raise NumericalError.for_arg(argument, f"{what} failed in LAPACK",
                                     str(exc)[:100]) from exc


def pow2_scale(t: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Integer exponents k with max |t| (over ``dim``, or all) in [2^(k-1), 2^k); 0 for
    zero slices.  ``torch.ldexp(t, -k)`` rescales exactly (powers of two)."""
    a = t.detach().abs()
    m = a.max() if dim is None else a.amax(dim=dim)
    _, k = torch.frexp(m)
    return torch.where(m > 0, k, torch.zeros_like(k))


def ldexp(t: torch.Tensor, k: torch.Tensor | int) -> torch.Tensor:
    """t * 2^k, exact (powers of two) and differentiable in t.

    ``torch.ldexp`` is not used: in torch 2.13 its backward returns 0 for negative integer
    exponents (it evaluates 2^k in integer arithmetic).  The factor is applied in two halves,
    2^(k//2) then 2^(k - k//2), so that scaling a subnormal up (k up to ~1074) or a huge
    value down never needs a power of two beyond the dtype's range; each step is exact."""
    k = torch.as_tensor(k, device=t.device).to(t.dtype)
    two = torch.tensor(2.0, dtype=t.dtype, device=t.device)
    half = torch.floor(k / 2)
    return t * torch.pow(two, half) * torch.pow(two, k - half)
