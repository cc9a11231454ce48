"""The finite-width NTK of the two-layer ReLU network as one GEMM of activation patterns, and
its distance to the infinite-width NTK along nested widths (claim ``ntk-width``).

Network and NTK as in :mod:`linattn.ntk` (only W trained, a_r ∈ {±1}, output scale m^(-1/2)):
for first-layer inputs ``A: (n, d)`` (X for ReLU, X C for MLP-Attn) and weights ``W: (m, d)``

    H_m = (1/m) (A Aᵀ) ⊙ (S Sᵀ),    S = 1[A Wᵀ ≥ 0]  (n, m),

the same matrix as :func:`linattn.ntk.finite_width_ntk` (which stays the differentiable
reference).  The co-activation counts ``S Sᵀ`` (:func:`coactivation_counts`) are integers
≤ m, so a float32 GEMM of the 0/1 patterns gives them exactly while m < 2^24 in any
summation order (every partial sum is an integer below 2^24); they are returned in float32
and the rest is float64.

Pre-activations in float32, signs certified.  Z = A Wᵀ costs as much as the counts when
d ~ n, and a float64 GEMM is ~3× slower than a float32 one, so Z is computed in float32 from
rows scaled by exact powers of two (max |a| and max |w| in [1/2, 1); signs are scale
invariant).  ``pyverify.tolerance.dot_sign_rtol("float32", d)`` bounds its error by
``β_ij = dot_sign_rtol · ‖a_i‖ ‖w_j‖`` (plus d·2^-147 for gradual underflow) in any summation
order, so wherever |z_ij| > β_ij the float32 sign is the sign of the exact aᵢᵀw_j; the other
entries (a fraction ~ d^(3/2) eps₃₂: ~1e-3 at d = 784) are recomputed as float64 inner
products.  The pattern therefore equals the float64 pattern of ``finite_width_ntk`` except
where |aᵢᵀw_j| is below float64 rounding (where that route is itself undecided).

The GEMM exploits symmetry: only the block lower triangle of S Sᵀ is formed (for n ≥
``SYM_MIN_N``; ~(1 + 1/b)/2 of the flops with b row blocks) and mirrored.

:func:`kernel_regime_curve` draws W once per seed and reads off the nested widths
m_1 < m_2 < …: the network of width m_k is the first m_k neurons, so the counts of width m_k
are those of m_(k-1) plus the counts of the new neurons; ‖H_m − H_∞‖₂ by
:func:`linattn.opnorm.sym_spectral_norm`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch

from linattn.ntk import MLPAttn, TwoLayerReLU, empirical_ntk, relu_ntk, relu_ntk_closed_form
from linattn.opnorm import sym_spectral_norm
from linattn.validate import as_matrix, check_same_cols, finite_result, ldexp, pow2_scale
from pyverify.errors import ConfigError, InputError, NumericalError
from pyverify.tolerance import dot_sign_rtol

__all__ = ["MAX_COUNT", "coactivation_counts", "count_check", "fast_finite_width_ntk",
           "kernel_regime_curve", "route_check"]

MAX_COUNT = 2**24
"""Counts (and widths) must stay below 2^24 to be exact float32 integers."""
CHUNK_ELEMS = 2**25
"""Entries of one (n, chunk) block of pre-activations (128 MB in float32)."""
FIX_ELEMS = 2**22
"""Entries gathered per batch when undecided signs are recomputed in float64."""
SYM_MIN_N = 256
"""From this n on, only the block lower triangle of S Sᵀ is computed."""
SYM_BLOCKS = 8
_SLACK = 1.0 + 2.0**-18
"""Covers the float32 roundings of the bound itself (a few units of 2^-24)."""


def _sym_accumulate(C: torch.Tensor, S: torch.Tensor) -> None:
    """C[i, :j] += S_i S_jᵀ on the block lower triangle (rows of C in SYM_BLOCKS blocks)."""
    n = S.shape[0]
    if n < SYM_MIN_N:
        C.addmm_(S, S.T)
        return
    step = -(-n // SYM_BLOCKS)
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        C[r0:r1, :r1].addmm_(S[r0:r1], S[:r1].T)


def _z_dtype() -> torch.dtype:
    """float32 for the pre-activations unless float32 GEMMs may run in reduced precision
    (``torch.set_float32_matmul_precision`` other than "highest": TF32/bfloat16 inputs void
    the float32 bound); then float64, certified by the float64 bound the same way."""
    return torch.float32 if torch.get_float32_matmul_precision() == "highest" \
        else torch.float64


def _patterns(As: torch.Tensor, A32: torch.Tensor, bound_a: torch.Tensor, W: torch.Tensor,
              tiny: float, S: torch.Tensor) -> int:
    """S := 1[As Wsᵀ ≥ 0] (float32, in the buffer S) with certified signs, Ws the rows of W
    scaled by powers of two; returns the number of signs recomputed in float64."""
    Ws = ldexp(W, -pow2_scale(W, dim=1)[:, None])
    Z = A32 @ Ws.to(A32.dtype).T
    torch.ge(Z, 0, out=S)
    nw = torch.linalg.vector_norm(Ws, dim=1).to(Z.dtype)
    Z.abs_().div_(torch.where(nw > 0, nw, torch.ones_like(nw))[None, :])
    idx = (bound_a[:, None] + tiny >= Z).nonzero()
    del Z
    step = max(1, FIX_ELEMS // max(1, As.shape[1]))
    for s in range(0, idx.shape[0], step):
        i, j = idx[s:s + step, 0], idx[s:s + step, 1]
        z = (As.index_select(0, i) * Ws.index_select(0, j)).sum(1)
        S[i, j] = (z >= 0).to(torch.float32)
    return int(idx.shape[0])


def _finite(t: torch.Tensor, name: str) -> torch.Tensor:
    """One NaN-propagating min/max pass (``isfinite().all()`` is ~20x slower at 5e7 entries)."""
    lo, hi = (float(v) for v in torch.aminmax(t))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError.for_arg(name, "must contain only finite values (no NaN/Inf)",
                                 int((~torch.isfinite(t)).sum()))
    return t


def _prepare(A: Any, W: Any) -> tuple[torch.Tensor, torch.Tensor]:
    A = _finite(as_matrix(A, "A", finite=False).detach(), "A")
    W = _finite(as_matrix(W, "W", device=A.device, finite=False).detach(), "W")
    check_same_cols(A, W, "A", "W")
    if W.shape[0] >= MAX_COUNT:
        raise InputError.for_arg("W", "must have fewer than 2^24 rows (float32 counts are "
                                 "exact integers only below 2^24)", W.shape[0])
    return A, W


def _counts(A: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, int]:
    n, d = A.shape
    As = ldexp(A, -pow2_scale(A, dim=1)[:, None])
    zt = _z_dtype()
    rel = dot_sign_rtol(str(zt).removeprefix("torch."), d) * _SLACK
    na = torch.linalg.vector_norm(As, dim=1)
    # gradual underflow: ≤ 4·2^-150 per product (3 roundings of values < 1), d products;
    # divided by ‖w‖ >= 1/2; zero rows of A have exact zero pre-activations (no fix-up)
    tiny = 2.0 * d * 2.0**-147
    bound_a = torch.where(na > 0, rel * na, torch.full_like(na, -1.0)).to(zt)
    A32 = As.to(zt)
    C = torch.zeros(n, n, dtype=torch.float32, device=A.device)
    chunk = max(1, min(W.shape[0], CHUNK_ELEMS // n))
    buf = torch.empty(n, chunk, dtype=torch.float32, device=A.device)
    fixed = 0
    for j0 in range(0, W.shape[0], chunk):
        Wc = W[j0:j0 + chunk]
        S = buf[:, : Wc.shape[0]]
        fixed += _patterns(As, A32, bound_a, Wc, tiny, S)
        _sym_accumulate(C, S)
    if n >= SYM_MIN_N:
        C = torch.tril(C) + torch.tril(C, -1).T
    return C, fixed


def coactivation_counts(A: Any, W: Any) -> torch.Tensor:
    """``(S Sᵀ)_ij = #{r : w_rᵀ a_i ≥ 0 and w_rᵀ a_j ≥ 0}``, S = 1[A Wᵀ ≥ 0], for
    ``A: (n, d)`` and ``W: (m, d)`` (m < 2^24) -> (n, n) float32 of exact integers.

    Signs certified as in the module docstring (equal to the float64 pattern wherever
    float64 decides it).  InputError: non-finite or mismatched inputs, m >= 2^24."""
    A, W = _prepare(A, W)
    return _counts(A, W)[0]


def count_check(A: Any, W: Any) -> dict[str, Any]:
    """:func:`coactivation_counts` against float64 counts of the float64 pattern
    1[A Wᵀ ≥ 0] (a float64 GEMM of the patterns: exact integers).  Returns
    ``{"count_max_abs_diff", "count_undecided", "count_diff_rel", "count_undecided_rel"}``:
    the largest count difference, the number of entries with |aᵢᵀw_j| ≤
    ``dot_sign_rtol("float64", d)`` ‖a_i‖ ‖w_j‖ (where the two routes may differ: each such
    sign moves a count by at most 1), and both divided by m and n m (fractions)."""
    A, W = _prepare(A, W)
    Z = A @ W.T
    S = (Z >= 0).to(torch.float64)
    amb = Z.abs() <= dot_sign_rtol("float64", A.shape[1]) * torch.outer(
        torch.linalg.vector_norm(A, dim=1), torch.linalg.vector_norm(W, dim=1))
    diff = (_counts(A, W)[0].to(torch.float64) - S @ S.T).abs().max()
    und = int(amb.sum())
    return {"count_max_abs_diff": float(diff), "count_undecided": und,
            "count_diff_rel": float(diff) / W.shape[0], "count_undecided_rel": und / amb.numel()}


def route_check(X: Any, arch: str, *, width: int = 64, rows: int = 16,
                init_scale: float = 0.01, count_width: int = 4096) -> dict[str, Any]:
    """The NTK routes of one network on data ``X: (n, d)``: the library's full-d model
    (``TwoLayerReLU``, or ``MLPAttn`` with C from all n rows, ``arch`` "relu"/"mlp_attn") of
    ``width`` neurons (seed = width) on the first ``rows`` rows -- autograd
    (:func:`linattn.ntk.empirical_ntk`) and :func:`fast_finite_width_ntk` against
    :func:`linattn.ntk.relu_ntk_closed_form` (max abs diff / max |H|) -- and
    :func:`count_check` of ``count_width`` Gaussian neurons on the first-layer inputs of
    all rows (its fractions ``count_diff_rel``, ``count_undecided_rel`` only: the integer
    counts may differ between CPU routes where float64 is undecided)."""
    X = as_matrix(X, "X").detach()
    if arch not in ("relu", "mlp_attn"):
        raise InputError.for_arg("arch", "must be 'relu' or 'mlp_attn'", arch)
    for name, v in (("rows", rows), ("count_width", count_width)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be a positive integer", v)
    model: Any = (TwoLayerReLU(X.shape[1], width, init_scale=init_scale, seed=width)
                  if arch == "relu" else MLPAttn(X, width, init_scale=init_scale, seed=width))
    net, C = (model, None) if arch == "relu" else (model.mlp, model.C)
    Xs = X[:rows]
    Ha, Hc = empirical_ntk(model, Xs), relu_ntk_closed_form(model, Xs)
    Hf = fast_finite_width_ntk(Xs if C is None else Xs @ C, net.W.detach())
    Xf = X if C is None else X @ C
    W = torch.randn(count_width, X.shape[1], dtype=X.dtype,
                    generator=torch.Generator().manual_seed(width)).to(X.device)
    cc = count_check(Xf, W)
    scale = float(Hc.abs().max()) or 1.0  # an all-zero NTK (zero rows): absolute diffs
    return {"width": width, "rows": int(Xs.shape[0]), "count_width": count_width,
            "autograd_rel_diff": float((Ha - Hc).abs().max()) / scale,
            "fast_rel_diff": float((Hf - Hc).abs().max()) / scale,
            "count_diff_rel": cc["count_diff_rel"],
            "count_undecided_rel": cc["count_undecided_rel"]}


def fast_finite_width_ntk(A: Any, W: Any) -> torch.Tensor:
    """H_m = (1/m) (A Aᵀ) ⊙ (S Sᵀ) (float64, exactly symmetric) for ``A: (n, d)``, ``W: (m, d)``:
    :func:`linattn.ntk.finite_width_ntk` (A, None, W) through :func:`coactivation_counts`
    (float32, exact) and one float64 Gram matrix.  No autograd (use ``finite_width_ntk``)."""
    A, W = _prepare(A, W)
    G = A @ A.T
    G = 0.5 * (G + G.T)
    H = G.mul_(_counts(A, W)[0].to(G.dtype)).div_(W.shape[0])
    return finite_result(H, "finite-width NTK", "A")


def _check_widths(widths: Any) -> list[int]:
    try:
        ws = list(widths)
    except TypeError:
        raise ConfigError.for_arg("widths", "must be a sequence of integers", widths) from None
    ok = ws and all(isinstance(w, int) and not isinstance(w, bool) for w in ws)
    if not ok or ws[0] < 1 or any(b <= a for a, b in itertools.pairwise(ws)) \
            or ws[-1] >= MAX_COUNT:
        raise ConfigError.for_arg("widths", "must be increasing integers in [1, 2^24)", widths)
    return ws


def kernel_regime_curve(X: Any, widths: Any, *, seed: int, init_scale: float = 0.01,
                        method: str = "auto") -> dict[str, Any]:
    """‖H_m − H_∞‖₂ for the nested widths ``widths`` (increasing, < 2^24) of one network with
    first-layer inputs ``X: (n, d)`` (no zero rows), ``w_r ~ N(0, init_scale² I_d)`` drawn
    from ``torch.Generator().manual_seed(seed)`` in float32 (the weights are float32
    numbers, 8x faster to draw than float64; H_m is that of these weights), H_∞ =
    ``relu_ntk(X)``.

    Returns ``{"widths", "err2", "norm_method", "lanczos_residual", "recomputed_signs"}``:
    per width ‖H_m − H_∞‖₂, the route of :func:`linattn.opnorm.sym_spectral_norm` and its
    residual, and the number of float32 signs recomputed in float64 so far."""
    ws = _check_widths(widths)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ConfigError.for_arg("seed", "must be an integer in [0, 2**63)", seed)
    if not (isinstance(init_scale, int | float) and init_scale > 0
            and math.isfinite(init_scale)) or isinstance(init_scale, bool):
        raise ConfigError.for_arg("init_scale", "must be a positive finite number", init_scale)
    X = as_matrix(X, "X").detach()
    k = int(pow2_scale(X))  # H_m and H_∞ are 2-homogeneous in X: scale by 2^-k, back by 4^k
    X = ldexp(ldexp(X, -(k // 2)), k // 2 - k)  # two steps: 2^-k alone overflows near 2^-1074
    n, d = X.shape
    H = relu_ntk(X, check=False)
    G = X @ X.T
    G = 0.5 * (G + G.T)
    gen = torch.Generator().manual_seed(seed)
    C = torch.zeros(n, n, dtype=torch.float32, device=X.device)
    out: dict[str, Any] = {"widths": ws, "err2": [], "norm_method": [],
                           "lanczos_residual": [], "recomputed_signs": []}
    chunk = max(1, CHUNK_ELEMS // max(n, d))
    done, fixed = 0, 0
    for m in ws:
        while done < m:
            b = min(chunk, m - done)
            W = torch.randn(b, d, generator=gen, dtype=torch.float32) * init_scale
            Cb, f = _counts(X, W.to(X.device, torch.float64))
            C += Cb
            fixed += f
            done += b
        D = C.to(torch.float64).mul_(G).div_(m).sub_(H)
        r = sym_spectral_norm(D, method=method)
        try:
            out["err2"].append(math.ldexp(r.norm, 2 * k))
        except OverflowError:
            raise NumericalError.for_arg("X", "‖H_m − H_∞‖₂ overflows float64",
                                         f"max |X| = 2^{k}", hint="rescale X") from None
        out["norm_method"].append(r.method)
        out["lanczos_residual"].append(r.residual)
        out["recomputed_signs"].append(fixed)
    return out
