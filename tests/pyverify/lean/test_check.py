"""Tests of ``pyverify.lean.check`` (the Lean proof check): the full build, the module order,
route selection, output parsing and the CLI.

The full check (scan, pins, build every module from scratch, theorem existence) runs once
per session through ``tests/_lean_fixture.py`` and is marked ``lean`` and ``slow``.  The
native route is exercised with a fake ``lake`` that records its calls (no native Lean exists
on the project's machines); everything else needs neither Lean nor network.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from _lean_fixture import lean_report

import pyverify.lean.__main__ as cli
from pyverify.errors import ConfigError
from pyverify.lean import (
    ALLOWED_AXIOMS,
    STATEMENTS,
    LeanReport,
    build_order,
    check,
    dependents,
    discover_modules,
    manifest_theorems,
    messages_fail,
    module_imports,
    parse_axioms_output,
)
from pyverify.lean import driver as driver_mod

# ------------------------------------------------------------------------ the full check


@pytest.mark.lean
@pytest.mark.slow
def test_lean_check_passes():
    report = lean_report()
    assert report.ok, report.reason
    assert report.route in ("wasm", "lake")
    assert report.findings == []
    assert set(report.theorems) == set(manifest_theorems())
    assert set(report.pinned) == set(manifest_theorems())
    built = [m.module for m in report.modules if m.module != "#print axioms"]
    assert built == build_order(discover_modules()), "both routes build in import order"
    assert all(m.ok and not m.reused for m in report.modules)
    if report.route == "lake":
        assert set(report.axioms) >= set(manifest_theorems())
        for axioms in report.axioms.values():
            assert set(axioms) <= ALLOWED_AXIOMS
    else:
        assert report.build_dir is not None and (report.build_dir / "LinAttn.olean").is_file()


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
    assert dependents(mods, ["LinAttn.B"]) == {"LinAttn.B", "LinAttn.C", "LinAttn"}


def test_build_order_of_the_project_respects_every_import():
    mods = discover_modules()
    order = build_order(mods)
    assert order[-1] == "LinAttn" and set(order) == set(mods)
    assert order.index(STATEMENTS) == len(order) - 2, "the pins are built last"
    for name in order:
        for dep in module_imports(mods[name]):
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


# -------------------------------------------------------- the native route, a fake lake

FAKE_LAKE = """#!{python}
import os, sys
with open(os.environ["FAKE_LAKE_LOG"], "a") as fh:
    fh.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["env", "lean"]:
    for line in open(sys.argv[3]):
        if line.startswith("#print axioms "):
            name = line.split()[2]
            print(f"'{{name}}' depends on axioms: [propext, {{os.environ['FAKE_LAKE_AXIOM']}}]")
"""


@pytest.fixture
def fake_lake(tmp_path, monkeypatch):
    lake = tmp_path / "bin" / "lake"
    lake.parent.mkdir()
    lake.write_text(FAKE_LAKE.format(python=sys.executable))
    lake.chmod(lake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "lake.log"
    monkeypatch.setenv("FAKE_LAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_LAKE_AXIOM", "Quot.sound")
    monkeypatch.setenv("PATH", f"{lake.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def test_native_route_builds_in_the_wasm_import_order(fake_lake):
    report = check(route="lake", log=lambda _: None)
    assert report.ok, report.reason
    calls = fake_lake.read_text().splitlines()
    order = build_order(discover_modules())
    assert calls[: len(order)] == [f"build +{m}" for m in order]
    assert calls[len(order)].startswith("env lean ")
    assert set(report.theorems) == set(manifest_theorems())


def test_native_route_rejects_a_non_standard_axiom(fake_lake, monkeypatch):
    monkeypatch.setenv("FAKE_LAKE_AXIOM", "sorryAx")
    report = check(route="lake", log=lambda _: None)
    assert not report.ok and "non-standard axioms" in report.reason
    assert report.theorems == ()


# ---------------------------------------------------------------- output parsing, routes


def test_messages_fail_detects_errors_and_sorry():
    assert messages_fail("") == ""
    assert messages_fail("Foo.lean:3:0: warning: unused variable") == ""
    assert "sorry" in messages_fail("A.lean:1:8: warning: declaration uses `sorry`")
    assert "sorry" in messages_fail("A.lean:1:8: warning: declaration uses 'sorry'")
    why = messages_fail("ok\nA.lean:2:0: error: unknown identifier 'LinAttn.nope'")
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
    monkeypatch.setattr(driver_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(driver_mod, "wasm_unsupported_reason",
                        lambda: "wasm route needs npm on PATH")
    report = check(log=lambda _: None)
    assert not report.ok and "no Lean toolchain" in report.reason


def test_forcing_lake_without_lake_fails(monkeypatch):
    monkeypatch.setattr(driver_mod.shutil, "which", lambda name: None)
    report = check(route="lake", log=lambda _: None)
    assert not report.ok and "lake is not on PATH" in report.reason


def test_bad_route_is_rejected():
    with pytest.raises(ConfigError, match="route"):
        check(route="magic", log=lambda _: None)


def test_tampered_tarball_fails_the_check_with_a_reason(tmp_path, monkeypatch):
    from pyverify.lean import toolchain as tc

    monkeypatch.setattr(driver_mod.shutil, "which",
                        lambda name: None if name == "lake" else name)
    monkeypatch.setattr(driver_mod, "wasm_unsupported_reason", lambda: "")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for spec in tc.PINS.packages:
        (downloads / tc.tarball_name(spec)).write_bytes(b"tampered")
    report = check(cache_dir=tmp_path, log=lambda _: None)
    assert not report.ok and report.route == "wasm"
    assert "integrity mismatch" in report.reason
    assert report.theorems == ()


def test_cli_exit_status_follows_the_report(monkeypatch, capsys):
    monkeypatch.setattr(cli.driver, "check",
                        lambda **kw: LeanReport(ok=False, route="wasm", reason="boom"))
    assert cli.main(["check"]) == 1
    assert "FAILED: boom" in capsys.readouterr().err
    monkeypatch.setattr(cli.driver, "check", lambda **kw: LeanReport(ok=True, route="wasm"))
    assert cli.main(["check"]) == 0
