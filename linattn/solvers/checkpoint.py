"""Finished blocks of right-hand sides on disk, so an interrupted solve resumes.

``BlockStore(folder, op, B, ridge, tol, rhs_block)`` keys the folder to the problem: a
SHA-256 of the operator's data ``X`` (bytes, shape, dtype), its kernel (qualified name),
``B``, ``ridge``, ``tol`` and ``rhs_block``, written to ``folder/problem.json``.  A folder
that holds another problem's key is refused (:class:`InputError` naming ``checkpoint``)
rather than mixed in.  ``save(col, X_block, residual)`` writes ``folder/block-<col>.npz`` (the
solution columns starting at ``col`` and their float64 relative residual, measured when the
block was solved) to a temporary file first and then renames it (``os.replace``, atomic on
POSIX): a block file is either complete or absent.  ``load(col)`` returns ``(X_block,
residual)`` or None.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import torch

from linattn.solvers.operator import KernelOperator
from pyverify.errors import InputError

__all__ = ["BlockStore", "problem_key"]


def _digest(h, t: torch.Tensor) -> None:
    a = t.detach().to("cpu").contiguous().numpy()
    h.update(f"{a.shape}{a.dtype}".encode())
    h.update(memoryview(a).cast("B"))


def problem_key(op: KernelOperator, B: torch.Tensor, ridge: float, tol: float,
                rhs_block: int) -> str:
    """SHA-256 hex digest of everything that determines the solution blocks."""
    if not isinstance(op, KernelOperator):
        raise InputError.for_arg("op", "must be a KernelOperator", type(op).__name__)
    if not isinstance(B, torch.Tensor):
        raise InputError.for_arg("B", "must be a torch.Tensor", type(B).__name__)
    h = hashlib.sha256()
    fn = op.kernel_fn
    h.update(f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
             .encode())
    _digest(h, op.X)
    _digest(h, B)
    h.update(repr((float(ridge), float(tol), int(rhs_block))).encode())
    return h.hexdigest()


class BlockStore:
    """Atomic per-block solution files in ``folder`` (module docstring)."""

    def __init__(self, folder: str | Path, op: KernelOperator, B: torch.Tensor, ridge: float,
                 tol: float, rhs_block: int) -> None:
        if not isinstance(folder, str | Path) or not str(folder):
            raise InputError.for_arg("checkpoint", "must be a folder path", folder)
        self.folder = Path(folder)
        self.key = problem_key(op, B, ridge, tol, rhs_block)
        self.dtype = B.dtype
        meta = self.folder / "problem.json"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError.for_arg("checkpoint", "cannot create the folder",
                                     str(self.folder), hint=str(exc)) from exc
        if meta.exists():
            try:
                old = json.loads(meta.read_text()).get("key")
            except (OSError, ValueError, AttributeError):
                old = None
            if old != self.key:
                raise InputError.for_arg(
                    "checkpoint", "holds the blocks of another problem (different X, B, "
                    "kernel, ridge, tol or rhs_block)", str(self.folder),
                    hint="use another folder or delete this one")
        else:
            self._atomic_write(meta, json.dumps({"key": self.key, "n": int(B.shape[0]),
                                                 "k": int(B.shape[1]),
                                                 "rhs_block": int(rhs_block)}).encode())

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _path(self, col: int) -> Path:
        return self.folder / f"block-{col:07d}.npz"

    def save(self, col: int, X: torch.Tensor, residual: float) -> None:
        """Write the solution columns ``X`` (starting at column ``col``) and their residual
        atomically."""
        buf = io.BytesIO()
        np.savez(buf, X=X.detach().to("cpu").numpy(), residual=np.float64(residual))
        self._atomic_write(self._path(col), buf.getvalue())

    def load(self, col: int) -> tuple[torch.Tensor, float] | None:
        """``(X_block, residual)`` saved for the block starting at column ``col``, or None."""
        path = self._path(col)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                a, res = z["X"], float(z["residual"])
        except (OSError, ValueError, KeyError) as exc:
            raise InputError.for_arg("checkpoint", "has an unreadable block file", str(path),
                                     hint=str(exc)[:100]) from exc
        return torch.from_numpy(a).to(self.dtype), res

    def finished(self) -> list[int]:
        """Start columns of the blocks on disk."""
        return sorted(int(p.stem.split("-")[1]) for p in self.folder.glob("block-*.npz"))
