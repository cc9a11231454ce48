"""The one Lean check of a test session, shared by ``test_lean.py`` and ``test_manifest.py``.

A session-scoped fixture defined in two modules would run twice; caching the call here
makes the (minutes-long) build happen once per pytest process.
"""

from __future__ import annotations

import functools
import sys

from pyverify.lean import LeanReport, check


@functools.cache
def lean_report() -> LeanReport:
    """Run ``pyverify.lean.check()`` once (progress on stderr) and keep its report."""
    report = check(log=lambda line: print(line, file=sys.stderr))
    print(report.summary(), file=sys.stderr)
    return report
