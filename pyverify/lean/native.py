"""The native route of the Lean check (``lake build`` per module, then ``#print axioms``).

Used when ``lake`` is on ``PATH``.  The project (``lakefile.lean``, ``lean-toolchain`` and the
sources) is copied to a fresh temporary folder, so no earlier ``.lake`` build is reused; the
modules are built one by one with ``lake build +<module>`` in the same import order as the
wasm route (:func:`pyverify.lean.modules.build_order`).  Then a probe file (``import
LinAttn`` and one ``#print axioms`` per theorem) runs under ``lake env lean``: each theorem
must be found and depend only on ``propext``, ``Classical.choice`` and ``Quot.sound``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyverify.lean.modules import build_order, discover_modules
from pyverify.lean.report import (
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


def _run(cmd: list[str], cwd: Path, timeout: float) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0


def check_native(
    lake: str,
    theorems: Sequence[str],
    lean_dir: Path,
    timeout: float,
    log: Callable[[str], object],
) -> LeanReport:
    """Build ``lean_dir`` with ``lake`` in import order and check the theorems' axioms."""
    order = build_order(discover_modules(lean_dir))
    with tempfile.TemporaryDirectory(prefix="linattn-lake.") as tmp:
        project = Path(tmp)
        for name in ("lakefile.lean", "lean-toolchain"):
            shutil.copyfile(REPO_ROOT / name, project / name)
        shutil.copytree(lean_dir, project / "lean")
        modules: list[ModuleResult] = []
        for name in order:
            rc, out, seconds = _run([lake, "build", f"+{name}"], project, timeout)
            why = messages_fail(out) or (f"lake build exited {rc}" if rc else "")
            modules.append(ModuleResult(name, seconds, not why, out))
            log(f"lean: lake build +{name} in {seconds:.1f} s" + (f": FAILED: {why}" if why
                                                                   else ""))
            if why:
                return LeanReport(ok=False, route="lake", reason=f"{name}: {why}",
                                  modules=modules)
        probe = project / "Axioms.lean"
        probe.write_text(
            f"import {LIBRARY}\n" + "".join(f"#print axioms {name}\n" for name in theorems)
        )
        rc, out, seconds = _run([lake, "env", "lean", str(probe)], project, timeout)
    modules.append(ModuleResult("#print axioms", seconds, rc == 0, out))
    axioms = parse_axioms_output(out)
    report = LeanReport(ok=True, route="lake", modules=modules, axioms=axioms)
    missing = [t for t in theorems if t not in axioms]
    bad = {t: a for t, a in axioms.items() if set(a) - ALLOWED_AXIOMS}
    if rc != 0 or missing:
        report.ok = False
        report.reason = (f"theorems not found: {missing}" if missing
                         else messages_fail(out) or f"lake env lean exited {rc}")
    elif bad:
        report.ok = False
        report.reason = f"non-standard axioms: {bad}"
    else:
        report.theorems = tuple(theorems)
    return report
