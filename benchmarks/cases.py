"""The benchmark cases, by name: the registry of every case module.

Each case is ``case(mode, device, sizes=None) -> CaseResult`` (``mode``: ``tiny`` for the
harness test, ``quick`` or ``full``).  Modules: :mod:`benchmarks.kernel_cases` (spectra,
influence, NTKs against their GEMM floor or neural-tangents), :mod:`benchmarks.thread_cases`
(the OpenMP wait policy of the library).
"""

from __future__ import annotations

from benchmarks import kernel_cases, large_cases, thread_cases
from benchmarks.harness import CaseResult

__all__ = ["CASES", "SIZES", "run_case", "tiny_sizes"]

_MODULES = (kernel_cases, thread_cases, large_cases)
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
