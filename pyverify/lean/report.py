"""Shared constants and result types of the Lean check (:mod:`pyverify.lean`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pyverify.lean.scan import Finding

__all__ = [
    "ALLOWED_AXIOMS",
    "LEAN_DIR",
    "LIBRARY",
    "MANIFEST",
    "REPO_ROOT",
    "STATEMENTS",
    "LeanReport",
    "ModuleResult",
    "messages_fail",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
LEAN_DIR = REPO_ROOT / "lean"
MANIFEST = Path(__file__).resolve().parents[1] / "manifest.toml"
LIBRARY = "LinAttn"
#: The module that restates every manifest theorem (``example : <statement> := @name``).
STATEMENTS = "LinAttn.Statements"
#: The axioms of core Lean that a classical proof may use; anything else fails the check.
ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})

_ERROR_RE = re.compile(r"(^|:\d+:\d+: )error\b", re.MULTILINE)
_SORRY_RE = re.compile(r"declaration uses .sorry.")


@dataclass(frozen=True)
class ModuleResult:
    """One built module: name, wall time, success, Lean's messages, and whether its
    ``.olean`` was taken from an earlier build instead (``reused``, wasm route only)."""

    module: str
    seconds: float
    ok: bool
    messages: str = ""
    reused: bool = False


@dataclass
class LeanReport:
    """Outcome of :func:`pyverify.lean.check`.

    ``theorems`` are the manifest theorems confirmed to exist in the built library (empty
    unless the build succeeded); ``pinned`` the ones restated in ``LinAttn.Statements``;
    ``axioms`` maps each theorem to its axioms (native route only); ``build_dir`` is where
    the ``.olean`` files were kept (``keep_build``), else ``None``.
    """

    ok: bool
    route: str
    reason: str = ""
    modules: list[ModuleResult] = field(default_factory=list)
    theorems: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    axioms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    setup_seconds: float = 0.0
    build_dir: Path | None = None

    def summary(self) -> str:
        """Per-module timing and a one-line verdict."""
        lines = [
            f"  {m.module:<28} {m.seconds:7.1f} s  "
            f"{'reused' if m.reused else 'ok' if m.ok else 'FAILED'}"
            for m in self.modules
        ]
        lines += [f"  scan: {f}" for f in self.findings]
        verdict = "OK" if self.ok else f"FAILED: {self.reason}"
        lines.append(
            f"lean check ({self.route}): {verdict} — {len(self.modules)} module(s), "
            f"{len(self.theorems)} theorem(s) confirmed, {len(self.pinned)} pinned, "
            f"setup {self.setup_seconds:.1f} s, total {self.seconds:.1f} s"
        )
        return "\n".join(lines)


def messages_fail(messages: str) -> str:
    """Why Lean's messages mean failure ('' when they do not)."""
    if _SORRY_RE.search(messages):
        return "declaration uses sorry"
    m = _ERROR_RE.search(messages)
    if m:
        line = messages[messages.rfind("\n", 0, m.start()) + 1 :].splitlines()[0]
        return line.strip()
    return ""
