"""Private: exact dimension reduction of data for rotation-invariant computations.

Everything the experiments 3, 4 and 7 compute depends on the inputs only through inner
products (the ReLU NTK, the attention map x ↦ C x with C = Xᵀ X, kernel ridge influence) or
through Gaussian weights w ~ N(0, κ² I_d), whose law is invariant under rotations of R^d.
So with ``V: (d, r)`` an orthonormal basis of the row space of the stacked inputs
(numerical rank r from the right singular vectors, threshold
``pyverify.tolerance.rank_rtol``) the coordinates ``X V`` give the same Gram matrices, and
w ↦ Vᵀ w maps N(0, κ² I_d) onto N(0, κ² I_r): the finite-width NTK H_m, the training
trajectory (gradients lie in the row space) and the outputs have the same *distribution*
in r dimensions as in d.  Perturbations δ_j of training rows may leave the span; their
components orthogonal to it span at most ``pad`` further dimensions, so ``pad = n`` zero
columns appended keep the attack's feasible set equivalent (again up to a rotation).

Cost: one SVD of the stacked (N, d) matrix; afterwards O(r) instead of O(d) per inner
product (CIFAR-10: d = 3072, r + pad ≤ 2n + n_test).
"""

from __future__ import annotations

import torch

from pyverify.tolerance import rank_rtol


def span_coordinates(*mats: torch.Tensor, pad: int = 0
                     ) -> tuple[list[torch.Tensor], dict[str, int]]:
    """Coordinates of every ``mats[k]: (n_k, d)`` in an orthonormal basis of the row space
    of their stack, followed by ``min(pad, d − r)`` zero columns.

    Returns ``([M_k V | 0], {"d": d, "rank": r, "pad": p, "d_reduced": r + p})``.  When
    ``r + p >= d`` nothing is gained and the inputs are returned unchanged (``d_reduced = d``).
    """
    S = torch.cat(mats, dim=0)
    N, d = S.shape
    _, sv, Vh = torch.linalg.svd(S, full_matrices=False)
    tol = rank_rtol(str(S.dtype).removeprefix("torch."), N, d) * float(sv[0])
    r = int((sv > tol).sum())
    p = max(0, min(pad, d - r))
    if r + p >= d:
        return list(mats), {"d": d, "rank": r, "pad": d - r, "d_reduced": d}
    V = Vh[:r].T
    out = []
    for M in mats:
        Z = M @ V
        if p:
            Z = torch.cat([Z, torch.zeros(M.shape[0], p, dtype=M.dtype, device=M.device)], 1)
        out.append(Z)
    return out, {"d": d, "rank": r, "pad": p, "d_reduced": r + p}
