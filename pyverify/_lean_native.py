"""Private: the native route of the Lean check (``lake build`` + ``#print axioms``).

Used when ``lake`` is on ``PATH``: ``lake build`` builds the library, then a probe file
(``import LinAttn`` and one ``#print axioms`` per theorem) is run with ``lake env lean``;
each theorem must be found and depend only on ``propext``, ``Classical.choice`` and
``Quot.sound``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyverify._lean_report import (
    ALLOWED_AXIOMS,
    LIBRARY,
    REPO_ROOT,
    LeanReport,
    ModuleResult,
    messages_fail,
)

__all__ = ["check_native", "parse_axioms_output"]


def parse_axioms_output(text: str) -> dict[str, tuple[str, ...]]:
    """Parse ``#print axioms`` output: theorem name -> axioms it depends on."""
    found: dict[str, tuple[str, ...]] = {}
    for m in re.finditer(r"'(.+?)' depends on axioms: \[([^\]]*)\]", text):
        found[m.group(1)] = tuple(a.strip() for a in m.group(2).split(",") if a.strip())
    for m in re.finditer(r"'(.+?)' does not depend on any axioms", text):
        found[m.group(1)] = ()
    return found


def check_native(lake: str, theorems: Sequence[str], timeout: float, log: Callable) -> LeanReport:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [lake, "build"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
        check=False,
    )
    out = proc.stdout + proc.stderr
    build = ModuleResult("lake build", time.perf_counter() - t0, proc.returncode == 0, out)
    log(f"  lake build {build.seconds:7.1f} s  rc={proc.returncode}")
    why = messages_fail(out) or (f"lake build exited {proc.returncode}" if proc.returncode else "")
    if why:
        return LeanReport(ok=False, route="lake", reason=why, modules=[build])
    with tempfile.TemporaryDirectory(prefix="linattn-axioms.") as tmp:
        probe = Path(tmp) / "Axioms.lean"
        probe.write_text(
            f"import {LIBRARY}\n" + "".join(f"#print axioms {name}\n" for name in theorems)
        )
        t1 = time.perf_counter()
        proc = subprocess.run(
            [lake, "env", "lean", str(probe)], cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=timeout, check=False,
        )
    out = proc.stdout + proc.stderr
    probe_res = ModuleResult("#print axioms", time.perf_counter() - t1, proc.returncode == 0, out)
    axioms = parse_axioms_output(out)
    report = LeanReport(ok=True, route="lake", modules=[build, probe_res], axioms=axioms)
    missing = [t for t in theorems if t not in axioms]
    bad = {t: a for t, a in axioms.items() if set(a) - ALLOWED_AXIOMS}
    if proc.returncode != 0 or missing:
        report.ok = False
        report.reason = f"theorems not found: {missing}" if missing else messages_fail(out)
    elif bad:
        report.ok = False
        report.reason = f"non-standard axioms: {bad}"
    else:
        report.theorems = tuple(theorems)
    return report
