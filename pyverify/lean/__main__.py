"""``python -m pyverify.lean check [--route R] [--jobs N] [--cache DIR]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pyverify.lean import driver

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the Lean check and print its summary; exit status 0 iff it passed."""
    parser = argparse.ArgumentParser(
        prog="python -m pyverify.lean",
        description="Check the Lean 4 proofs of linattn (arXiv 2603.13085).",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="scan, build the Lean proofs and confirm the theorems")
    p.add_argument("--route", choices=("auto", "lake", "wasm"), default="auto")
    p.add_argument("--jobs", type=int, default=None, help="concurrent wasm builds (default 2)")
    p.add_argument("--cache", type=Path, default=None, help="toolchain cache directory")
    args = parser.parse_args(argv)
    report = driver.check(route=args.route, cache_dir=args.cache, jobs=args.jobs)
    print(report.summary())
    if not report.ok:
        print(f"lean check FAILED: {report.reason}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
