"""The kernel matrix cached once in float32, stored by symmetry, and the exact float64 pass.

Used by the full-dataset NTK influence (claim ``malleability-ratio``; the ReLU and MLP-Attn
NTKs of :class:`~linattn.solvers.operator.KernelOperator`).

:class:`Float32KernelCache` holds the upper trapezoid of ``K = kernel_fn(X, X)`` (``X: (n,
d)``, a :class:`~linattn.solvers.operator.KernelOperator`) in row panels of ``block`` rows:
panel ``i`` is ``K[s_i:s_i + h_i, s_i:n]`` (``h_i <= block``), so the cache takes
``4 · Σ_i h_i (n − s_i) ≈ 2 n (n + block)`` bytes (:meth:`Float32KernelCache.nbytes`):
7.4 GB at n = 60,000, half the 14.4 GB of the full float32 matrix.  Every entry is evaluated
once, in the operator's dtype (float64), and rounded once to float32 (relative error
``<= 2^-24`` per entry); the diagonal square of each panel is mirrored from its upper
triangle, so the cached matrix is exactly symmetric.

``cache.matmul(V)`` (``V: (n, k)``) is ``K V`` from the panels with two float32 GEMMs per
panel: ``out[s:s+h] += P V[s:]`` and ``out[s+h:] += P[:, h:]ᵀ V[s:s+h]``; float32 in, float32
accumulation, returned in ``V``'s dtype.  It is the fast inner operator of the mixed
precision solve (:mod:`linattn.solvers.refine`); its products carry the float32 rounding of
K and of the accumulation (relative ``~ sqrt(n) · eps32`` normwise), which the float64
residuals of the outer refinement correct.

:func:`symmetric_matmul` is the exact pass: ``K V`` in the operator's dtype, evaluating the
same upper-triangle tiles again (``n (n + block) / 2`` kernel entries, half a full pass) and
applying each tile and its transpose.  It defines the float64 ``K`` of the residuals.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import torch
from tqdm.auto import tqdm

from linattn.solvers.operator import KernelOperator
from pyverify.errors import InputError, NumericalError

__all__ = ["DEFAULT_BLOCK", "TILE_ELEMENTS", "Float32KernelCache", "progress_bar",
           "symmetric_matmul"]

DEFAULT_BLOCK = 2048
"""Rows per panel.  The storage overhead over the exact upper triangle is ``2 n · block``
bytes (0.25 GB at n = 60,000); smaller panels mean more, smaller GEMMs."""
TILE_ELEMENTS = 2**24
"""Kernel entries evaluated per call of ``kernel_fn`` (128 MiB in float64; the ReLU NTK
needs two such buffers while it runs)."""


def _check_block(block: int | None, n: int) -> int:
    if block is None:
        return max(1, min(n, DEFAULT_BLOCK))
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise InputError.for_arg("block", "must be an integer >= 1", block)
    return min(block, n)


def _starts(n: int, block: int) -> list[int]:
    return list(range(0, n, block))


def _tiles(op: KernelOperator, s: int, h: int) -> Iterator[tuple[int, torch.Tensor]]:
    """``(c0, K[s:s+h, c0:c1])`` for the columns ``[s, n)`` of panel ``(s, h)``, in chunks of
    at most :data:`TILE_ELEMENTS` entries; the first chunk starts with the diagonal square
    ``K[s:s+h, s:s+h]``, mirrored from its upper triangle (exactly symmetric)."""
    n = op.shape[0]
    width = max(h, TILE_ELEMENTS // h)
    c0 = s
    while c0 < n:
        c1 = min(n, c0 + width)
        T = op.tile(s, s + h, c0, c1)
        if c0 == s:
            D = T[:, :h]
            D.copy_(torch.triu(D) + torch.triu(D, 1).T)
        yield c0, T
        c0 = c1


def _check_op(op: KernelOperator) -> None:
    if not isinstance(op, KernelOperator):
        raise InputError.for_arg("op", "must be a KernelOperator", type(op).__name__)


def progress_bar(total: int, desc: str, progress: bool | None, unit: str = "entries"):
    """A tqdm bar; ``progress``: True (shown), False (silent) or None (shown on a terminal
    only, tqdm's own rule); anything else is an InputError naming ``progress``."""
    if progress is not None and not isinstance(progress, bool):
        raise InputError.for_arg("progress", "must be True, False or None", progress)
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "entries", leave=False,
                disable=None if progress is None else not progress)


def symmetric_matmul(op: KernelOperator, V: torch.Tensor, *, block: int | None = None,
                     progress: bool | None = False) -> torch.Tensor:
    """``K V`` for ``K = op`` (``(n, n)``, symmetric) and ``V: (n,)`` or ``(n, k)``, in the
    operator's dtype, from the upper-triangle tiles (module docstring): every kernel entry
    ``K[i, j]``, ``i <= j``, is evaluated once and applied to rows ``i`` and ``j``."""
    _check_op(op)
    n = op.shape[0]
    if not isinstance(V, torch.Tensor) or V.ndim not in (1, 2) or V.shape[0] != n:
        raise InputError.for_arg("V", f"must be a tensor of shape ({n},) or ({n}, k)",
                                 tuple(getattr(V, "shape", ())))
    block = _check_block(block, n)
    vec = V.ndim == 1
    W = (V[:, None] if vec else V).to(dtype=op.dtype, device=op.device)
    out = torch.zeros_like(W)
    with progress_bar(n * (n + 1) // 2, "K V (float64)", progress) as bar:
        for s in _starts(n, block):
            h = min(block, n - s)
            for c0, T in _tiles(op, s, h):
                c1 = c0 + T.shape[1]
                out[s:s + h].addmm_(T, W[c0:c1])
                off = max(c0, s + h)  # columns beyond the diagonal square: apply Tᵀ too
                if off < c1:
                    out[off:c1].addmm_(T[:, off - c0:].T, W[s:s + h])
                bar.update(T.numel() - (h * (h - 1) // 2 if c0 == s else 0))
    if not bool(torch.isfinite(out).all()):
        raise NumericalError.for_arg("K V", "is not finite", hint="rescale X or V")
    return out[:, 0] if vec else out


class Float32KernelCache:
    """``K`` of a KernelOperator in float32 upper-trapezoid panels (module docstring).

    ``Float32KernelCache(op, block=None, progress=False)`` evaluates and stores the panels
    (``build_s``: seconds it took); ``matmul(V)`` is ``K V`` in float32 arithmetic returned
    in ``V``'s dtype; ``nbytes`` the storage."""

    def __init__(self, op: KernelOperator, *, block: int | None = None,
                 progress: bool | None = False) -> None:
        _check_op(op)
        n = op.shape[0]
        self.n, self.block = n, _check_block(block, n)
        self.device = op.device
        self.starts = _starts(n, self.block)
        self.panels: list[torch.Tensor] = []
        t0 = time.perf_counter()
        with progress_bar(n * (n + 1) // 2, "float32 kernel cache", progress) as bar:
            for s in self.starts:
                h = min(self.block, n - s)
                P = torch.empty(h, n - s, dtype=torch.float32, device=op.device)
                for c0, T in _tiles(op, s, h):
                    P[:, c0 - s:c0 - s + T.shape[1]].copy_(T)
                    bar.update(T.numel() - (h * (h - 1) // 2 if c0 == s else 0))
                    del T
                if not bool(torch.isfinite(P).all()):
                    raise NumericalError.for_arg(
                        "K", "is not finite in float32 (an entry beyond 3.4e38)",
                        hint="rescale X (the kernel is homogeneous)")
                self.panels.append(P)
        self.build_s = time.perf_counter() - t0

    @staticmethod
    def nbytes_for(n: int, block: int | None = None) -> int:
        """Bytes of the panels for ``n`` rows: ``4 · Σ_i h_i (n − s_i)``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError.for_arg("n", "must be an integer >= 1", n)
        b = _check_block(block, n)
        return 4 * sum(min(b, n - s) * (n - s) for s in _starts(n, b))

    @property
    def nbytes(self) -> int:
        return sum(P.numel() * P.element_size() for P in self.panels)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    def matmul(self, V: torch.Tensor) -> torch.Tensor:
        """``K V`` (``V: (n,)`` or ``(n, k)``) by float32 GEMMs on the panels."""
        if not isinstance(V, torch.Tensor) or V.ndim not in (1, 2) or V.shape[0] != self.n:
            raise InputError.for_arg("V", f"must be a tensor of shape ({self.n},) or "
                                     f"({self.n}, k)", tuple(getattr(V, "shape", ())))
        vec = V.ndim == 1
        W = (V[:, None] if vec else V).to(dtype=torch.float32, device=self.device)
        out = torch.zeros_like(W)
        for s, P in zip(self.starts, self.panels, strict=True):
            h = P.shape[0]
            out[s:s + h].addmm_(P, W[s:])
            if s + h < self.n:
                out[s + h:].addmm_(P[:, h:].T, W[s:s + h])
        out = out.to(V.dtype)
        return out[:, 0] if vec else out

    __matmul__ = matmul

    def diag(self) -> torch.Tensor:
        """The cached diagonal (float32)."""
        return torch.cat([torch.diagonal(P[:, :P.shape[0]]) for P in self.panels])

