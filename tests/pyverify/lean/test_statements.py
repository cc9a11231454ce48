"""Tests of the pinned statements (``lean/LinAttn/Statements.lean``).

Every theorem the manifest lists for a claim of arXiv 2603.13085 is restated there as
``example : <statement> := @LinAttn.name``; Lean must accept each restatement, so a weakened
theorem fails the build.  Checked here: every manifest theorem has its pin (no Lean), a
missing pin fails the check before building (no Lean), and planted weakenings, a statement
replaced by ``True`` and a dropped conjunct, fail the real build at ``LinAttn.Statements``
(marked ``lean``; the wasm route reuses the session's build and rebuilds only the changed
module and its dependents).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _lean_fixture import lean_report

from pyverify.lean import (
    LEAN_DIR,
    STATEMENTS,
    check,
    manifest_theorems,
    pinned_theorems,
    unpinned_theorems,
)

STATEMENTS_FILE = LEAN_DIR / "LinAttn" / "Statements.lean"


def test_every_manifest_theorem_is_pinned():
    theorems = manifest_theorems()
    assert theorems, "the manifest lists no Lean theorem"
    assert unpinned_theorems(theorems) == []
    pins = pinned_theorems()
    assert len(pins) == len(set(pins)), "a theorem is pinned twice"


def test_pins_are_exactly_the_declared_theorems_statements():
    # Each pin's proof term is the bare constant, so Lean compares the written statement
    # with the declared type; nothing else may stand after `:=`.
    text = STATEMENTS_FILE.read_text(encoding="utf-8")
    for name in manifest_theorems():
        assert f":=\n  @{name}\n" in text, name


def test_the_pin_parser_sees_a_removed_pin(tmp_path):
    tree = tmp_path / "lean"
    shutil.copytree(LEAN_DIR, tree)
    path = tree / "LinAttn" / "Statements.lean"
    text = path.read_text(encoding="utf-8")
    name = "LinAttn.kappa_gram_cube_eq_pow_three"
    start = text.index("example", text.rindex("\n\n", 0, text.index(f"@{name}\n")))
    end = text.index(f"@{name}\n") + len(f"@{name}\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert unpinned_theorems(manifest_theorems(), tree) == [name]
    report = check(lean_dir=tree, log=lambda _: None)
    assert not report.ok and f"not restated in {STATEMENTS}" in report.reason
    assert name in report.reason and report.modules == []


_KAPPA_TOP_LINE = (
    "      kappaTop r (List.ofFn (fun i => ev i ^ 3)) = "
    "(kappaTop r (List.ofFn ev)).map (· ^ 3) := by\n"
)
#: (module, original text, weakened text, theorem): each keeps a valid proof of a weaker
#: statement, so only the pin can catch it.
WEAKENINGS = {
    "statement-replaced-by-True": (
        "LinAttn/Cond.lean",
        "    (hK : IsOrthDecomp (mul (mul (gram X) (gram X)) (gram X)) Q' ev') :\n"
        "    kappa (List.ofFn ev') = (kappa (List.ofFn ev)).map (· ^ 3) :=\n"
        "  kappa_cube_eq_pow_three hG hK\n",
        "    (hK : IsOrthDecomp (mul (mul (gram X) (gram X)) (gram X)) Q' ev') :\n"
        "    True :=\n"
        "  trivial\n",
        "LinAttn.kappa_gram_cube_eq_pow_three",
    ),
    "conjunct-dropped": (
        "LinAttn/Cond.lean",
        "    mul (mul (gram X) (gram X)) (gram X) =\n"
        "        mul (mul Q (diagonal (fun i => ev i ^ 3))) (transpose Q) ∧\n"
        + _KAPPA_TOP_LINE
        + "  refine ⟨gram_cube_eq_conj_diagonal_pow_three X Q ev hQ hG, ?_⟩\n",
        _KAPPA_TOP_LINE,
        "LinAttn.kappaTop_gram_cube_eq_pow_three",
    ),
}


@pytest.mark.lean
@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(WEAKENINGS))
def test_planted_weakening_fails_the_check(tmp_path, case):
    base = lean_report()
    assert base.ok, base.reason
    rel, original, weakened, theorem = WEAKENINGS[case]
    tree = tmp_path / "lean"
    shutil.copytree(LEAN_DIR, tree)
    path = tree / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(original) == 1, f"{rel} changed; update the planted weakening"
    path.write_text(text.replace(original, weakened), encoding="utf-8")
    report = check(lean_dir=tree, route=base.route, reuse_build=base.build_dir,
                   log=lambda _: None)
    assert not report.ok
    by_name = {m.module: m for m in report.modules}
    changed = ".".join(Path(rel).with_suffix("").parts)
    assert by_name[changed].ok, "the weakened theorem itself must still be proved"
    assert not by_name[STATEMENTS].ok
    assert report.reason.startswith(f"{STATEMENTS}:")
    assert "mismatch" in by_name[STATEMENTS].messages
    # Lean names the constant relative to the open namespace: `@kappa_..._three`.
    assert f"@{theorem.removeprefix('LinAttn.')}\n" in by_name[STATEMENTS].messages
