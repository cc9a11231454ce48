"""The benchmark cases, by name: the registry of every case module.

Each case is ``case(mode, device, sizes=None) -> CaseResult`` (``mode``: ``tiny`` for the
harness test, ``quick`` or ``full``).  Modules: :mod:`benchmarks.kernel_cases` (spectra,
influence, NTKs against their GEMM floor or neural-tangents), :mod:`benchmarks.thread_cases`
(the OpenMP wait policy of the library), :mod:`benchmarks.beyond_cases` (the trainable-QKV NTK
limit against neural-tangents), :mod:`benchmarks.scale_cases` (the finite-width NTK against its
GEMM floor), :mod:`benchmarks.attack_cases` (one projected-gradient ascent step against the
kernel build), :mod:`benchmarks.large_cases` (the full-MNIST NTK influence and out-of-core
spectra; marked large, run in the full preset).
"""

from __future__ import annotations

from benchmarks import (
    attack_cases,
    beyond_cases,
    kernel_cases,
    large_cases,
    scale_cases,
    thread_cases,
)
from benchmarks.harness import CaseResult

__all__ = ["CASES", "SIZES", "run_case", "tiny_sizes"]

_MODULES = (kernel_cases, thread_cases, beyond_cases, scale_cases, attack_cases, large_cases)
CASES = {name: fn for m in _MODULES for name, fn in m.CASES.items()}
SIZES = {name: s for m in _MODULES for name, s in m.SIZES.items()}


def run_case(name: str, mode: str, device: str, sizes=None) -> CaseResult:
    """Run one case in this process; an ImportError of a project function is a visible
    "not available" row."""
    try:
        return CASES[name](mode, device, sizes)
    except ImportError as exc:
        return CaseResult(name, "", note=f"not available: {exc}", met=None)


def tiny_sizes() -> dict[str, dict[str, int]]:
    """Sizes for the smoke test (correctness of the harness only)."""
    return {name: dict(s) for m in _MODULES for name, s in m.TINY.items()}
