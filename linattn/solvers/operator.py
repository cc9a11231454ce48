"""The kernel matrix as an operator: ``K[i, j] = kernel_fn(X, X)[i, j]``, never stored.

``KernelOperator`` computes ``K V`` in row blocks (memory ``O(block_rows · n)``), its diagonal,
columns and, where ``n²`` entries fit, the dense matrix; :meth:`KernelOperator.relu_ntk` is
the infinite-width ReLU NTK ``H(x, y) = xᵀy (π − arccos u)/(2π)`` (claim ``ntk-width``) with
an optional KeOps backend (:mod:`linattn.solvers.keops`).  ``Matrix`` is what the solvers
accept: a dense SPD tensor or a ``KernelOperator``; :func:`check_matrix` validates one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from linattn.solvers import keops
from pyverify.errors import InputError

__all__ = ["DEFAULT_BLOCK_ELEMENTS", "KernelOperator", "Matrix", "check_matrix", "matmul_of"]

KernelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
DEFAULT_BLOCK_ELEMENTS = 2**24
"""Entries of one on-the-fly kernel block (128 MiB in float64)."""


def _relu_ntk_kernel(Xa: torch.Tensor, Xb: torch.Tensor) -> torch.Tensor:
    from linattn.ntk import relu_ntk  # lazy: linattn.ntk is not needed for other kernels

    return relu_ntk(Xa, Xb, check=False)


class KernelOperator:
    """The kernel matrix ``K[i, j] = kernel_fn(X, X)[i, j]`` (``X: (n, d)``), never stored.

    ``kernel_fn(Xa, Xb) -> (na, nb)`` must be symmetric PSD.  ``matmul(V)`` computes ``K V``
    in row blocks of ``block_rows`` rows (memory ``O(block_rows · n)``); ``diag()``,
    ``columns(idx)`` (``K[:, idx]``, used by pivoted Cholesky) and ``to_dense()`` (blockwise,
    for when ``n²`` entries do fit) complete what the solvers need.  ``backend``: ``"torch"``
    (the blocks above), ``"keops"`` (``matmul`` by a KeOps reduction; only for
    :meth:`relu_ntk`, pykeops required) or ``"auto"`` (KeOps for the ReLU NTK on CUDA with
    large ``n`` when pykeops imports, else silently torch); ``op.backend`` is the one chosen.
    """

    def __init__(self, kernel_fn: KernelFn, X: torch.Tensor, *, block_rows: int | None = None,
                 diag_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 backend: str = "torch") -> None:
        if not isinstance(X, torch.Tensor) or X.ndim != 2 or X.shape[0] == 0:
            raise InputError.for_arg("X", "must be a non-empty 2-D tensor",
                                     getattr(X, "shape", type(X).__name__))
        if not X.is_floating_point():
            raise InputError.for_arg("X", "must have a floating dtype", X.dtype)
        if not bool(torch.isfinite(X).all()):
            raise InputError.for_arg("X", "must be finite (no NaN/Inf)")
        n = X.shape[0]
        if block_rows is None:
            block_rows = max(1, min(n, DEFAULT_BLOCK_ELEMENTS // n))
        if not (isinstance(block_rows, int) and block_rows >= 1):
            raise InputError.for_arg("block_rows", "must be an integer >= 1", block_rows)
        self.kernel_fn, self.X, self.block_rows, self._diag_fn = kernel_fn, X, block_rows, diag_fn
        self.backend = keops.resolve_backend(backend, n, X.device,
                                              relu_ntk=kernel_fn is _relu_ntk_kernel)
        self._keops = keops.ReluNtkKeOps(X) if self.backend == "keops" else None

    @classmethod
    def relu_ntk(cls, X: torch.Tensor, *, backend: str = "torch",
                 block_rows: int | None = None) -> KernelOperator:
        """``K = relu_ntk(X)`` (``H(x,y) = xᵀy (π − arccos u)/(2π)``, ``X: (n, d)``, no zero
        rows), ``diag(K) = ‖x_i‖²/2``; the only kernel with a KeOps ``matmul``."""
        return cls(_relu_ntk_kernel, X, block_rows=block_rows, backend=backend,
                   diag_fn=lambda Z: torch.linalg.vector_norm(Z, dim=1) ** 2 / 2)

    @classmethod
    def mlp_attn_ntk(cls, X: torch.Tensor, *, keys: torch.Tensor | None = None,
                     backend: str = "torch", block_rows: int | None = None
                     ) -> KernelOperator:
        """``K = mlp_attn_ntk(X, keys=keys)``: the MLP-Attn NTK ``H(C x, C y)`` with
        ``C = keysᵀ keys`` (``keys: (n_keys, d)``, default ``X: (n, d)``), i.e. the ReLU NTK
        operator of the features ``X C`` (computed once, ``O(n d²)``)."""
        from linattn.kernel import keys_attention_map  # lazy, as the ReLU NTK kernel

        if not isinstance(X, torch.Tensor) or X.ndim != 2 or not X.is_floating_point():
            raise InputError.for_arg("X", "must be a 2-D floating torch.Tensor",
                                     getattr(X, "shape", type(X).__name__))
        Z = X @ keys_attention_map(keys, X)
        return cls.relu_ntk(Z, backend=backend, block_rows=block_rows)

    @property
    def is_relu_ntk(self) -> bool:
        """True for the ReLU-NTK kernel (the diagonal is then set to ``‖x_i‖²/2`` exactly)."""
        return self.kernel_fn is _relu_ntk_kernel

    @property
    def shape(self) -> tuple[int, int]:
        return (self.X.shape[0], self.X.shape[0])

    @property
    def dtype(self) -> torch.dtype:
        return self.X.dtype

    @property
    def device(self) -> torch.device:
        return self.X.device

    def _blocks(self):
        n = self.X.shape[0]
        for i in range(0, n, self.block_rows):
            yield i, min(n, i + self.block_rows)

    def _rows(self, a: int, b: int) -> torch.Tensor:
        """``K[a:b]``.  ReLU NTK: its diagonal is set to ``‖x_i‖²/2`` (``u_ii = 1`` exactly, as
        ``relu_ntk(X)``); the rectangular call leaves ``arccos(1 − eps)`` ≈ ``√(2 eps)`` there."""
        Kb = self.kernel_fn(self.X[a:b], self.X)
        if self.kernel_fn is _relu_ntk_kernel:
            Kb[:, a:b].diagonal().copy_(self._diag_fn(self.X[a:b]))
        return Kb

    def tile(self, r0: int, r1: int, c0: int, c1: int) -> torch.Tensor:
        """``K[r0:r1, c0:c1]`` in ``X``'s dtype (``0 <= r0 < r1 <= n``, same for columns).
        For the ReLU NTK the entries with global row == column are ``‖x_i‖²/2`` exactly (as
        ``relu_ntk(X)``), so a tile equals the same entries of the dense matrix."""
        n = self.X.shape[0]
        for name, lo, hi in (("rows", r0, r1), ("columns", c0, c1)):
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)) \
                    or not 0 <= lo < hi <= n:
                raise InputError.for_arg(name, f"must satisfy 0 <= start < stop <= {n}",
                                         (lo, hi))
        T = self.kernel_fn(self.X[r0:r1], self.X[c0:c1])
        if tuple(T.shape) != (r1 - r0, c1 - c0):
            raise InputError.for_arg("kernel_fn", f"must return shape ({r1 - r0}, "
                                     f"{c1 - c0})", tuple(T.shape))
        lo, hi = max(r0, c0), min(r1, c1)
        if self._diag_fn is not None and self.is_relu_ntk and lo < hi:
            idx = torch.arange(lo, hi, device=T.device)
            T[idx - r0, idx - c0] = self._diag_fn(self.X[lo:hi]).to(T.dtype)
        return T

    def matmul(self, V: torch.Tensor) -> torch.Tensor:
        """``K V`` for ``V: (n,)`` or ``(n, k)``, block by block (or by KeOps)."""
        if self._keops is not None:
            return self._keops.matmul(V)
        vec = V.ndim == 1
        V2 = V[:, None] if vec else V
        out = torch.empty(self.X.shape[0], V2.shape[1], dtype=V2.dtype, device=V2.device)
        for a, b in self._blocks():
            out[a:b] = self._rows(a, b) @ V2
        return out[:, 0] if vec else out

    __matmul__ = matmul

    def diag(self) -> torch.Tensor:
        """``diag(K)``: ``diag_fn(X)`` if given, else the diagonals of the diagonal blocks."""
        if self._diag_fn is not None:
            return self._diag_fn(self.X)
        return torch.cat([torch.diagonal(self.kernel_fn(self.X[a:b], self.X[a:b]))
                          for a, b in self._blocks()])

    def columns(self, idx: torch.Tensor | list[int]) -> torch.Tensor:
        """``K[:, idx]`` (shape ``(n, len(idx))``)."""
        idx_t = torch.as_tensor(idx, dtype=torch.long, device=self.X.device)
        C = self.kernel_fn(self.X, self.X[idx_t])
        if self.kernel_fn is _relu_ntk_kernel:  # u_ii = 1 exactly, as in _rows
            C[idx_t, torch.arange(len(idx_t), device=C.device)] = self._diag_fn(self.X[idx_t])
        return C

    def to_dense(self) -> torch.Tensor:
        """The full ``(n, n)`` matrix, built block by block (peak ≈ n² + one block)."""
        n = self.X.shape[0]
        K = torch.empty(n, n, dtype=self.X.dtype, device=self.X.device)
        for a, b in self._blocks():
            K[a:b] = self._rows(a, b)
        return K


Matrix = torch.Tensor | KernelOperator


def check_matrix(A: Matrix) -> tuple[int, torch.dtype, torch.device]:
    """``(n, dtype, device)`` of a non-empty square finite floating matrix or operator;
    InputError (naming ``A``) otherwise."""
    if isinstance(A, KernelOperator):
        return A.shape[0], A.dtype, A.device
    if not isinstance(A, torch.Tensor):
        raise InputError.for_arg("A", "must be a torch.Tensor or a KernelOperator",
                                 type(A).__name__)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise InputError.for_arg("A", "must be a non-empty square 2-D matrix", tuple(A.shape))
    if not A.is_floating_point():
        raise InputError.for_arg("A", "must have a floating dtype", A.dtype)
    if not _all_finite(A):
        raise InputError.for_arg("A", "must be finite (no NaN/Inf)")
    return A.shape[0], A.dtype, A.device


def _all_finite(A: torch.Tensor) -> bool:
    """``isfinite(A).all()`` in row blocks: torch's isfinite makes an n×n float temporary
    (measured: +1.5 GB at n = 12,000), which would double the peak of a large solve."""
    rows = max(1, DEFAULT_BLOCK_ELEMENTS // max(1, A.shape[1]))
    return all(bool(torch.isfinite(A[i:i + rows]).all()) for i in range(0, A.shape[0], rows))


def matmul_of(A: Matrix) -> Callable[[torch.Tensor], torch.Tensor]:
    """``V ↦ A V`` for a tensor or a KernelOperator."""
    return A.matmul if isinstance(A, KernelOperator) else (lambda V: A @ V)
