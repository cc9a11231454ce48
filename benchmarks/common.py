"""Helpers shared by the benchmark case modules: sizes, data, accuracy measures, the GEMM
floor and the optional neural-tangents peer.

Synthetic "MNIST-like" data: ``X = Z diag(s) Q`` with Gaussian ``Z: (n, d)``, a random
orthogonal ``Q`` and ``s_i = i^(-1)`` (eigenvalues of G decaying like ``i^(-2)``, kappa of
the top d ~ d^2 ~ 6e5 at d = 784), seeded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.harness import CaseResult, measure

__all__ = ["NT_MISSING", "data_dir", "gemm_case", "nt", "relerr", "sizes", "synthetic",
           "top_rel"]

Sizes = Mapping[str, Mapping[str, Mapping[str, int]]]


def sizes(case: str, mode: str, table: Sizes, tiny: Mapping[str, Mapping[str, int]],
          override: Mapping[str, Mapping[str, int]] | None = None
          ) -> tuple[dict[str, int], str]:
    """The sizes of ``case`` in ``mode`` (``table[case][mode]``; ``tiny[case]`` for the
    harness test; ``override`` first) and their label (saying when scaled down from full)."""
    s = dict((override or {}).get(case) or (tiny[case] if mode == "tiny" else
                                              table[case][mode]))
    full = table[case]["full"]
    label = ", ".join(f"{k}={v}" for k, v in s.items())
    if s != dict(full):
        label += " (scaled down from " + ", ".join(f"{k}={v}" for k, v in full.items()) + ")"
    return s, label


def data_dir() -> Path:
    """``$LINATTN_DATA_DIR`` or ``../shared/data`` beside the checkout (as the tests)."""
    env = os.environ.get("LINATTN_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def synthetic(n: int, d: int, seed: int, device: str, *, unit_rows: bool = False):
    """MNIST-like synthetic data (see the module docstring), float64 on ``device``."""
    import torch

    g = torch.Generator().manual_seed(seed)
    s = torch.arange(1, d + 1, dtype=torch.float64) ** -1.0
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    X = (torch.randn(n, d, generator=g, dtype=torch.float64) * s) @ Q
    if unit_rows:
        X = X / torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return X.to(device)


def relerr(a, b) -> float:
    import torch

    return float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))


def top_rel(ev, ref, k: int) -> float:
    import torch

    k = min(k, ev.numel(), ref.numel())
    return float(((ev[:k] - ref[:k]).abs() / ref[:k].abs()).max().to(torch.float64))


def nt():
    """neural-tangents with float64, or None when it is not installed."""
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import neural_tangents  # noqa: F401
        from neural_tangents import stax
    except Exception:
        return None
    return jax, stax


NT_MISSING = ("baseline unavailable: neural-tangents not installed (pip install "
              "'.[bench-nt]'; pins jax==0.5.3 jaxlib==0.5.3 neural-tangents==0.6.5 "
              "tf2jax==0.3.7)")


def gemm_case(name: str, mode: str, device: str, ours_fn, X, sizes: str, target: float,
               res: CaseResult | None = None) -> tuple[Any, CaseResult]:
    """Time ``ours_fn()`` against the single GEMM XᵀX on the same X."""
    warm = X[: min(2000, X.shape[0])]
    measure(lambda: warm.T @ warm, device=device)
    _, t_base, pk_base = measure(lambda: X.T @ X, device=device, repeat=3)
    out, t_ours, pk = measure(ours_fn, device=device, repeat=2)
    r = res or CaseResult(name, sizes)
    r.ours_s, r.baseline, r.baseline_s, r.peak_mb = t_ours, "GEMM XᵀX", t_base, pk
    r.baseline_peak_mb, r.ratio = pk_base, t_ours / t_base
    r.target, r.met = f"ratio ≤ {target:g}", t_ours / t_base <= target
    return out, r
