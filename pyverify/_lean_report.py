"""Private: shared constants and result types of the Lean check (:mod:`pyverify.lean`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pyverify._lean_scan import Finding

__all__ = [
    "ALLOWED_AXIOMS",
    "LEAN_DIR",
    "LIBRARY",
    "MANIFEST",
    "REPO_ROOT",
    "LeanReport",
    "ModuleResult",
    "messages_fail",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
LEAN_DIR = REPO_ROOT / "lean"
MANIFEST = Path(__file__).with_name("manifest.toml")
LIBRARY = "LinAttn"
#: The axioms of core Lean that a classical proof may use; anything else fails the check.
ALLOWED_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})

_ERROR_RE = re.compile(r"(^|:\d+:\d+: )error\b", re.MULTILINE)
_SORRY_RE = re.compile(r"declaration uses .sorry.")


@dataclass(frozen=True)
class ModuleResult:
    """One built module: name, wall time, success, Lean's messages."""

    module: str
    seconds: float
    ok: bool
    messages: str = ""


@dataclass
class LeanReport:
    """Outcome of :func:`check`.

    ``theorems`` are the manifest theorems confirmed to exist in the built library (empty
    unless the build succeeded); ``axioms`` maps each to its axioms (native route only).
    """

    ok: bool
    route: str
    reason: str = ""
    modules: list[ModuleResult] = field(default_factory=list)
    theorems: tuple[str, ...] = ()
    axioms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    setup_seconds: float = 0.0

    def summary(self) -> str:
        """Per-module timing and a one-line verdict."""
        lines = [f"  {m.module:<28} {m.seconds:7.1f} s  {'ok' if m.ok else 'FAILED'}"
                 for m in self.modules]
        lines += [f"  scan: {f}" for f in self.findings]
        verdict = "OK" if self.ok else f"FAILED: {self.reason}"
        lines.append(
            f"lean check ({self.route}): {verdict} — {len(self.modules)} module(s), "
            f"{len(self.theorems)} theorem(s) confirmed, setup {self.setup_seconds:.1f} s, "
            f"total {self.seconds:.1f} s"
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
