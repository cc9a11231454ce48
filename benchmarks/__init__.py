"""Benchmark suite: our fast paths against their physical floor or a peer library.

    python -m benchmarks --quick|--full [--device cpu|cuda] [--json PATH] [--only CASE,...]

prints a Markdown table (our time, the baseline's time measured in the same process, the
ratio, peak memory, accuracy against a reference, target, met) and writes the same rows
as JSON.  Benchmarks are not tests: ``tests/test_benchmarks.py`` only runs the harness at
tiny sizes.  Peak-memory method: see :mod:`benchmarks.harness`.
"""

from benchmarks.cases import CASES, SIZES, run_case
from benchmarks.harness import CaseResult, format_table

__all__ = ["CASES", "SIZES", "CaseResult", "format_table", "main", "run_case"]


def main(argv=None) -> int:
    """Entry point of ``python -m benchmarks`` (see :mod:`benchmarks.__main__`)."""
    from benchmarks.__main__ import main as _main

    return _main(argv)
