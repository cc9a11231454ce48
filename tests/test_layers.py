"""The import graph of the project: three layers, no cycle, no underscore name crossing.

Dependencies point one way: ``experiments`` and ``benchmarks`` -> ``linattn`` -> ``pyverify``.
``pyverify`` never imports torch (a reference must stay independent of what it checks) and
the library never imports runnable code.  The graph is read from the sources (every
``import`` statement, at module level or inside a function or a ``__main__`` block, so a lazy
import cannot hide a cycle), plus the registry's loading of the experiments by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from experiments.registry import ORDER

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pyverify", "linattn", "experiments", "benchmarks")
ALLOWED = {  # layer -> the project layers it may import
    "pyverify": {"pyverify"},
    "linattn": {"linattn", "pyverify"},
    "experiments": {"experiments", "linattn", "pyverify"},
    "benchmarks": {"benchmarks", "linattn", "pyverify"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to (itself, or its closest package)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(mod: str, path: Path) -> list[tuple[int, str, str | None]]:
    """(line, imported dotted name, the name taken from it or None) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out += [(node.lineno, base, a.name) for a in node.names]
    return out


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        for _, base, name in _imports(mod, path):
            sub = f"{base}.{name}" if name else base
            target = sub if sub in MODULES else _resolve(base)
            if target and target != mod:
                graph[mod].add(target)
    graph["experiments.registry"] |= {f"experiments.{n}" for n in ORDER}  # importlib by name
    return graph


GRAPH = _edges()


def test_layers_point_one_way():
    bad = []
    for mod, targets in GRAPH.items():
        layer = mod.split(".")[0]
        bad += [f"{mod} -> {t}" for t in targets if t.split(".")[0] not in ALLOWED[layer]]
    assert not bad, bad


def test_pyverify_never_imports_torch():
    bad = [f"{mod}:{line} imports {base}" for mod, path in MODULES.items()
           if mod.startswith("pyverify") for line, base, _ in _imports(mod, path)
           if base.split(".")[0] == "torch"]
    assert not bad, bad


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if color.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in color:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        color[node] = 2
        return None

    for node in sorted(graph):
        if node not in color:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    """A package ``__init__`` that re-exports its submodules is an edge pkg -> submodule;
    a submodule's ``from pkg import sibling`` is an edge to the sibling, not to pkg."""
    cycle = _cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


def test_cycle_finder_finds_a_planted_cycle():
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["linattn.checks"].add("linattn.influence")  # influence already imports checks
    assert _cycle(planted) is not None


def test_no_underscore_name_crosses_modules():
    bad = []
    for mod, path in MODULES.items():
        for line, base, name in _imports(mod, path):
            if _resolve(base) is None:
                continue  # third-party
            parts = [*base.split("."), *([name] if name else [])]
            private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
            if private:
                bad.append(f"{mod}:{line}: {base}{'.' + name if name else ''}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in imported):
                # attribute of an imported name: fine for third-party (torch._C), not ours
                src = next((f"{b}.{n}" if n else b for _, b, n in _imports(mod, path)
                            if (n or b.split(".")[0]) == node.value.id), "")
                if _resolve(src) is not None:
                    bad.append(f"{mod}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, bad


@pytest.mark.parametrize("layer", PACKAGES)
def test_no_private_modules_in_the_layers(layer):
    """Every module of a layer is public (shared helpers are public in one module)."""
    private = [m for m in MODULES if m.split(".")[0] == layer and any(
        p.startswith("_") and not p.startswith("__") for p in m.split("."))]
    assert not private, private


def test_modules_stay_small():
    """A module past ~400 lines is probably two."""
    big = {m: n for m, p in MODULES.items()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert not big, big
