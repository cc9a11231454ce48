"""The wasm route of the Lean check: build every module with Lean 4.28 compiled to WebAssembly.

Each module of ``lean/`` is elaborated in import order (:func:`pyverify.lean.modules.
build_order`), from a copy under ``/tmp`` (the only place the wasm build can read), with
``LEAN_PATH`` listing the fresh build first and then the core library, so no stray
``LinAttn/*.olean`` elsewhere can stand in for a module of this build (Lean resolves the
package ``LinAttn`` to the first entry that has it).  Artifacts reused from an earlier build
(``reuse_build``) are copied into the fresh build folder first.  The root module is built with one ``#check @Name`` per manifest theorem appended, so
a missing theorem fails the build; ``LinAttn.Statements`` makes a changed statement fail it.
Any error, non-zero exit or ``declaration uses sorry`` warning is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from pyverify.lean.modules import build_order, discover_modules, module_imports
from pyverify.lean.report import LIBRARY, LeanReport, ModuleResult, messages_fail
from pyverify.lean.toolchain import WasmInstall, toolchain

__all__ = ["RunResult", "build_modules", "check_wasm", "run_lean"]

#: Records, in a kept build folder, the hash of each module's source and imports.
BUILD_MANIFEST = "linattn-build.json"


@dataclass(frozen=True)
class RunResult:
    """One ``lean`` invocation: exit status, Lean's messages (debug noise removed), time."""

    returncode: int
    messages: str
    seconds: float


def _clean(text: str) -> str:
    keep = [
        line for line in text.splitlines()
        if not (line.startswith("[DEBUG") or line.startswith("  - /")
                or line.startswith("  mainModule"))
    ]
    return "\n".join(keep).strip()


def _drop_echo(stdout: str) -> str:
    """Lean's own messages: the debug build first prints a preamble (with the first 200
    characters of the input) up to ``[DEBUG:G] Now calling lean_shell_main``."""
    lines = stdout.splitlines()
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("[DEBUG:G] Now calling lean_shell_main"):
            start = i + 1
    return _clean("\n".join(lines[start:]))


def run_lean(
    inst: WasmInstall,
    source: str,
    *,
    cwd: Path,
    olean: str | None,
    lean_path: Sequence[Path],
    timeout: float | None = None,
) -> RunResult:
    """Elaborate ``source`` (relative to ``cwd``, which must be under /tmp or /home)."""
    cmd = [str(inst.node), str(inst.lean_js), source]
    if olean is not None:
        cmd += ["-o", olean]
    env = dict(os.environ, LEAN_PATH=os.pathsep.join(str(p) for p in lean_path))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        seconds = time.perf_counter() - t0
        return RunResult(-1, f"error: lean timed out after {seconds:.0f} s", seconds)
    seconds = time.perf_counter() - t0
    messages = (_drop_echo(proc.stdout) + "\n" + _clean(proc.stderr)).strip()
    return RunResult(proc.returncode, messages, seconds)


def build_modules(
    inst: WasmInstall,
    src: Path,
    order: Sequence[str],
    deps: dict[str, list[str]],
    out: Path,
    *,
    jobs: int = 2,
    timeout: float | None = None,
    log: Callable[[str], object] = print,
) -> tuple[dict[str, ModuleResult], str]:
    """Build the modules ``order`` (sources under ``src``) into ``out``, each after its
    ``deps`` among them, ``jobs`` at a time; stop at the first failure.

    ``LEAN_PATH`` is ``[out, core library]``: imported modules not in ``order`` must already
    be in ``out``.  Returns the results by module and the first failure ('' when none).
    """
    lean_path = [out, inst.lib]
    results: dict[str, ModuleResult] = {}

    def build_one(name: str) -> ModuleResult:
        rel = Path(*name.split("."))
        olean = out / rel.with_suffix(".olean")
        olean.parent.mkdir(parents=True, exist_ok=True)
        res = run_lean(inst, str(rel.with_suffix(".lean")), cwd=src, olean=str(olean),
                       lean_path=lean_path, timeout=timeout)
        why = messages_fail(res.messages)
        if res.returncode != 0 and not why:
            why = f"lean exited with status {res.returncode}"
        if res.returncode == 0 and not olean.is_file() and not why:
            why = "no .olean written"
        log(f"lean: built {name} in {res.seconds:.1f} s" + (f": FAILED: {why}" if why else ""))
        return ModuleResult(name, res.seconds, not why, res.messages)

    pending = list(order)
    running: dict[Future[ModuleResult], str] = {}
    failed = ""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while (pending and not failed) or running:
            if not failed:
                for name in list(pending):
                    if len(running) >= max(1, jobs):
                        break
                    if all(d in results or d not in order for d in deps[name]):
                        pending.remove(name)
                        running[pool.submit(build_one, name)] = name
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                name = running.pop(fut)
                results[name] = fut.result()
                if not results[name].ok and not failed:
                    failed = f"{name}: {messages_fail(results[name].messages) or 'build failed'}"
    return results, failed


def _source_keys(src: Path, order: Sequence[str], deps: dict[str, list[str]]) -> dict[str, str]:
    """A key per module: the sha256 of its source and of the keys of its imports."""
    keys: dict[str, str] = {}
    for name in order:
        h = hashlib.sha256((src / Path(*name.split(".")).with_suffix(".lean")).read_bytes())
        for dep in sorted(deps[name]):
            h.update(keys[dep].encode())
        keys[name] = h.hexdigest()
    return keys


def check_wasm(
    theorems: Sequence[str],
    lean_dir: Path,
    *,
    cache_dir: Path | None,
    jobs: int,
    timeout: float,
    log: Callable[[str], object],
    keep_build: Path | None = None,
    reuse_build: Path | None = None,
) -> LeanReport:
    """Build ``lean_dir`` from scratch (or, with ``reuse_build``, only the modules whose
    source or imports differ from a build kept by an earlier check) and check the theorems.
    """
    t0 = time.perf_counter()
    modules = discover_modules(lean_dir)
    order = build_order(modules)
    deps = {m: [d for d in module_imports(modules[m]) if d in modules] for m in order}
    with toolchain(cache_dir, log=log) as inst, tempfile.TemporaryDirectory(
        prefix="linattn-lean.", dir="/tmp"
    ) as tmp:
        setup = time.perf_counter() - t0
        src, out = Path(tmp) / "src", Path(tmp) / "build"
        shutil.copytree(lean_dir, src)
        root_copy = src / f"{LIBRARY}.lean"
        checks = "".join(f"\n#check @{name}" for name in theorems)
        root_copy.write_text(root_copy.read_text(encoding="utf-8") + "\n" + checks + "\n")
        keys = _source_keys(src, order, deps)
        reused: list[str] = []
        if reuse_build is not None:
            old = json.loads((reuse_build / BUILD_MANIFEST).read_text())
            reused = [m for m in order if old.get(m) == keys[m]]
        todo = [m for m in order if m not in reused]
        for name in reused:
            rel = Path(*name.split("."))
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            for art in (reuse_build / rel).parent.glob(f"{rel.name}.*"):
                shutil.copy2(art, out / rel.parent / art.name)
        results, failed = build_modules(inst, src, todo, deps, out, jobs=jobs,
                                        timeout=timeout, log=log)
        built = [ModuleResult(m, 0.0, True, reused=True) if m in reused else results[m]
                 for m in order if m in reused or m in results]
        report = LeanReport(ok=not failed, route="wasm", reason=failed, modules=built,
                            setup_seconds=setup)
        if report.ok and len(built) == len(order):
            report.theorems = tuple(theorems)
            if keep_build is not None:
                shutil.copytree(out, keep_build, dirs_exist_ok=True)
                (keep_build / BUILD_MANIFEST).write_text(json.dumps(keys, indent=1))
                report.build_dir = keep_build
        elif report.ok:
            report.ok, report.reason = False, "not every module was built"
    return report
