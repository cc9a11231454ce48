"""Check the Lean 4 proofs of linattn: ``python -m pyverify.lean check``.

One command, two routes, never a silent skip (:func:`check`):

1. the **source scan** (:mod:`pyverify.lean.scan`) rejects soundness escapes (``axiom``,
   ``sorry``, ``native_decide``, ...), code run at elaboration time (``elab``, ``macro``,
   ``run_cmd``, ``#eval``, ``addDecl``, ...), ``import Lean`` and ``set_option debug.*``; a
   source with a finding is not built;
2. every manifest theorem must be **restated** in ``LinAttn.Statements``
   (``example : <statement> := @LinAttn.name``), so a weakened statement fails the build;
3. a **route** builds the library in import order (:mod:`pyverify.lean.modules`):

   * **native** (:mod:`pyverify.lean.native`): ``lake build`` per module when ``lake`` is
     on ``PATH``, then ``#print axioms`` of every manifest theorem must show only
     ``propext``, ``Classical.choice`` and ``Quot.sound``;
   * **wasm** (:mod:`pyverify.lean.wasm`): Lean 4.28 compiled to WebAssembly, from a
     pinned, re-verified, locked toolchain cache (:mod:`pyverify.lean.toolchain`), every
     module from scratch; ``#check @Name`` of every manifest theorem is appended to the root.

The check formalizes nothing itself: it certifies that the statements named in
``pyverify/manifest.toml`` (Theorem 4.1, the spectral form, Theorem 4.7, the width bound,
Proposition 4.5 and Theorem B.8 of arXiv 2603.13085) are proved by Lean's kernel.
"""

from __future__ import annotations

from pyverify.lean.driver import check, wasm_unsupported_reason
from pyverify.lean.modules import (
    build_order,
    dependents,
    discover_modules,
    manifest_theorems,
    module_imports,
    pinned_theorems,
    unpinned_theorems,
)
from pyverify.lean.native import parse_axioms_output
from pyverify.lean.report import (
    ALLOWED_AXIOMS,
    LEAN_DIR,
    LIBRARY,
    MANIFEST,
    REPO_ROOT,
    STATEMENTS,
    LeanReport,
    ModuleResult,
    messages_fail,
)
from pyverify.lean.scan import Finding, scan_sources, scan_text, strip_comments

__all__ = [
    "ALLOWED_AXIOMS",
    "LEAN_DIR",
    "LIBRARY",
    "MANIFEST",
    "REPO_ROOT",
    "STATEMENTS",
    "Finding",
    "LeanReport",
    "ModuleResult",
    "build_order",
    "check",
    "dependents",
    "discover_modules",
    "manifest_theorems",
    "messages_fail",
    "module_imports",
    "parse_axioms_output",
    "pinned_theorems",
    "scan_sources",
    "scan_text",
    "strip_comments",
    "unpinned_theorems",
    "wasm_unsupported_reason",
]
