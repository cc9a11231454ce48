"""The Lean library as files: modules, their import order, the manifest and the pins.

* :func:`discover_modules`, :func:`module_imports`, :func:`build_order`,
  :func:`dependents`: the module graph of ``lean/`` (the import order both routes build in);
* :func:`manifest_theorems`: the Lean theorems ``pyverify/manifest.toml`` lists per claim of
  arXiv 2603.13085;
* :func:`pinned_theorems`, :func:`unpinned_theorems`: the theorems restated in
  ``LinAttn.Statements`` as ``example : <statement> := @LinAttn.name``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

from pyverify.errors import ConfigError
from pyverify.lean.report import LEAN_DIR, LIBRARY, MANIFEST, STATEMENTS
from pyverify.lean.scan import strip_comments

__all__ = [
    "build_order",
    "dependents",
    "discover_modules",
    "manifest_theorems",
    "module_imports",
    "pinned_theorems",
    "unpinned_theorems",
]

_IMPORT_RE = re.compile(
    r"^\s*(?:public\s+|private\s+)?(?:meta\s+)?import\s+(?:all\s+)?([\w.']+)", re.MULTILINE
)
# An `example` whose whole proof term is `@LinAttn.name` (nothing else up to the next
# command at column 0), without crossing into the next `example`.
_PIN_RE = re.compile(
    r"^example\b(?:(?!^example\b).)*?:=\s*@(LinAttn\.[\w'.]+)\s*(?=^\S|\Z)",
    re.MULTILINE | re.DOTALL,
)


def discover_modules(lean_dir: Path = LEAN_DIR) -> dict[str, Path]:
    """Module name -> source file for every ``.lean`` file under ``lean_dir``."""
    modules = {}
    for path in sorted(lean_dir.rglob("*.lean")):
        rel = path.relative_to(lean_dir).with_suffix("")
        modules[".".join(rel.parts)] = path
    return modules


def module_imports(path: Path) -> list[str]:
    """The modules a source file imports (comments ignored)."""
    return _IMPORT_RE.findall(strip_comments(path.read_text(encoding="utf-8")))


def build_order(modules: dict[str, Path], root: str = LIBRARY) -> list[str]:
    """Local modules in dependency order (each after its imports), derived from ``import``.

    Deterministic (imports visited in sorted order), and the order both routes build in.
    Raises :class:`ConfigError` on an import cycle, an import of a missing local module, or
    a local module that the root module does not import (it would never be checked).
    """
    if root not in modules:
        raise ConfigError.for_arg("lean", f"root module {root}.lean is missing")
    local_prefix = root + "."
    deps: dict[str, list[str]] = {}
    for name, path in modules.items():
        deps[name] = []
        for imp in module_imports(path):
            if imp in modules:
                deps[name].append(imp)
            elif imp == root or imp.startswith(local_prefix):
                raise ConfigError.for_arg(f"{name}", "imports a missing module", imp)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ConfigError.for_arg("lean", "import cycle", " -> ".join((*stack, name)))
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, (*stack, name))
        state[name] = 2
        order.append(name)

    visit(root, ())
    unreached = sorted(set(modules) - set(order))
    if unreached:
        raise ConfigError.for_arg(
            f"{root}.lean", "must import every module of the library", unreached
        )
    return order


def dependents(modules: dict[str, Path], changed: Iterable[str]) -> set[str]:
    """``changed`` and every local module that imports one of them, directly or not."""
    out = set(changed)
    grew = True
    while grew:
        grew = False
        for name, path in modules.items():
            if name not in out and any(d in out for d in module_imports(path)):
                out.add(name)
                grew = True
    return out


def manifest_theorems(path: Path = MANIFEST) -> list[str]:
    """All Lean theorem names listed in the traceability manifest, in order, unique."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    names: list[str] = []
    for claim in data.get("claim", []):
        for name in claim.get("lean", []):
            if name not in names:
                names.append(name)
    return names


def pinned_theorems(lean_dir: Path = LEAN_DIR) -> list[str]:
    """The theorems restated in ``LinAttn.Statements``: every ``example`` whose proof term is
    exactly ``@LinAttn.name`` (so its type, the written-out statement, must be the declared
    one).  Raises :class:`ConfigError` when the module is missing."""
    path = lean_dir.joinpath(*STATEMENTS.split(".")).with_suffix(".lean")
    if not path.is_file():
        raise ConfigError.for_arg("lean", f"{STATEMENTS} is missing", str(path))
    return _PIN_RE.findall(strip_comments(path.read_text(encoding="utf-8")))


def unpinned_theorems(theorems: Sequence[str], lean_dir: Path = LEAN_DIR) -> list[str]:
    """The names in ``theorems`` that ``LinAttn.Statements`` does not restate."""
    pinned = set(pinned_theorems(lean_dir))
    return [t for t in theorems if t not in pinned]
