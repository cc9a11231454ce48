"""The one Lean check of a test session, shared by the tests under ``tests/pyverify/lean``
and ``tests/test_manifest.py``.

A session-scoped fixture defined in two modules would run twice; caching the call here makes
the (minutes-long) build happen once per pytest process.  The build's ``.olean`` files are
kept in a temporary folder for the session (wasm route), so the planted-weakening tests can
rebuild only the modules they change.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import sys
import tempfile
from pathlib import Path

from pyverify.lean import LeanReport, check


@functools.cache
def lean_report() -> LeanReport:
    """Run ``pyverify.lean.check()`` once (progress on stderr) and keep its report."""
    keep = Path(tempfile.mkdtemp(prefix="linattn-lean-session."))
    atexit.register(shutil.rmtree, keep, ignore_errors=True)
    report = check(log=lambda line: print(line, file=sys.stderr), keep_build=keep)
    print(report.summary(), file=sys.stderr)
    return report
