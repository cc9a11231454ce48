"""The source scan of the Lean check: soundness escapes that Lean's kernel does not see.

The wasm build refuses ``#print axioms`` inside a ``module``, so on that route this scan is
the axiom check (it runs on the native route too).  It fails on:

* the soundness escapes ``axiom``, ``sorry``, ``sorryAx``, ``admit``, ``native_decide``,
  ``native`` (``decide +native``), ``ofReduceBool``, ``ofReduceNat``, ``trustCompiler``,
  ``implemented_by``, ``extern``, ``unsafe``, ``debug.skipKernelTC``;
* everything that runs or adds code or syntax at elaboration time: ``elab``, ``elab_rules``,
  ``macro``, ``macro_rules``, ``syntax``, ``declare_syntax_cat``, ``notation``, ``infix``,
  ``infixl``, ``infixr``, ``prefix``, ``postfix``, ``run_cmd``, ``run_elab``, ``run_meta``,
  ``by_elab``, ``#eval``, ``#exit``, ``initialize``, ``builtin_initialize``, ``addDecl``,
  ``addAndCompile``, ``set_option debug.*``;
* any ``import`` other than ``LinAttn`` and its modules (and ``Init``): ``import Lean`` would
  bring the elaborator API that ``addDecl`` needs.

Lexing follows Lean 4.28's tokenizer (``Lean.Parser.Basic``; the behaviours below were
checked against the wasm build): line comments ``--``; block comments ``/- -/`` nested, the
character after a plain ``/-`` skipped, doc comments ``/--``/``/-!`` starting after three
characters, ``-/`` closing wherever it appears; string literals with ``\\`` escapes; raw
strings ``r#"..."#``; character literals (a ``'`` that starts a token and is not followed by
another ``'``, e.g. ``'"'``); identifiers with Lean's character classes (``h'``, ``a!``, Greek
letters but not ``λ``, ``Π``, ``Σ``); numerals (``0x1F``, ``2.5e3``).  Comments are blanked;
string and character literals are scanned like code (a forbidden word inside a string is
reported: fail closed).  Where this model could disagree with Lean the scan reports the
place instead of guessing: a comment opener or character literal glued to a symbol (part of
a longer token?), an escaped identifier ``«...»``, a ``{`` in a string literal (an
interpolated string holds code), and unterminated comments and literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FORBIDDEN_WORDS", "Finding", "is_id_first", "is_id_rest", "lex", "scan_sources",
           "scan_text", "strip_comments"]


@dataclass(frozen=True)
class Finding:
    """A forbidden or ambiguous construct found by the source scan."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _letter_like(c: str) -> bool:
    o = ord(c)
    return (
        (0x3B1 <= o <= 0x3C9 and o != 0x3BB)  # lower Greek, not λ
        or (0x391 <= o <= 0x3A9 and o not in (0x3A0, 0x3A3))  # upper Greek, not Π, Σ
        or 0x3CA <= o <= 0x3FB  # Coptic
        or 0x1F00 <= o <= 0x1FFE  # polytonic Greek
        or 0x2100 <= o <= 0x214F  # letter-like symbols
        or 0x1D49C <= o <= 0x1D59F  # script, double-struck, Fraktur
    )


def _subscript(c: str) -> bool:
    o = ord(c)
    return 0x2080 <= o <= 0x2089 or 0x2090 <= o <= 0x209C or 0x1D62 <= o <= 0x1D6A


def _ascii_alpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def is_id_first(c: str) -> bool:
    """Lean's ``isIdFirst``: ASCII letter, ``_`` or letter-like."""
    return _ascii_alpha(c) or c == "_" or _letter_like(c)


def is_id_rest(c: str) -> bool:
    """Lean's ``isIdRest``: ``isIdFirst``, ASCII digit, ``'``, ``!``, ``?`` or subscript."""
    return is_id_first(c) or ("0" <= c <= "9") or c in "'!?" or _subscript(c)


# Characters after which a comment opener or a character literal cannot be the tail of a
# longer symbol token.
_SAFE_BEFORE = set("()[]{},⟨⟩")
_ID_CLASS = (
    "A-Za-z0-9_'!?\u03b1-\u03ba\u03bc-\u03c9\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9"
    "\u03ca-\u03fb\u1f00-\u1ffe\u2100-\u214f\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a"
    "\U0001d49c-\U0001d59f"
)


def _word(w: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![{_ID_CLASS}]){re.escape(w)}(?![{_ID_CLASS}])")


#: Words (as whole Lean tokens) the scan rejects, with the description it reports.
FORBIDDEN_WORDS: tuple[tuple[str, str], ...] = (
    ("axiom", "axiom declaration"),
    ("sorry", "sorry"),
    ("admit", "admit"),
    ("native_decide", "native_decide"),
    ("native", "native evaluation (decide +native, native := true)"),
    ("implemented_by", "implemented_by"),
    ("extern", "@[extern"),
    ("unsafe", "unsafe"),
    ("elab", "elab"),
    ("elab_rules", "elab"),
    ("macro", "macro"),
    ("macro_rules", "macro"),
    ("syntax", "syntax"),
    ("declare_syntax_cat", "syntax"),
    ("notation", "notation (adds tokens)"),
    ("infix", "notation (adds tokens)"),
    ("infixl", "notation (adds tokens)"),
    ("infixr", "notation (adds tokens)"),
    ("prefix", "notation (adds tokens)"),
    ("postfix", "notation (adds tokens)"),
    ("run_cmd", "run_cmd"),
    ("run_elab", "run_elab"),
    ("run_meta", "run_meta"),
    ("by_elab", "by_elab"),
    ("initialize", "initialize"),
    ("builtin_initialize", "initialize"),
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    *((what, _word(w)) for w, what in FORBIDDEN_WORDS),
    ("sorryAx", re.compile(r"sorryAx")),
    ("ofReduceBool", re.compile(r"ofReduceBool")),
    ("ofReduceNat", re.compile(r"ofReduceNat")),
    ("trustCompiler", re.compile(r"trustCompiler")),
    ("debug.skipKernelTC", re.compile(r"debug\.skipKernelTC")),
    ("set_option debug.*", re.compile(rf"(?<![{_ID_CLASS}])set_option\s+debug\b")),
    ("#eval", re.compile(r"#eval")),
    ("#exit", re.compile(r"#exit")),
    ("addDecl", re.compile(rf"(?<![{_ID_CLASS}])addDecl")),
    ("addAndCompile", re.compile(r"addAndCompile")),
)

_IMPORT_RE = re.compile(rf"(?<![{_ID_CLASS}])import(?![{_ID_CLASS}])\s+(?:all\s+)?(\S+)")
_LOCAL_ROOTS = ("LinAttn", "Init")


def _skip_number(text: str, i: int) -> int:
    n = len(text)
    if text[i] == "0" and i + 1 < n and text[i + 1] in "bBoOxX":
        digits = {"b": "01", "o": "01234567", "x": "0123456789abcdefABCDEF"}[text[i + 1].lower()]
        j = i + 2
        while j < n and text[j] in digits:
            j += 1
        return j
    j = i
    while j < n and text[j].isascii() and text[j].isdigit():
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isascii() and text[k].isdigit():
            j = k
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
    return j


def _raw_string_start(text: str, i: int) -> int:
    """Number of ``#`` of a raw string starting at ``i`` (``r#*"``), or -1."""
    j = i + 1
    while j < len(text) and text[j] == "#":
        j += 1
    return j - i - 1 if j < len(text) and text[j] == '"' else -1


def lex(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The code view of a Lean source and the places where the lexing is ambiguous.

    The code view has every comment replaced by spaces (newlines kept, so offsets and line
    numbers are unchanged); string and character literals are kept.  The second result
    lists ``(offset, description)`` for constructs the scan refuses to interpret.
    """
    out = list(text)
    issues: list[tuple[int, str]] = []
    n, i = len(text), 0
    prev, prev_char = "ws", ""

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def glued(what: str, at: int) -> None:
        if prev == "sym" and prev_char not in _SAFE_BEFORE:
            issues.append((at, f"{what} glued to the symbol {prev_char!r} (ambiguous lexing)"))

    while i < n:
        c = text[i]
        if c.isspace():
            i, prev = i + 1, "ws"
        elif text.startswith("--", i):
            glued("comment opener --", i)
            j = text.find("\n", i)
            j = n if j == -1 else j
            blank(i, j)
            i, prev = j, "ws"
        elif text.startswith("/-", i):
            glued("comment opener /-", i)
            j = i + 3 if i + 2 < n else i + 2  # '/--', '/-!' or '/-' plus one skipped char
            depth = 1
            while j < n and depth:
                if text.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                elif text.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                else:
                    j += 1
            if depth:
                issues.append((i, "unterminated comment"))
            blank(i, j)
            i, prev = j, "ws"
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                issues.append((i, "unterminated string literal"))
            elif "{" in text[i + 1 : j]:
                issues.append((i, "'{' in a string literal (an interpolated string holds code)"))
            i, prev = j + 1, "string"
        elif c == "'" and text[i + 1 : i + 2] != "'":
            glued("character literal", i)
            j = i + 1
            if j < n and text[j] == "\\":
                j += 1
                hexdigits = {"x": 2, "u": 4}.get(text[j] if j < n else "", 0)
                j += 1 + hexdigits
            else:
                j += 1
            if j >= n or text[j] != "'":
                issues.append((i, "malformed character literal"))
                i, prev = i + 1, "sym"
                prev_char = "'"
            else:
                i, prev = j + 1, "char"
        elif c.isascii() and c.isdigit():
            i, prev = _skip_number(text, i), "number"
        elif c == "r" and _raw_string_start(text, i) >= 0:
            hashes = _raw_string_start(text, i)
            close = '"' + "#" * hashes
            j = text.find(close, i + 2 + hashes)
            if j == -1:
                issues.append((i, "unterminated raw string literal"))
                j = n
            i, prev = j + len(close), "string"
        elif is_id_first(c) or c == "«" or (c == "`" and i + 1 < n and (
                is_id_first(text[i + 1]) or text[i + 1] == "«")):
            j = i + 1 if c == "`" else i
            while True:
                if j < n and text[j] == "«":
                    issues.append((j, "escaped identifier «...» (not scanned inside)"))
                    k = text.find("»", j)
                    j = n if k == -1 else k + 1
                else:
                    j += 1
                    while j < n and is_id_rest(text[j]):
                        j += 1
                if j + 1 < n and text[j] == "." and (is_id_first(text[j + 1])
                                                     or text[j + 1] == "«"):
                    j += 1
                    continue
                break
            i, prev = j, "ident"
        else:
            i, prev, prev_char = i + 1, "sym", c
    return "".join(out), issues


def strip_comments(text: str) -> str:
    """The code view of :func:`lex`: comments blanked, literals kept, newlines unchanged."""
    return lex(text)[0]


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    """Forbidden and ambiguous constructs in one Lean source, in order of position."""
    code, issues = lex(text)
    hits: list[tuple[int, str]] = list(issues)
    for what, pattern in _PATTERNS:
        hits += [(m.start(), what) for m in pattern.finditer(code)]
    for m in _IMPORT_RE.finditer(code):
        mod = m.group(1)
        if mod.split(".")[0] not in _LOCAL_ROOTS:
            hits.append((m.start(), f"import {mod} (only LinAttn modules and Init)"))
    hits.sort()
    return [Finding(path, text.count("\n", 0, pos) + 1, what) for pos, what in hits]


def scan_sources(paths: Iterable[Path]) -> list[Finding]:
    """Scan Lean files for soundness escapes; see the module docstring for the list."""
    findings: list[Finding] = []
    for path in paths:
        findings += scan_text(path.read_text(encoding="utf-8"), str(path))
    return findings
