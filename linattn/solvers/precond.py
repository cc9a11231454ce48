"""Private: low-rank approximations of an SPD matrix and the preconditioner built on them.

The three approximations return the same object, ``A ≈ U diag(lam) Uᵀ`` with orthonormal
``U: (n, k)`` and ``lam >= 0`` descending, so one preconditioner serves all:

* randomized Nyström (Frangella, Tropp, Udell 2021, "Randomized Nyström preconditioning",
  Algorithm 2.1, with the stabilising shift ``nu = sqrt(n) * eps * ‖Y‖_2``);
* partial pivoted Cholesky of rank k (Harbrecht, Peters, Schneider 2012; used as a
  preconditioner by Gardner et al. 2018, GPyTorch): greedy largest-remaining-diagonal
  pivoting, ``A ≈ L Lᵀ``, then ``L = Q R``, ``R Rᵀ = V diag(lam) Vᵀ`` → ``U = Q V``;
* block randomly pivoted Cholesky (Chen, Epperly, Tropp, Webber 2023), :func:`rp_cholesky`:
  pivots sampled in proportion to the residual diagonal, from kernel columns only.

The Nyström preconditioner of Frangella et al. (their eq. 5.3) for ``A + mu I`` is::

    P⁻¹ = (lam_k + mu) U (diag(lam) + mu I)⁻¹ Uᵀ + (I − U Uᵀ),

applied in ``O(n k)`` per column.  Public entry points live in :mod:`linattn.solvers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from pyverify.errors import InputError, NumericalError

MatVec = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class NystromApprox:
    """``A ≈ U diag(lam) Uᵀ``; ``U: (n, k)`` orthonormal columns, ``lam: (k,)`` descending,
    ``lam >= 0``.  ``method`` is ``"nystrom"``, ``"pivoted-cholesky"`` or ``"rpcholesky"``."""

    U: torch.Tensor
    lam: torch.Tensor
    method: str

    @property
    def rank(self) -> int:
        return int(self.lam.shape[0])

    def matmul(self, V: torch.Tensor) -> torch.Tensor:
        """``U diag(lam) Uᵀ V``."""
        return self.U @ (self.lam[:, None] * (self.U.T @ V))

    def to_dense(self) -> torch.Tensor:
        return (self.U * self.lam) @ self.U.T

    def solve_shifted(self, V: torch.Tensor, ridge: float) -> torch.Tensor:
        """``(U diag(lam) Uᵀ + ridge I)⁻¹ V`` exactly (needs ``ridge > 0``):
        ``U ((lam + ridge)⁻¹ − ridge⁻¹) Uᵀ V + V / ridge``."""
        if not ridge > 0:
            raise InputError.for_arg("ridge", "must be > 0 to invert a low-rank approximation",
                                     ridge)
        coef = 1.0 / (self.lam + ridge) - 1.0 / ridge
        return self.U @ (coef[:, None] * (self.U.T @ V)) + V / ridge


def _gaussian(n: int, k: int, like: torch.Tensor, seed: int) -> torch.Tensor:
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(n, k, generator=gen, dtype=like.dtype).to(like.device)


def randomized_nystrom(matmul: MatVec, n: int, rank: int, like: torch.Tensor,
                       seed: int) -> NystromApprox:
    """Frangella-Tropp-Udell Algorithm 2.1 with one product ``A Ω`` (``Ω: (n, rank)``)."""
    omega, _ = torch.linalg.qr(_gaussian(n, rank, like, seed))
    Y = matmul(omega)
    eps = torch.finfo(Y.dtype).eps
    # ‖Y‖_F ≥ ‖Y‖_2: a slightly larger (still O(eps)) shift than the paper's, without an SVD
    nu = (n**0.5) * eps * float(torch.linalg.matrix_norm(Y))
    Y_nu = Y + nu * omega
    core = omega.T @ Y_nu
    core = 0.5 * (core + core.T)
    Lc, info = torch.linalg.cholesky_ex(core)
    if int(info) != 0:
        # Ωᵀ A Ω is PSD in exact arithmetic; fall back to its eigendecomposition.
        w, V = torch.linalg.eigh(core)
        keep = w > w.max() * eps * rank
        B = Y_nu @ (V[:, keep] / w[keep].sqrt())
    else:
        B = torch.linalg.solve_triangular(Lc, Y_nu.T, upper=False).T
    U, s, _ = torch.linalg.svd(B, full_matrices=False)
    lam = torch.clamp(s**2 - nu, min=0.0)
    return NystromApprox(U=U, lam=lam, method="nystrom")


def pivoted_cholesky(diag: torch.Tensor, column: Callable[[int], torch.Tensor], rank: int,
                     *, rtol: float) -> NystromApprox:
    """Greedy partial pivoted Cholesky ``A ≈ L Lᵀ`` of rank ≤ ``rank``; stops early when the
    largest remaining diagonal entry falls below ``rtol * trace(A)`` (the trace error bound of
    Harbrecht et al. 2012).  ``column(p)`` returns ``A[:, p]`` as an ``(n,)`` tensor."""
    n = diag.shape[0]
    d = diag.clone()
    L = torch.zeros(n, rank, dtype=diag.dtype, device=diag.device)
    stop = rtol * float(d.sum())
    k = 0
    for k in range(rank):
        p = int(torch.argmax(d))
        piv = float(d[p])
        if piv <= stop:
            break
        col = column(p) - L[:, :k] @ L[p, :k]
        L[:, k] = col / piv**0.5
        d = d - L[:, k] ** 2
        d[p] = 0.0
    else:
        k = rank
    L = L[:, :k]
    if k == 0:
        raise NumericalError.for_arg("A", "pivoted Cholesky found no positive pivot "
                                     "(matrix numerically zero)", float(diag.max()))
    Q, R = torch.linalg.qr(L)
    w, V = torch.linalg.eigh(R @ R.T)
    order = torch.argsort(w, descending=True)
    return NystromApprox(U=Q @ V[:, order], lam=torch.clamp(w[order], min=0.0),
                         method="pivoted-cholesky")


def nystrom_preconditioner(approx: NystromApprox, ridge: float,
                           dtype: torch.dtype | None = None) -> MatVec:
    """Return ``V ↦ P⁻¹ V`` (Frangella et al. eq. 5.3) for ``A + ridge I``.

    Directions whose eigenvalue ``lam_i + ridge`` is not positive are dropped (they would
    divide by zero); with none left the preconditioner is the identity.  ``dtype`` (e.g.
    float32): the low-rank correction ``U (coef ⊙ Uᵀ V)`` is computed in it (``U`` stored in
    it) and added to ``V`` in ``V``'s dtype -- a preconditioner need not be exact, only
    fixed and SPD to working accuracy."""
    U, lam = approx.U, approx.lam
    keep = (lam + ridge) > 0
    U, lam = U[:, keep], lam[keep]
    if lam.numel() == 0:
        return lambda V: V.clone()
    scale = float(lam[-1]) + ridge
    coef = scale / (lam + ridge) - 1.0
    if dtype is not None:
        U, coef = U.to(dtype).contiguous(), coef.to(dtype)

    def apply(V: torch.Tensor) -> torch.Tensor:
        W = V.to(U.dtype)
        return V + (U @ (coef[:, None] * (U.T @ W))).to(V.dtype)

    return apply


def rp_cholesky(diag: torch.Tensor, columns: Callable[[torch.Tensor], torch.Tensor],
                rank: int, *, block: int, rtol: float, seed: int) -> NystromApprox:
    """Block randomly pivoted Cholesky (Chen, Epperly, Tropp, Webber 2023, "Randomly pivoted
    Cholesky", the block variant): ``A ≈ F Fᵀ`` of rank ``<= rank``, the column Nyström
    approximation ``A[:, S] A[S, S]⁺ A[S, :]`` with pivots ``S`` drawn in rounds of
    ``block`` with probability proportional to the residual diagonal ``diag(A − F Fᵀ)``.

    ``columns(idx)`` returns ``A[:, idx]`` (``(n, len(idx))``), so only ``n · rank`` entries
    of ``A`` are evaluated (``O(n rank² + rank³)`` flops besides).  Each round's pivot block
    ``G_SS`` is factored by ``eigh`` (eigenvalues ``<= eps · block · max`` dropped: duplicated
    points make it singular).  Stops early when the residual trace falls below ``rtol ·
    trace(A)``.  Returns ``U diag(lam) Uᵀ = F Fᵀ`` from the eigendecomposition of ``FᵀF``."""
    n = diag.shape[0]
    d = diag.clone().clamp_(min=0.0)
    trace = float(d.sum())
    if not trace > 0:
        raise NumericalError.for_arg("A", "randomly pivoted Cholesky found no positive "
                                     "diagonal (matrix numerically zero)", float(diag.max()))
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    F = torch.empty(n, rank, dtype=diag.dtype, device=diag.device)
    eps = torch.finfo(diag.dtype).eps
    k = 0
    while k < rank and float(d.sum()) > rtol * trace:
        s = min(block, rank - k)
        w = (d / d.sum()).to("cpu", torch.float64)
        idx = torch.unique(torch.multinomial(w, s, replacement=True, generator=gen))
        idx = idx.to(diag.device)
        G = columns(idx).to(diag.dtype)
        if k:
            G.sub_(F[:, :k] @ F[idx, :k].T)
        Gss = G[idx]
        Gss = 0.5 * (Gss + Gss.T)
        ev, V = torch.linalg.eigh(Gss)
        keep = ev > eps * len(idx) * float(ev.max().clamp(min=0.0))
        if not bool(keep.any()):
            break
        Fn = G @ (V[:, keep] / ev[keep].sqrt())
        m = Fn.shape[1]
        F[:, k:k + m] = Fn
        k += m
        d.sub_((Fn * Fn).sum(1)).clamp_(min=0.0)
        d[idx] = 0.0
    if k == 0:
        raise NumericalError.for_arg("A", "randomly pivoted Cholesky found no positive "
                                     "pivot block", trace)
    F = F[:, :k]
    w, V = torch.linalg.eigh(F.T @ F)
    keep = w > eps * k * float(w.max())
    order = torch.argsort(w[keep], descending=True)
    w, V = w[keep][order], V[:, keep][:, order]
    return NystromApprox(U=(F @ V) / w.sqrt(), lam=w, method="rpcholesky")
