"""Tests of the traceability manifest ``pyverify/manifest.toml``.

Each ``[[claim]]`` ties a statement of arXiv 2603.13085 to Lean theorems, pyverify functions
and pytest node ids.  Asserted here: every Lean theorem is declared in ``lean/`` and (via the
session's single Lean check, shared with ``tests/pyverify/lean``) exists in the built library with
no ``sorry``; every Python name imports; every test id exists.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import pytest
from _lean_fixture import lean_report

from pyverify.lean import LEAN_DIR, MANIFEST, discover_modules, scan_sources, strip_comments

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRED_KEYS = ("id", "paper", "statement", "lean", "python", "torch", "experiment", "tests")
NONEMPTY_KEYS = ("id", "paper", "statement", "tests")
EMPIRICAL = ("ntk-width", "malleability-ratio", "qkv-extension", "learning-dynamics",
             "softmax-attention", "multihead-layernorm", "qkv-ntk")


def _claims() -> list[dict]:
    with open(MANIFEST, "rb") as fh:
        return tomllib.load(fh)["claim"]


CLAIMS = _claims()


def _declared_lean_names() -> set[str]:
    """Fully qualified theorem names declared in ``lean/`` (namespaces tracked)."""
    names: set[str] = set()
    token = re.compile(r"^\s*(namespace|end|section)\b\s*([\w.]*)|\btheorem\s+([\w.'!?]+)")
    for path in discover_modules(LEAN_DIR).values():
        stack: list[tuple[str, str]] = []
        for line in strip_comments(path.read_text(encoding="utf-8")).splitlines():
            for m in token.finditer(line):
                kind, arg, thm = m.groups()
                if kind == "namespace":
                    stack.append(("ns", arg))
                elif kind == "section":
                    stack.append(("sec", arg))
                elif kind == "end" and stack:
                    stack.pop()
                elif thm:
                    prefix = ".".join(a for k, a in stack if k == "ns")
                    names.add(f"{prefix}.{thm}" if prefix else thm)
    return names


def _test_ids_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ids = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            ids.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and sub.name.startswith("test"):
                    ids.add(f"{node.name}::{sub.name}")
    return ids


def test_manifest_covers_the_papers_statements():
    """The nine statements of the paper (five proved, four empirical), then Theorem B.8;
    claims about questions the paper leaves open may follow."""
    ids = [c["id"] for c in CLAIMS]
    assert ids[:10] == [
        "kernel-correspondence",
        "spectral-form",
        "cond-amplification",
        "width-bound",
        "sensitivity",
        *EMPIRICAL[:4],
        "fourth-order-class",
    ]
    assert len(set(ids)) == len(ids)
    papers = " | ".join(c["paper"] for c in CLAIMS)
    for label in ("Theorem 4.1", "Theorem 4.7", "Proposition 4.5", "spectral", "Width bound",
                  "2-9x", "Referee objection 1", "Table 6", "Theorem B.8"):
        assert label in papers


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_claim_is_complete(claim):
    for key in REQUIRED_KEYS:
        assert key in claim, f"{claim.get('id')}: missing '{key}'"
        assert isinstance(claim[key], str if key in ("id", "paper", "statement") else list)
    for key in NONEMPTY_KEYS:
        assert claim[key], f"{claim['id']}: empty '{key}'"
    # a proved claim has its proof and exact check; an empirical one its measurement
    if claim["lean"]:
        assert claim["python"] and claim["torch"], claim["id"]
    else:
        assert claim["torch"] and claim["experiment"], claim["id"]
    for name in claim["lean"]:
        assert name.startswith("LinAttn."), name


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_lean_theorems_are_declared(claim):
    declared = _declared_lean_names()
    missing = [n for n in claim["lean"] if n not in declared]
    assert not missing, f"not declared in lean/: {missing}"


def test_declared_name_parser_sees_namespaces():
    declared = _declared_lean_names()
    assert "LinAttn.kernel_eq_gram_cube" in declared
    assert "LinAttn.Matrix.mul_assoc" in declared
    assert "LinAttn.mul_assoc" not in declared


def _theorem_docstrings() -> dict[str, str]:
    """Short theorem name -> its docstring, for every documented theorem in ``lean/``."""
    doc = re.compile(
        r"/--(.*?)-/\s*(?:omit[^\n]*\n\s*)?(?:@\[[^\]]*\]\s*)?theorem\s+([\w.']+)", re.DOTALL
    )
    found: dict[str, str] = {}
    for path in discover_modules(LEAN_DIR).values():
        for m in doc.finditer(path.read_text(encoding="utf-8")):
            found[m.group(2)] = m.group(1)
    return found


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_lean_theorems_name_the_paper_statement(claim):
    docs = _theorem_docstrings()
    for name in claim["lean"]:
        short = name.removeprefix("LinAttn.")
        assert short in docs, f"{name} has no docstring"
        assert "2603.13085" in docs[short], f"{name}: docstring does not cite the paper"
        assert re.search(r"(Theorem|Proposition) (4|B)\.\d", docs[short]), name


def test_lean_sources_have_no_sorry_or_escape():
    assert scan_sources(discover_modules(LEAN_DIR).values()) == []


@pytest.mark.lean
@pytest.mark.slow
def test_lean_theorems_build_without_sorry():
    report = lean_report()
    assert report.ok, report.reason
    listed = {n for c in CLAIMS for n in c["lean"]}
    assert listed <= set(report.theorems)
    for name, axioms in report.axioms.items():
        assert "sorryAx" not in axioms, name


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_python_and_torch_names_import(claim):
    for key, root in (("python", "pyverify."), ("torch", "linattn.")):
        for dotted in claim[key]:
            assert dotted.startswith(root), f"{key} name {dotted} is not in {root}"
            module, _, attr = dotted.rpartition(".")
            obj = getattr(importlib.import_module(module), attr, None)
            assert callable(obj), f"{dotted} does not import as a callable"


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_experiments_measure_their_claim(claim):
    """Each listed module is a runnable experiment of the main job whose primary claim or
    listed claims include this id (its report section heading carries ``CLAIM``)."""
    from experiments.registry import ORDER

    for dotted in claim["experiment"]:
        mod = importlib.import_module(dotted)
        assert dotted.removeprefix("experiments.") in ORDER, dotted
        claims = (mod.CLAIM, *getattr(mod, "ALSO_CLAIMS", ()))
        assert claim["id"] in claims, f"{dotted} claims {claims}, not {claim['id']}"


def test_every_experiment_claims_a_manifest_id():
    from experiments.registry import ORDER

    ids = {c["id"] for c in CLAIMS}
    for name in ORDER:
        mod = importlib.import_module(f"experiments.{name}")
        for cid in (mod.CLAIM, *getattr(mod, "ALSO_CLAIMS", ())):
            assert cid in ids, f"experiments.{name}: claim {cid!r} is not in the manifest"
            listed = next(c for c in CLAIMS if c["id"] == cid)["experiment"]
            assert f"experiments.{name}" in listed, (name, cid)


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_test_ids_exist(claim):
    for node_id in claim["tests"]:
        file_part, _, rest = node_id.partition("::")
        path = REPO_ROOT / file_part
        assert path.is_file(), f"{node_id}: no file {file_part}"
        name = re.sub(r"\[.*\]$", "", rest)
        assert name in _test_ids_in(path), f"{node_id}: no such test"
