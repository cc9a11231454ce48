"""Spectrum of G = X X^T without n x n matrices (paper Theorem 4.7; claims
``spectral-form``, ``cond-amplification`` and ``width-bound``).

The nonzero eigenvalues of G (n, n) are those of C = X^T X (d, d) and the squared
singular values of X, so :func:`spectral_stats` never builds an n x n matrix when n > d.
Methods (``method=``):

* ``"gram-dual"``: ``eigh`` of the smaller of C = X^T X and G = X X^T (C when streamed).
  Time O(n d^2 + d^3), memory O(block d + d^2).  Forming C costs absolute eigenvalue
  errors ~ n eps lambda_max, so an eigenvalue lambda_i keeps ~ n eps kappa_i relative
  accuracy and those below ~ n eps lambda_max are invisible (squaring loses them).
* ``"svd"``: singular values of X, lambda_i = sigma_i^2; errors ~ eps sigma_max per sigma.
* ``"qr-svd"``: R from a QR of X (streamed: TSQR, R <- qr([R; block])), then the singular
  values of R; as accurate as ``"svd"`` and streamable.
* ``"auto"`` (default): gram-dual; if its kappa over the numerical rank exceeds
  1/sqrt(eps) (the smallest kept eigenvalue then has relative error > ~ n sqrt(eps)), redo
  with svd (in-memory input) or qr-svd (memmap / re-iterable blocks).  The result says
  which method ran and why (``method``, ``method_note``).

Out of core: a ``numpy.memmap`` (for instance float32, n = 1,000,000 x d = 784, 3 GB on
disk) is read ``block_rows`` rows at a time; each block is checked for NaN/Inf in its own
dtype (a view of the mapped pages) and only then converted to the computation dtype, so
gram-dual costs one streamed X^T X plus one read-only pass (the ``spectral_memmap_1m``
benchmark: the ratio to the streamed GEMM), and qr-svd one streamed TSQR.  On CUDA each
block moves to the device in its own dtype before the conversion.

Numerical rank: eigenvalues lambda_i > rtol * lambda_max.  ``rtol`` (on eigenvalues of G,
relative to lambda_max) defaults to what the method resolves:

* gram-dual: ``pyverify.tolerance.eig_rtol(dtype, max(n, d))`` = SAFETY max(n, d) eps
  (the absolute error of eigenvalues computed through C, divided by lambda_max);
* svd / qr-svd: ``rank_rtol(dtype, n, d) ** 2`` (numpy's matrix_rank rule
  sigma_i > max(n, d) eps sigma_max, squared because lambda = sigma^2).

An explicit ``rtol`` is used as given.  The rtol used is returned.  In-memory X is first
scaled by an exact power of two (max |x| in [1/2, 1)), so tiny (1e-200) or huge (1e200)
data neither underflow nor overflow in G; eigenvalues that are not representable in the
dtype after scaling back raise NumericalError (kappa and rank are scale invariant).

Condition numbers (2-norm): ``cond`` = lambda_1/lambda_rank; ``cond_d`` = lambda_1/lambda_r
over the top r = min(n, d), inf when rank < r (with ``cond_d_note``; real images have
constant pixels, so rank < d is the normal case for MNIST); ``cond_cube`` = kappa(G^3)
over the numerical rank from the eigenvalues of G^3, i.e. lambda^3 (the exact check that
kappa(G^3) of the MATRIX G^3 is kappa(G)^3 lives in ``pyverify.spectrum``);
``log10_width`` = log10(kappa_d^6 n ln n), the paper's width threshold with c = 1.

Cross-check (``cross_check=None``: automatic): when kappa > 1e12 in float64 and
min(n, d) <= ``CROSS_CHECK_MAX_R``, the eigenvalues are recomputed with
``pyverify.spectrum.eigenvalues`` at 50 digits from the exact Gram matrix and the largest
relative difference over the common rank is recorded (``cross_check = "mpmath-50"``);
otherwise ``cross_check`` says why it did not run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from linattn.validate import as_matrix, dtype_name, ldexp, linalg_guard, resolve_dtype
from pyverify.errors import InputError, NumericalError
from pyverify.tolerance import eig_rtol, eps_of, rank_rtol
from pyverify.width import log10_width_threshold

__all__ = [
    "CROSS_CHECK_MAX_R",
    "GramDual",
    "SpectralStats",
    "accumulate_gram_dual",
    "log10_width",
    "spectral_stats",
]

DEFAULT_BLOCK_ROWS = 65536
CROSS_CHECK_MAX_R = 48
"""Largest min(n, d) for the automatic mpmath-50 cross-check (cost O(r^3) at 50 digits)."""
CROSS_CHECK_COND = 1e12
METHODS = ("auto", "gram-dual", "svd", "qr-svd")
_SAFE_EXP = {torch.float64: 400, torch.float32: 40, torch.float16: 4, torch.bfloat16: 40}
"""|log2 max|x|| up to which G = X X^T and its relevant eigenvalues stay normal numbers."""


class GramDual(NamedTuple):
    """Result of :func:`accumulate_gram_dual`: C = X^T X (d, d), and the counts n, d."""

    C: torch.Tensor
    n: int
    d: int


@dataclass(frozen=True, eq=False)
class SpectralStats:
    """Spectrum of G = X X^T, X: (n, d).  See the module docstring for every definition."""

    eigenvalues: torch.Tensor  # nonzero eigenvalues of G, descending, (rank,)
    rank: int
    rtol: float
    n: int
    d: int
    r: int
    cond: float
    cond_d: float
    cond_d_note: str
    cond_cube: float
    log10_width: float | None
    method: str
    method_note: str
    dtype: str
    cross_check: str
    cross_check_rel: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (eigenvalues as a list of floats)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["eigenvalues"] = self.eigenvalues.detach().cpu().tolist()
        return out


def log10_width(cond_d: float, n: int) -> float | None:
    """log10 of the paper's width threshold m = kappa_d^6 n ln n (c = 1), by
    ``pyverify.width.log10_width_threshold``; None when kappa_d is infinite or n < 2."""
    if not math.isfinite(cond_d) or n < 2:
        return None
    return float(log10_width_threshold(max(cond_d, 1.0), n))


# ----------------------------------------------------------------------------- input

def _is_stream(X: Any) -> bool:
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, (torch.Tensor, np.ndarray, str, bytes)):
        return False
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and isinstance(X[0], (torch.Tensor, np.ndarray)) and X[0].ndim == 2
    return isinstance(X, Iterable)


def _blocks(X: Any, block_rows: int) -> Iterator[Any]:
    if isinstance(X, (np.ndarray, torch.Tensor)):
        if X.ndim != 2:
            raise InputError.for_arg("X", "must be 2-D", tuple(X.shape))
        for s in range(0, X.shape[0], block_rows):
            yield X[s:s + block_rows]
        return
    for b in X:
        yield b[0] if isinstance(b, tuple) else b


def _native_dtype(b: Any) -> Any:
    """float32/float64 blocks keep their dtype for validation (a memmap block is then a
    view of the mapped pages, not a copy); anything else is converted to float64."""
    dt = getattr(b, "dtype", None)
    if dt in (np.float32, torch.float32):
        return torch.float32
    return torch.float64 if dt in (np.float64, torch.float64) else None


def _validated_blocks(X: Any, block_rows: int, dtype: torch.dtype,
                      device: Any) -> Iterator[torch.Tensor]:
    """Row blocks as ``dtype`` tensors on ``device``, each checked (2-D, same d, finite)
    before the conversion: on a float32 memmap the finiteness pass reads the mapped float32
    block once and the float64 copy is made only after it (out-of-core spectra)."""
    if not (isinstance(block_rows, int) and block_rows >= 1):
        raise InputError.for_arg("block_rows", "must be an integer >= 1", block_rows)
    d = None
    for i, b in enumerate(_blocks(X, block_rows)):
        name = f"X[block {i}]"
        with warnings.catch_warnings():
            # a read-only memmap (mode="r") becomes a read-only view; it is only read here
            warnings.filterwarnings("ignore", "The given NumPy array is not writable")
            raw = as_matrix(b, name, dtype=_native_dtype(b), device=device, finite=False)
        amax = _finite_absmax(raw, name)
        if amax > torch.finfo(dtype).max:  # finite in its own dtype, not in the target one
            raise InputError.for_arg(name, f"must be finite in {dtype_name(dtype)} (entries "
                                     "beyond its range)", amax)
        t = raw.to(dtype)
        if d is None:
            d = t.shape[1]
        elif t.shape[1] != d:
            raise InputError.for_arg(name, f"must have d = {d} columns", tuple(t.shape))
        yield t
    if d is None:
        raise InputError.for_arg("X", "must not be empty (no row blocks)", 0)


def accumulate_gram_dual(blocks: Any, *, block_rows: int = DEFAULT_BLOCK_ROWS,
                         dtype: Any = None, device: Any = None) -> GramDual:
    """Stream C = X^T X = sum over row blocks B of B^T B.

    ``blocks``: a 2-D tensor/array/``numpy.memmap`` (read ``block_rows`` rows at a time), or
    an iterable of 2-D row blocks (a tuple block, e.g. a DataLoader's ``(inputs, labels)``,
    contributes its first element).  n is counted as the blocks arrive.  Time O(n d^2),
    memory O(block_rows d + d^2).  Returns ``GramDual(C, n, d)``.
    """
    dt = resolve_dtype(dtype)
    C, n = None, 0
    for t in _validated_blocks(blocks, block_rows, dt, device):
        C = t.T @ t if C is None else C.addmm_(t.T, t)
        n += t.shape[0]
    return GramDual(C, n, C.shape[0])


def _accumulate_r(blocks: Any, block_rows: int, dt: torch.dtype,
                  device: Any) -> tuple[torch.Tensor, int]:
    """TSQR: R of X = Q R from row blocks, R <- qr([R; B]).R.  Returns (R, n)."""
    R, n = None, 0
    for t in _validated_blocks(blocks, block_rows, dt, device):
        stacked = t if R is None else torch.cat([R, t])
        R = torch.linalg.qr(stacked, mode="r").R
        n += t.shape[0]
    return R, n


def _finite_absmax(t: torch.Tensor, name: str) -> float:
    """max |t|, raising InputError naming ``name`` if t holds NaN/Inf.

    One fused min/max reduction (``torch.aminmax``, which propagates NaN) replaces the
    separate ``isfinite`` pass of ``as_matrix`` and the ``abs().max()`` pass of the pow2
    scaling: both read all n d entries, and together they cost ~0.7 of the GEMM X^T X at
    n = 60,000, d = 784 (the benchmark's target: spectral_stats <= 1.5 GEMM)."""
    lo, hi = (float(v) for v in torch.aminmax(t.detach()))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError.for_arg(name, "must contain only finite values (no NaN/Inf)",
                                 int((~torch.isfinite(t.detach())).sum()))
    return max(-lo, hi)


# ----------------------------------------------------------------------------- core

def _desc(v: torch.Tensor) -> torch.Tensor:
    return torch.sort(v, descending=True).values


def _rank(ev: torch.Tensor, rtol: float) -> int:
    top = float(ev[0])
    return 0 if top <= 0 else int((ev > rtol * top).sum())


def _default_rtol(method: str, dt: torch.dtype, n: int, d: int) -> float:
    name = dtype_name(dt)
    if method == "gram-dual":
        return eig_rtol(name, max(n, d))
    return rank_rtol(name, n, d) ** 2


def _cross_check(X: torch.Tensor | None, ev: torch.Tensor, rank: int, cond: float,
                 dt: torch.dtype, want: bool | None) -> tuple[str, float | None]:
    if want is False:
        return "not run: cross_check=False", None
    if X is None:
        return "not run: streamed input (X not held in memory)", None
    n, d = X.shape
    if want is None:
        if dt != torch.float64:
            return f"not run: automatic only for float64 (dtype {dtype_name(dt)})", None
        if not cond > CROSS_CHECK_COND:
            return f"not run: kappa = {cond:.3g} <= {CROSS_CHECK_COND:g}", None
        if min(n, d) > CROSS_CHECK_MAX_R:
            return f"not run: min(n, d) = {min(n, d)} > {CROSS_CHECK_MAX_R}", None
    import mpmath

    from pyverify import kernel as pk
    from pyverify.spectrum import eigenvalues

    Xn = X.detach().to("cpu", torch.float64).numpy()
    S = pk.attention_map(Xn) if n >= d else pk.gram(Xn)
    mp = eigenvalues(S, dps=50)
    with mpmath.workdps(50):
        k = min(rank, len(mp))
        rel = max((abs(mpmath.mpf(float(ev[i])) - mp[i]) / abs(mp[i]) for i in range(k)
                   if mp[i] != 0), default=mpmath.mpf(0))
    return "mpmath-50", float(rel)


def _eig_gram_dual(X: Any, stream: bool, block_rows: int, dt: torch.dtype,
                   device: Any) -> tuple[torch.Tensor, int, int]:
    if stream:
        C, n, d = accumulate_gram_dual(X, block_rows=block_rows, dtype=dt, device=device)
        return _desc(torch.linalg.eigvalsh(C)), n, d
    n, d = X.shape
    S = X.T @ X if n >= d else X @ X.T
    return _desc(torch.linalg.eigvalsh(S)), n, d


def _eig_svd(X: Any, method: str, stream: bool, block_rows: int, dt: torch.dtype,
             device: Any) -> tuple[torch.Tensor, int, int]:
    if stream:
        R, n = _accumulate_r(X, block_rows, dt, device)
        return torch.linalg.svdvals(R) ** 2, n, R.shape[1]
    n, d = X.shape
    if method == "qr-svd":
        A = X if n >= d else X.T
        return torch.linalg.svdvals(torch.linalg.qr(A, mode="r").R) ** 2, n, d
    return torch.linalg.svdvals(X) ** 2, n, d


def spectral_stats(X: Any, *, rtol: float | None = None, method: str = "auto",
                   cross_check: bool | None = None, dtype: Any = None, device: Any = None,
                   block_rows: int = DEFAULT_BLOCK_ROWS) -> SpectralStats:
    """Nonzero eigenvalues, numerical rank and 2-norm condition numbers of G = X X^T.

    X: (n, d) tensor/array, a ``numpy.memmap`` (streamed in ``block_rows`` rows), or an
    iterable of row blocks (streamed, n counted; a one-shot iterator cannot be re-read, so
    "auto" then keeps gram-dual and says so).  Never an n x n eigendecomposition when n > d.
    """
    if method not in METHODS:
        raise InputError.for_arg("method", f"must be one of {METHODS}", method)
    if rtol is not None and not (0 <= rtol < 1):
        raise InputError.for_arg("rtol", "must satisfy 0 <= rtol < 1", rtol)
    dt = resolve_dtype(dtype)
    stream = _is_stream(X)
    # finite=False: finiteness and max |x| come from one aminmax pass (_finite_absmax).
    Xt = None if stream else as_matrix(X, "X", dtype=dt, device=device, finite=False)
    # Scale in-memory X by an exact power of two so that max |x| is in [1/2, 1): G = X X^T
    # then neither underflows (X ~ 1e-200) nor overflows (X ~ 1e200); rank and kappa are
    # scale invariant and the eigenvalues are scaled back (exactly) at the end.
    k2 = 0
    if Xt is not None:
        amax = _finite_absmax(Xt, "X")
        k2 = math.frexp(amax)[1] if amax > 0 else 0
        if abs(k2) <= _SAFE_EXP[Xt.dtype]:  # G is safe: skip the O(n d) copy
            k2 = 0
    src = X if stream else (ldexp(Xt, -k2) if k2 else Xt)
    rereadable = not stream or isinstance(X, (np.memmap, list, tuple)) or iter(X) is not X
    note = ""
    if method in ("auto", "gram-dual"):
        with linalg_guard("X", "eigh of the Gram matrix"):
            ev, n, d = _eig_gram_dual(src, stream, block_rows, dt, device)
        if not bool(torch.isfinite(ev).all()):
            raise NumericalError.for_arg("X", "C = X^T X overflows (streamed input is not "
                                         "rescaled)", float(ev.abs().max()))
        used = "gram-dual"
        tol = _default_rtol(used, dt, n, d) if rtol is None else float(rtol)
        rank = _rank(ev, tol)
        kappa = float(ev[0] / ev[rank - 1]) if rank else math.inf
        limit = 1.0 / math.sqrt(eps_of(dtype_name(dt)))
        if method == "auto":
            if kappa <= limit:
                note = f"auto: gram-dual kappa {kappa:.3g} <= 1/sqrt(eps) = {limit:.3g}"
            elif not rereadable:
                note = (f"auto: gram-dual kappa {kappa:.3g} > 1/sqrt(eps) = {limit:.3g}, but "
                        "the input is a one-shot iterator: kept gram-dual (small eigenvalues "
                        "lose accuracy; pass an array or memmap for svd)")
            else:
                used = "qr-svd" if stream else "svd"
                note = (f"auto: gram-dual kappa {kappa:.3g} > 1/sqrt(eps) = {limit:.3g}: "
                        f"recomputed with {used}")
        else:
            note = "gram-dual requested"
    else:
        used, note = method, f"{method} requested"
    if used != "gram-dual":
        with linalg_guard("X", f"{used} of X"):
            ev, n, d = _eig_svd(src, used, stream, block_rows, dt, device)
        ev = _desc(ev)
    tol = _default_rtol(used, dt, n, d) if rtol is None else float(rtol)
    rank = _rank(ev, tol)
    r = min(n, d)
    kept = ev[:rank].to(torch.float64)
    cond = float(kept[0] / kept[-1]) if rank else math.inf
    ev64 = ev.to(torch.float64)
    if k2:
        kept = ldexp(kept, 2 * k2)
        if rank and not (torch.isfinite(kept).all() and float(kept[-1]) > 0):
            raise NumericalError.for_arg(
                "X", "eigenvalues of G = X X^T are not representable in float64 (overflow "
                "or underflow)", f"max |x| = 2^{k2}", hint=f"kappa = {cond:.6g} and rank "
                f"{rank} are scale invariant: rescale X")
    if rank >= r:
        cond_d = float(ev64[0] / ev64[r - 1])
        cd_note = f"over the top r = min(n, d) = {r} eigenvalues"
    else:
        cond_d = math.inf
        cd_note = (f"inf: rank {rank} < min(n,d)={r}: constant/duplicated pixels or dependent "
                   f"rows make G singular (lambda_{rank + 1} <= rtol * lambda_max, rtol "
                   f"{tol:.3g}, method {used})")
    cond_cube = cond**3 if cond < 1e100 else math.inf
    cc, rel = _cross_check(Xt, kept, rank, cond, dt, cross_check)
    return SpectralStats(kept, rank, tol, n, d, r, cond, cond_d, cd_note, cond_cube,
                         log10_width(cond_d, n), used, note, dtype_name(dt), cc, rel)
