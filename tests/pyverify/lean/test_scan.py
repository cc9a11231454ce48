"""Tests of the Lean source scan (``pyverify.lean.scan``) and of the planted bypasses.

The scan is the axiom check of the wasm route, so each known way to fool a regex scanner is
planted here: the character literal ``'"'`` before ``axiom bad : False``, an axiom added
through ``addDecl`` from ``run_cmd``/``elab``, raw strings, Lean's block-comment rules.  The
unit tests need no Lean; ``test_planted_bypasses_are_real_lean`` (marked ``lean``) shows with
the real Lean 4.28 that the lexing bypasses do prove ``False`` when not caught.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pyverify.lean import (
    LEAN_DIR,
    check,
    discover_modules,
    scan_sources,
    scan_text,
    strip_comments,
    wasm_unsupported_reason,
)
from pyverify.lean.toolchain import toolchain
from pyverify.lean.wasm import run_lean

# ----------------------------------------------------------------- escapes, one per line


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("theorem t : 1 = 2 := by sorry\n", "sorry"),
        ("theorem t : 1 = 2 := sorry\n", "sorry"),
        ("axiom foo : False\n", "axiom declaration"),
        ("private axiom foo : False\n", "axiom declaration"),
        ("theorem t : 2 + 2 = 4 := by native_decide\n", "native_decide"),
        ("theorem t : 2 + 2 = 4 := by decide +native\n", "native evaluation"),
        ("theorem t : 1 = 2 := by admit\n", "admit"),
        ("theorem t : True := Lean.ofReduceBool _ _ rfl\n", "ofReduceBool"),
        ("theorem t : True := Lean.ofReduceNat _ _ rfl\n", "ofReduceNat"),
        ("#check Lean.trustCompiler\n", "trustCompiler"),
        ("@[implemented_by foo] def bar : Nat := 0\n", "implemented_by"),
        ("@[extern c_fn] opaque f : Nat → Nat\n", "@[extern"),
        ("unsafe def f : Nat := 0\n", "unsafe"),
        ("set_option debug.skipKernelTC true\n", "debug.skipKernelTC"),
        ("set_option debug.anything true in\n", "set_option debug.*"),
        ("theorem t : False := sorryAx False\n", "sorryAx"),
        ("elab (name := e) x:ident : command => pure ()\n", "elab"),
        ("elab_rules : command | `(command| foo) => pure ()\n", "elab"),
        ("macro x:ident : command => `(x)\n", "macro"),
        ("macro_rules | `(foo) => `(bar)\n", "macro"),
        ("syntax foo : command\n", "syntax"),
        ("declare_syntax_cat foo\n", "syntax"),
        ("notation:50 a ≺ b => a < b\n", "notation (adds tokens)"),
        ("infixl:65 \" +++ \" => f\n", "notation (adds tokens)"),
        ("run_cmd pure ()\n", "run_cmd"),
        ("run_elab pure ()\n", "run_elab"),
        ("run_meta pure ()\n", "run_meta"),
        ("theorem t : True := by_elab pure default\n", "by_elab"),
        ("#eval 1 + 1\n", "#eval"),
        ("#eval! 1 + 1\n", "#eval"),
        ("#exit\n", "#exit"),
        ("initialize pure ()\n", "initialize"),
        ("builtin_initialize pure ()\n", "initialize"),
        ("def f := Lean.addDecl\n", "addDecl"),
        ("def f := Lean.addAndCompile\n", "addAndCompile"),
        ("import Lean\n", "import Lean (only LinAttn modules and Init)"),
        ("public import Lean.Elab.Command\n",
         "import Lean.Elab.Command (only LinAttn modules and Init)"),
        ("import Std.Tactic.BVDecide\n",
         "import Std.Tactic.BVDecide (only LinAttn modules and Init)"),
    ],
)
def test_scanner_detects_planted_escapes(source, what):
    findings = scan_text("module\n\n" + source, "Planted.lean")
    assert what in [f.what[: len(what)] for f in findings], findings
    assert all(f.line == 3 for f in findings)
    assert str(findings[0]).startswith("Planted.lean:3:")


@pytest.mark.parametrize(
    "source",
    [
        "-- theorem t : 1 = 2 := by sorry\n",
        "/- axiom foo : False -/\n",
        "/-- uses no `sorry`, no `native_decide` -/\ntheorem t : True := trivial\n",
        "/-! # Module doc: no axiom here -/\n",
        "/- outer /- nested sorry -/ still comment: admit -/\n",
        "theorem sorry_free (h_admit : True) : True := h_admit\n",
        "theorem native_ok (h' : True) (x₁ : Nat) : True := h'\n",
        "#print axioms foo\n",
        "theorem t : True := trivial -- sorry\n",
        "public import LinAttn.Defs\nimport Init.Data.List\n",
        "theorem t (h : 0 ≤ a) : (fun x => x) a = a := rfl -- comment after code\n",
        "def c : Char := 'a'\ndef d : Char := '\\''\ndef e : Char := '\\x41'\n",
        "theorem x2' : 2 = 2 := rfl\ntheorem y : (0x1F : Nat) = 31 := rfl\n",
    ],
)
def test_scanner_ignores_comments_and_lookalikes(source):
    assert scan_text(source) == []


def test_string_contents_are_scanned_fail_closed():
    # Strings are not blanked: a forbidden word inside one is reported (no false negative).
    assert [f.what for f in scan_text('def s : String := "sorry"\n')] == ["sorry"]
    # ... but a comment opener inside a string does not hide the code after it.
    text = 'def s : String := "a\\"b -- " axiom bad : False\n'
    assert "axiom declaration" in [f.what for f in scan_text(text)]


def test_strip_comments_keeps_line_numbers_and_offsets():
    text = "a\n/- b\nc -/\nd -- e\n"
    stripped = strip_comments(text)
    assert len(stripped) == len(text)
    assert stripped.count("\n") == text.count("\n")
    assert stripped.split("\n")[3].strip() == "d"


# ------------------------------------------------------------------- the known bypasses

#: Lexing bypasses: each line hides `axiom badK : False` from a naive scanner while Lean
#: 4.28 elaborates the axiom (shown by `test_planted_bypasses_are_real_lean`).
LEXING_BYPASSES = {
    "character literal '\"'": "def q1 : Char := '\"'\naxiom bad1 : False\n",
    "character literal, then a string holding --":
        "def q2 : Char := '\"' def s2 : String := \"-- \" axiom bad2 : False\n",
    "raw string with a quote and --": 'def s3 : String := r#"a"b -- "#\naxiom bad3 : False\n',
    "--/ closes a block comment": "/- a --/ axiom bad4 : False\n",
    "the character after /- is skipped": "/-/- -/ axiom bad5 : False\n",
}


@pytest.mark.parametrize("name", sorted(LEXING_BYPASSES))
def test_lexing_bypass_is_caught(name):
    text = LEXING_BYPASSES[name]
    assert "axiom declaration" in [f.what for f in scan_text(text)], name


ADD_DECL_BYPASS = (
    "import Lean\n"
    "open Lean Elab Command in\n"
    "run_cmd liftCoreM <| addDecl (.axiomDecl { name := `bad, levelParams := [],\n"
    "  type := mkConst ``False, isUnsafe := false })\n"
    "theorem t : False := bad\n"
)
ELAB_BYPASS = (
    "import Lean\n"
    "open Lean Elab Command in\n"
    'elab "mk_bad" : command => liftCoreM <| addDecl (.axiomDecl { name := `bad,\n'
    "  levelParams := [], type := mkConst ``False, isUnsafe := false })\n"
    "mk_bad\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ADD_DECL_BYPASS, {"import Lean (only LinAttn modules and Init)", "run_cmd", "addDecl"}),
        (ELAB_BYPASS, {"import Lean (only LinAttn modules and Init)", "elab", "addDecl"}),
    ],
    ids=["run_cmd-addDecl", "elab-addDecl"],
)
def test_add_decl_axiom_is_caught(text, expected):
    assert expected <= {f.what for f in scan_text(text)}


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("def f (x : Nat) := do let y <--1; pure y\n", "comment opener -- glued"),
        ("def S := { x : Nat //-1 < (x : Int) }\n", "comment opener /- glued"),
        ("def c := %'a'\n", "character literal glued"),
        ("def «weird\"name» := 1\n", "escaped identifier"),
        ('def s := s!"{(1 : Nat)}"\n', "'{' in a string literal"),
        ("def s := \"unterminated\n", "unterminated string literal"),
        ("/- never closed\n", "unterminated comment"),
        ("def c := 'ab'\n", "malformed character literal"),
    ],
)
def test_ambiguous_lexing_is_reported_not_guessed(source, what):
    assert any(f.what.startswith(what) for f in scan_text(source)), scan_text(source)


def test_scanner_reads_files_and_reports_paths(tmp_path):
    good, bad = tmp_path / "Good.lean", tmp_path / "Bad.lean"
    good.write_text("theorem t : True := trivial\n")
    bad.write_text("theorem t : True := trivial\ntheorem u : False := by sorry\n")
    findings = scan_sources([good, bad])
    assert [(Path(f.path).name, f.line, f.what) for f in findings] == [("Bad.lean", 2, "sorry")]


def test_project_sources_are_clean():
    modules = discover_modules()
    assert "LinAttn" in modules and "LinAttn.Statements" in modules
    assert scan_sources(modules.values()) == []


# ------------------------------------------------------------- the check on a planted tree


def _planted_tree(tmp_path: Path, module: str, text: str) -> Path:
    tree = tmp_path / "lean"
    shutil.copytree(LEAN_DIR, tree)
    path = tree.joinpath(*module.split(".")).with_suffix(".lean")
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return tree


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (LEXING_BYPASSES["character literal '\"'"], "axiom declaration"),
        (ADD_DECL_BYPASS.replace("import Lean\n", ""), "run_cmd"),
        ("import Lean\n", "import Lean"),
    ],
    ids=["char-literal-axiom", "addDecl-axiom", "import-Lean"],
)
def test_planted_bypass_fails_the_check_before_building(tmp_path, text, what):
    tree = _planted_tree(tmp_path, "LinAttn.Defs", text)
    report = check(lean_dir=tree, log=lambda _: None)
    assert not report.ok
    assert report.reason.startswith("soundness scan:") and what in report.reason
    assert report.modules == [] and report.theorems == ()
    assert any(f.what.startswith(what) and f.path.endswith("Defs.lean")
               for f in report.findings)


@pytest.mark.lean
@pytest.mark.slow
def test_planted_bypasses_are_real_lean(tmp_path):
    """With the real Lean 4.28 (wasm), every lexing bypass above elaborates its axiom and
    proves False; the scan reports each of them.  (The ``addDecl`` bypasses need meta code
    that this wasm build cannot run, so they are caught by the scan only.)"""
    why = wasm_unsupported_reason()
    if why:
        pytest.skip(f"needs the wasm route to run single files: {why}")
    body = "".join(LEXING_BYPASSES[k] for k in sorted(LEXING_BYPASSES))
    body += "".join(f"theorem t{k} : False := bad{k}\n" for k in range(1, 6))
    work = Path(tmp_path) / "Bypass.lean"
    work.write_text(body)
    with toolchain(log=lambda _: None) as inst:
        res = run_lean(inst, work.name, cwd=work.parent, olean=None, lean_path=[inst.lib])
    assert res.returncode == 0, res.messages
    lines = {f.line for f in scan_text(body) if f.what == "axiom declaration"}
    assert len(lines) == 5
