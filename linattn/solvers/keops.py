"""Optional KeOps backend (``pykeops``, PyPI) for on-the-fly ReLU-NTK products ``K V``.

``K[i, j] = H(x_i, x_j) = x_iᵀx_j (π − arccos u_ij)/(2π)``, ``u_ij = x̂_iᵀx̂_j`` clamped to
``[−1, 1]`` (``x̂ = x/‖x‖``), ``X: (n, d)``, the issue-4 kernel of :func:`linattn.ntk.relu_ntk`.
The KeOps formula works on the normalised rows and takes the norms separately:
``G_ij = ‖x_i‖ ‖x_j‖ u_ij``, and on the diagonal ``u_ii := 1`` exactly (an index test inside
the formula), as the dense symmetric path does; otherwise ``arccos(1 − eps)`` ≈ ``√(2 eps)``
would put an ``O(√eps)`` relative error on ``H_ii``.  Off the diagonal the values agree with
``relu_ntk`` to ``O(d eps)`` in ``u`` (``O(√eps)`` only for (nearly) collinear distinct rows,
where the dense path is no better).  Rows are pow2-rescaled before taking norms (as in
``relu_ntk``), so norms do not overflow in the squares.

The reduction ``Σ_j K_ij V_j`` runs in KeOps (``pykeops.torch.LazyTensor``, memory ``O(n k)``,
no ``n × n`` block).  KeOps compiles one C++ module per (dtype, ``d``, ``k``) and caches it in
``~/.cache/keops*``; to bound the number of compilations the columns of ``V`` are padded to
the next power of two.  On the 2-core CPU of this project (pykeops 2.3, float64, d = 784)
KeOps is ~35× slower than the BLAS-backed blocked torch product (see ``_AUTO_MIN_N``), so
``backend="auto"`` chooses KeOps only for CUDA tensors.

The ops used exist in pykeops 2.3 (checked: ``|`` (dot), ``.clamp(a, b)``, ``.acos()``,
``.ifelse(a, b)``, ``.square()``, ``LazyTensor @ V`` (sum reduction over j)).
"""

from __future__ import annotations

import importlib.util
import math

import torch

from linattn.validate import ldexp, pow2_scale
from pyverify.errors import InputError, NumericalError

BACKENDS = ("torch", "keops", "auto")
_AUTO_MIN_N = 20_000
"""``backend="auto"`` uses KeOps for CUDA tensors with at least this many rows (below, the
blocked torch path's ``O(block · n)`` memory is no concern).  On CPU it never does: measured
(2 cores, float64, d = 784, compiled module cached) ``K V`` took 5.5 s vs 0.16 s for torch at
n = 2,000, k = 128 (7.5 s vs 0.22 s at k = 1,024) and 135 s vs 4.0 s at n = 10,000, k = 100:
KeOps' CPU reduction is ~35× slower than BLAS.  Its use is on CUDA (not measured here)."""
_INSTALL_HINT = "pip install pykeops (e.g. pykeops==2.3; needs a C++ compiler, g++)"


def keops_available() -> bool:
    """True when ``pykeops`` can be imported (found on the path; not compiled yet)."""
    return importlib.util.find_spec("pykeops") is not None


def _lazy_tensor():
    try:
        from pykeops.torch import LazyTensor
    except ImportError as exc:  # not installed, or a broken install
        raise InputError.for_arg("backend", "'keops' needs pykeops, which is not importable",
                                 type(exc).__name__, hint=_INSTALL_HINT) from exc
    return LazyTensor


def resolve_backend(backend: str, n: int, device: torch.device, *, relu_ntk: bool) -> str:
    """``"torch"`` or ``"keops"`` for a kernel operator of ``n`` rows on ``device``.

    ``"keops"`` requires ``relu_ntk`` (the only kernel with a KeOps formula) and an
    importable pykeops, else :class:`InputError`.  ``"auto"`` silently falls back to
    ``"torch"`` unless pykeops is importable, the kernel is the ReLU NTK, ``device`` is CUDA
    and ``n >= _AUTO_MIN_N``."""
    if backend not in BACKENDS:
        raise InputError.for_arg("backend", "must be 'torch', 'keops' or 'auto'", backend)
    if backend == "keops":
        if not relu_ntk:
            raise InputError.for_arg(
                "backend", "'keops' is only implemented for the ReLU NTK; use "
                "KernelOperator.relu_ntk(X, backend='keops') or backend='torch'", backend)
        _lazy_tensor()
        return "keops"
    if (backend == "auto" and relu_ntk and device.type == "cuda" and n >= _AUTO_MIN_N
            and keops_available()):
        return "keops"
    return "torch"


def _next_pow2(k: int) -> int:
    return 1 << max(0, (k - 1).bit_length())


class ReluNtkKeOps:
    """``V ↦ K V`` for ``K = relu_ntk(X)`` (``X: (n, d)``, no zero rows), by a KeOps sum
    reduction.  ``V: (n,)`` or ``(n, k)`` → same shape, in ``X``'s dtype and device."""

    def __init__(self, X: torch.Tensor) -> None:
        self._lt = _lazy_tensor()
        k = pow2_scale(X, dim=1)
        Xs = ldexp(X.detach(), -k[:, None])
        r = torch.linalg.vector_norm(Xs, dim=1)
        if bool((r == 0).any()):
            raise InputError.for_arg("X", "must have no zero rows (u = xᵀy/(‖x‖‖y‖))",
                                     int((r == 0).sum()))
        self.Xhat = (Xs / r[:, None]).contiguous()
        self.norms = ldexp(r, k)[:, None].contiguous()
        self.index = torch.arange(X.shape[0], dtype=X.dtype, device=X.device)[:, None]

    def _formula(self):
        LT = self._lt
        xi, xj = LT(self.Xhat[:, None, :]), LT(self.Xhat[None, :, :])
        ni, nj = LT(self.norms[:, None, :]), LT(self.norms[None, :, :])
        ii, jj = LT(self.index[:, None, :]), LT(self.index[None, :, :])
        u = (xi | xj).clamp(-1.0, 1.0)
        u = (-(ii - jj).square()).ifelse(1.0, u)  # u_ii := 1 exactly (ifelse: f >= 0)
        return ni * nj * u * (math.pi - u.acos()) / (2 * math.pi)

    def matmul(self, V: torch.Tensor) -> torch.Tensor:
        vec = V.ndim == 1
        V2 = (V[:, None] if vec else V).to(dtype=self.Xhat.dtype, device=self.Xhat.device)
        k = V2.shape[1]
        kp = _next_pow2(k)
        Vp = V2.contiguous() if kp == k else torch.cat(
            [V2, V2.new_zeros(V2.shape[0], kp - k)], dim=1)
        out = (self._formula() @ Vp)[:, :k]
        if not bool(torch.isfinite(out).all()):
            raise NumericalError.for_arg("K V", "KeOps ReLU-NTK product is not finite",
                                         hint="rescale X (huge row norms overflow H)")
        return out[:, 0] if vec else out
