"""Mixed-precision solve of ``(K + ridge I) X = B``: float32 cached kernel, float64 answer.

The route of the NTK kernel-ridge influence ``I = K_test,train (K + ridge I)^{-1}`` (claim
``malleability-ratio``, paper Section 5) on the full datasets (MNIST n = 60,000).

:func:`solve_cached` is the route for a :class:`~linattn.solvers.operator.KernelOperator`
whose float32 cache fits in memory (n = 60,000: 7.4 GB):

1. **Cache.**  ``K`` is evaluated once in float64, tile by tile, and stored rounded to
   float32 by symmetry (:class:`~linattn.solvers.cache.Float32KernelCache`).
2. **Preconditioner.**  Randomly pivoted Cholesky of rank ``rank`` (a column Nyström
   approximation, :func:`~linattn.solvers.precond.rp_cholesky`; Díaz, Epperly, Frangella,
   Tropp, Webber 2023 for its use in kernel ridge regression), from ``n · rank`` exact
   kernel entries, applied as the Nyström preconditioner of Frangella, Tropp, Udell (2021).
3. **Inner solve.**  Block PCG with float64 vectors and the float32 cache as the operator
   (:func:`block_pcg`), on the current residual, to relative residual ``inner_tol``.
4. **Iterative refinement.**  The residual ``R = B − (K + ridge I) X`` is recomputed in
   float64 with the exact kernel (:func:`~linattn.solvers.cache.symmetric_matmul`: the
   kernel's tiles evaluated again, half a full pass) and the correction solved again (3),
   until ``max_j ‖r_j‖₂ / ‖b_j‖₂ <= tol``.  Each step contracts the residual by about
   ``max(inner_tol, ‖(K₃₂ + λI)⁻¹ (K − K₃₂)‖)`` (Wilkinson; Carson & Higham 2018): the
   float32 kernel alone stalls at a residual of about ``κ · 2^-24`` (``κ = κ₂(K + λI)``),
   the refinement does not.  A step that does not at least halve the residual raises
   :class:`NumericalError` (then ``κ · 2^-24`` is near 1: use the float64 route).

The returned residual is that float64 one, measured by the last exact pass (the gate).

**Blocks of right-hand sides and resuming.**  The columns of ``B`` are solved in blocks of
``rhs_block`` columns (default: all at once).  With ``checkpoint=DIR`` each finished block's
solution is written atomically to ``DIR`` (:class:`~linattn.solvers.checkpoint.BlockStore`),
and a later call with the same problem loads the finished blocks instead of solving them:
an interrupted run (Ctrl-C, a killed job) loses at most the block in progress.

**Progress.**  ``progress=True`` shows tqdm bars for the cache build, each exact pass and
the PCG iterations with the current residual; ``None`` shows them on a terminal only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from linattn.solvers.cache import Float32KernelCache, progress_bar, symmetric_matmul
from linattn.solvers.checkpoint import BlockStore
from linattn.solvers.operator import KernelOperator
from linattn.solvers.precond import nystrom_preconditioner, rp_cholesky
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eps_of, refine_inner_rtol

__all__ = ["CONTRACTION", "CachedSolve", "block_pcg", "solve_cached"]

CONTRACTION = 0.5
"""A refinement step must multiply the float64 residual by at most this, else the float32
kernel is too coarse for the problem (NumericalError)."""
RP_BLOCK = 200
"""Pivots drawn per round of randomly pivoted Cholesky."""

MatVec = Callable[[torch.Tensor], torch.Tensor]


def _rel(R: torch.Tensor, bn: torch.Tensor) -> torch.Tensor:
    rn = torch.linalg.vector_norm(R, dim=0)
    return torch.where(bn > 0, rn / torch.where(bn > 0, bn, 1.0), rn)


def block_pcg(matmul: MatVec, B: torch.Tensor, ridge: float, tol: float, max_iter: int,
              precond: MatVec, bar=None) -> tuple[torch.Tensor, int]:
    """Block PCG for ``(A + ridge I) X = B`` from ``X = 0``: one product per iteration for the
    still active columns, each column with its own step lengths, until every column's
    recurrence residual ``‖r_j‖₂ / ‖b_j‖₂ <= tol`` or ``max_iter`` iterations.  No restart:
    the caller measures the true residual.  Returns ``(X, iterations)``."""
    X = torch.zeros_like(B)
    R = B.clone()
    bn = torch.linalg.vector_norm(B, dim=0)
    Z = precond(R)
    P = Z.clone()
    rz = (R * Z).sum(0)
    it = 0
    while it < max_iter:
        rel = _rel(R, bn)
        if bar is not None:
            bar.set_postfix(residual=f"{float(rel.max()):.2e}", refresh=False)
        act = (rel > tol).nonzero()[:, 0]
        if act.numel() == 0:
            break
        Pa = P[:, act]
        APa = matmul(Pa).add_(Pa, alpha=ridge)
        pap = (Pa * APa).sum(0)
        if bool((pap <= 0).any()):
            raise NumericalError.for_arg(
                "A", "A + ridge·I is not positive definite: pᵀ(A+ridge·I)p <= 0 in CG",
                float(pap.min()), hint="use ridge > 0")
        alpha = rz[act] / pap
        X[:, act] += Pa * alpha
        R[:, act] -= APa * alpha
        Za = precond(R[:, act])
        rz_new = (R[:, act] * Za).sum(0)
        beta = rz_new / torch.where(rz[act] != 0, rz[act], 1.0)
        P[:, act] = Za + Pa * beta
        rz[act] = rz_new
        it += 1
        if bar is not None:
            bar.update(1)
    return X, it


def _stalled(res: float, new: float | None, n: int, lam_max: float, X: torch.Tensor,
             bn: torch.Tensor, passes: int = 0) -> NumericalError:
    """The NumericalError of a refinement that stopped short of tol, saying which limit it
    met: the float64 rounding level of the residual itself, about ``refine_inner_rtol(
    "float64", n) · λ_max · ‖x‖/‖b‖`` (λ_max from the preconditioner, a lower estimate), or
    the float32 kernel (``κ · 2^-24 ≳ 1``)."""
    ratio = float((torch.linalg.vector_norm(X, dim=0) / torch.where(bn > 0, bn, 1.0)).max())
    floor = refine_inner_rtol("float64", n) * lam_max * ratio
    got = f"residual {res:.3e}" + ("" if new is None else f" -> {new:.3e}")
    what = (f"did not reach tol in {passes} exact passes" if new is None else
            "stagnated: an exact float64 pass did not halve the residual")
    if min(res, new if new is not None else res) <= floor:
        return NumericalError.for_arg(
            "tol", f"iterative refinement {what}: the float64 residual of this problem is "
            f"at its rounding level (about {floor:.1e} = SAFETY·sqrt(n)·eps·λ_max·‖x‖/‖b‖)",
            got, hint="raise tol, or ridge (κ(K + ridge I) sets ‖x‖/‖b‖)")
    return NumericalError.for_arg(
        "A", f"iterative refinement {what} (the float32 kernel is too coarse for this "
        "system: κ·2^-24 ≳ 1)", got, hint="increase ridge or solve in float64 "
        "(method='pcg')")


class CachedSolve:
    """What :func:`solve_cached` did: ``X``, ``iterations`` (PCG, all blocks), ``residual``
    (float64, max over columns), ``refinements`` (exact passes, all blocks), ``rank`` of the
    preconditioner, ``cache_bytes``, ``blocks_loaded`` (from the checkpoint), ``times``
    (seconds per phase) and ``history``: one ``(first column, step, PCG iterations, float64
    residual after the step)`` per refinement step."""

    def __init__(self, X: torch.Tensor, iterations: int, residual: float, refinements: int,
                 rank: int, cache_bytes: int, blocks_loaded: int, times: dict[str, float],
                 history: list[tuple[int, int, int, float]]):
        self.X, self.iterations, self.residual = X, iterations, residual
        self.refinements, self.rank, self.cache_bytes = refinements, rank, cache_bytes
        self.blocks_loaded, self.times, self.history = blocks_loaded, times, history


def _check(op, B, ridge, tol, rank, rhs_block, max_refine, progress):
    progress_bar(0, "", progress).close()  # validates progress
    if not isinstance(op, KernelOperator):
        raise InputError.for_arg("op", "must be a KernelOperator", type(op).__name__)
    n = op.shape[0]
    if not isinstance(B, torch.Tensor) or B.ndim != 2 or B.shape[0] != n or B.shape[1] < 1:
        raise InputError.for_arg("B", f"must be a tensor of shape ({n}, k)",
                                 tuple(getattr(B, "shape", ())))
    if not bool(torch.isfinite(B).all()):
        raise InputError.for_arg("B", "must be finite (no NaN/Inf)")
    if isinstance(ridge, bool) or not isinstance(ridge, int | float) or not ridge >= 0 \
            or ridge == float("inf"):
        raise InputError.for_arg("ridge", "must be a finite number >= 0", ridge)
    if isinstance(tol, bool) or not isinstance(tol, int | float) \
            or not eps_of(str(op.dtype)) <= tol < 1:
        raise InputError.for_arg("tol", f"must be in [eps of {op.dtype}, 1)", tol)
    for name, v, lo in (("rank", rank, 1), ("rhs_block", rhs_block, 1),
                        ("max_refine", max_refine, 1)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < lo):
            raise InputError.for_arg(name, f"must be an integer >= {lo}", v)


def solve_cached(op: KernelOperator, B: torch.Tensor, *, ridge: float, tol: float = 1e-10,
                 rank: int | None = None, max_iter: int | None = None, max_refine: int = 6,
                 rhs_block: int | None = None, checkpoint: str | Path | None = None,
                 progress: bool | None = False, seed: int = 0, block: int | None = None,
                 cache: Float32KernelCache | None = None) -> CachedSolve:
    """``X = (K + ridge I)⁻¹ B`` for ``K = op`` (``(n, n)``), ``B: (n, k)``, by the float32
    cache, PCG and float64 iterative refinement (module docstring); the float64 relative
    residual ``max_j ‖(K + ridge I) x_j − b_j‖₂ / ‖b_j‖₂ <= tol`` or NumericalError.

    ``rank``: preconditioner rank (default ``min(n, 1000)``); ``max_iter``: PCG iterations
    per inner solve (default ``min(10 n, 2000)``); ``max_refine``: most exact passes per
    block (>= 1);
    ``rhs_block``: columns per block; ``checkpoint``: folder for finished blocks;
    ``block``: rows per cache panel; ``cache``: a cache already built from ``op``."""
    _check(op, B, ridge, tol, rank, rhs_block, max_refine, progress)
    n, k = B.shape
    rank = min(n, 1000) if rank is None else min(rank, n)
    max_iter = min(10 * n, 2000) if max_iter is None else max_iter
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise InputError.for_arg("max_iter", "must be an integer >= 1", max_iter)
    rhs_block = k if rhs_block is None else min(rhs_block, k)
    if cache is not None and not (isinstance(cache, Float32KernelCache) and cache.n == n
                                  and cache.device == op.device):
        raise InputError.for_arg("cache", f"must be a Float32KernelCache of this operator "
                                 f"(n = {n}, on {op.device})", type(cache).__name__)
    B = B.to(dtype=op.dtype, device=op.device)
    store = None if checkpoint is None else BlockStore(checkpoint, op, B, ridge, tol, rhs_block)
    blocks = [(j, min(k, j + rhs_block)) for j in range(0, k, rhs_block)]
    loaded = {j: store.load(j) for j, _ in blocks} if store is not None else {}
    done = {j: v for j, v in loaded.items() if v is not None}
    X = torch.zeros_like(B)
    res_all = 0.0
    for j, (v, r) in done.items():
        if tuple(v.shape) != (n, min(k, j + rhs_block) - j) or not r <= tol:
            raise InputError.for_arg("checkpoint", f"block at column {j} does not fit this "
                                     "problem", (tuple(v.shape), r),
                                     hint="delete the checkpoint folder")
        X[:, j:j + v.shape[1]] = v.to(X)
        res_all = max(res_all, r)  # measured in float64 when the block was solved
    times: dict[str, float] = {}
    todo = [(a, b) for a, b in blocks if a not in done]
    iters = steps = 0
    history: list[tuple[int, int, int, float]] = []
    if todo:
        t0 = time.perf_counter()
        cache = cache if cache is not None else Float32KernelCache(op, block=block,
                                                                   progress=progress)
        times["cache_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rtol = n * eps_of(str(op.dtype))
        approx = rp_cholesky(op.diag(), op.columns, rank, block=min(RP_BLOCK, rank),
                             rtol=rtol, seed=seed)
        rank, lam_max = approx.rank, float(approx.lam[0])
        precond = nystrom_preconditioner(approx, float(ridge), dtype=torch.float32)
        del approx
        times["precond_s"] = time.perf_counter() - t0
        t_pcg = t_exact = 0.0
        inner = refine_inner_rtol("float32", n)
        for bi, (a, b) in enumerate(todo):
            Bb = B[:, a:b]
            bn = torch.linalg.vector_norm(Bb, dim=0)
            Xb = torch.zeros_like(Bb)
            R, res = Bb.clone(), torch.ones(b - a, dtype=B.dtype, device=B.device)
            res = torch.where(bn > 0, res, torch.zeros_like(res))
            step = 0
            while bool((res > tol).any()):
                if step >= max_refine:
                    raise _stalled(float(res.max()), None, n, lam_max, Xb, bn, max_refine)
                act = (res > tol).nonzero()[:, 0]
                # relative to the current residual; below what the float32 operator resolves
                # the next exact pass does the work instead
                want = max(inner, 0.5 * tol / float(res[act].max()))
                t0 = time.perf_counter()
                with progress_bar(max_iter, f"PCG block {bi + 1}/{len(todo)} step "
                                  f"{step + 1}", progress, unit="it") as bar:
                    try:
                        D, it = block_pcg(cache.matmul, R[:, act], float(ridge), want,
                                          max_iter, precond, bar)
                    except NumericalError as exc:  # K32 + ridge I indefinite
                        raise NumericalError.for_arg(
                            "A", "the float32 kernel is too coarse for this system: K32 + "
                            "ridge I is not positive definite in CG (κ·2^-24 ≳ 1)",
                            exc.value, hint="increase ridge or solve in float64 "
                            "(method='pcg')") from exc
                t_pcg += time.perf_counter() - t0
                iters += it
                Xb[:, act] += D
                t0 = time.perf_counter()
                R = Bb - symmetric_matmul(op, Xb, block=cache.block, progress=progress)
                R.sub_(Xb, alpha=float(ridge))
                t_exact += time.perf_counter() - t0
                new = _rel(R, bn)
                step += 1
                history.append((a, step, it, float(new.max())))
                if float(new.max()) > CONTRACTION * float(res.max()):
                    raise _stalled(float(res.max()), float(new.max()), n, lam_max, Xb, bn)
                res = new
            steps += step
            res_all = max(res_all, float(res.max()))
            X[:, a:b] = Xb
            if store is not None:
                store.save(a, Xb, float(res.max()))
        times["pcg_s"], times["exact_s"] = t_pcg, t_exact
        cache_bytes = cache.nbytes
    else:
        cache_bytes = 0
    return CachedSolve(X, iters, res_all, steps, rank, cache_bytes, len(done), times, history)
