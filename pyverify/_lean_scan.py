"""Private: the source scan of the Lean check (soundness escapes outside the kernel).

The wasm build refuses ``#print axioms`` inside a ``module``, so on that route this scan is
the axiom check: Lean sources, with comments and string contents blanked out, must contain
no ``axiom`` declaration, ``sorry``, ``sorryAx``, ``admit``, ``native_decide``,
``ofReduceBool``, ``implemented_by``, ``extern``, ``unsafe`` or ``debug.skipKernelTC``.
It runs on the native route too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "scan_sources", "scan_text", "strip_comments"]

#: (description, pattern) of every soundness escape the source scan rejects.
_FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("axiom declaration", re.compile(r"(?<![\w.])axiom\b")),
    ("sorry", re.compile(r"(?<![\w.])sorry\b")),
    ("sorryAx", re.compile(r"\bsorryAx\b")),
    ("admit", re.compile(r"(?<![\w.])admit\b")),
    ("native_decide", re.compile(r"\bnative_decide\b")),
    ("ofReduceBool", re.compile(r"\bofReduceBool\b")),
    ("implemented_by", re.compile(r"\bimplemented_by\b")),
    ("@[extern", re.compile(r"\bextern\b")),
    ("unsafe", re.compile(r"(?<![\w.])unsafe\b")),
    ("debug.skipKernelTC", re.compile(r"\bdebug\.skipKernelTC\b")),
)

@dataclass(frozen=True)
class Finding:
    """A forbidden construct found by the source scan."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def strip_comments(text: str) -> str:
    """Blank out Lean comments (``--``, nested ``/- -/``, doc comments) and string contents.

    Newlines are kept, so line numbers of what remains are unchanged.
    """
    out: list[str] = []
    i, n, depth = 0, len(text), 0
    in_string = False
    while i < n:
        c = text[i]
        two = text[i : i + 2]
        if depth:
            if two == "/-":
                depth, i = depth + 1, i + 2
                out.append("  ")
            elif two == "-/":
                depth, i = depth - 1, i + 2
                out.append("  ")
            else:
                out.append("\n" if c == "\n" else " ")
                i += 1
        elif in_string:
            if c == "\\" and i + 1 < n:
                out.append("  " if text[i + 1] != "\n" else " \n")
                i += 2
                continue
            if c == '"':
                in_string = False
                out.append('"')
            else:
                out.append("\n" if c == "\n" else " ")
            i += 1
        elif two == "/-":
            depth, i = 1, i + 2
            out.append("  ")
        elif two == "--":
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"':
            in_string = True
            out.append('"')
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    """Forbidden constructs in one Lean source (after :func:`strip_comments`)."""
    findings = []
    for lineno, line in enumerate(strip_comments(text).splitlines(), start=1):
        for what, pattern in _FORBIDDEN:
            if pattern.search(line):
                findings.append(Finding(path, lineno, what))
    return findings


def scan_sources(paths: Iterable[Path]) -> list[Finding]:
    """Scan Lean files for soundness escapes; see the module docstring for the list."""
    findings: list[Finding] = []
    for path in paths:
        findings += scan_text(path.read_text(encoding="utf-8"), str(path))
    return findings
