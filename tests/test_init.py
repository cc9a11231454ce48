"""The public surface of ``experiments`` and the direction of its dependencies.

Library modules never import the runnable experiments or the report (checked in a fresh
interpreter, so modules imported by other tests cannot hide a violation).
"""

from __future__ import annotations

import json
import subprocess
import sys

import experiments

LIBRARY = ("checks", "data", "errors", "influence", "kernels", "malleability", "ntk", "qkv",
           "solvers", "spectrum")
RUNNABLE = ("__main__", "report", "correspondence", "spectral_table", "ntk_convergence",
            "influence_malleability", "qkv_extension", "cubing_precision",
            "learning_dynamics", "_cli")


def test_public_names_resolve() -> None:
    missing = [n for n in experiments.__all__ if not hasattr(experiments, n)]
    assert not missing
    assert len(set(experiments.__all__)) == len(experiments.__all__)


def test_library_modules_do_not_import_runnable_code() -> None:
    # One fresh interpreter imports the library modules one by one and records, after each,
    # which runnable modules have appeared: the first import that brings one is the culprit.
    code = (
        "import importlib, sys, json\n"
        f"runnable = {['experiments.' + r for r in RUNNABLE]!r}\n"
        "seen = {}\n"
        f"for name in {list(LIBRARY)!r}:\n"
        "    importlib.import_module('experiments.' + name)\n"
        "    seen[name] = [r for r in runnable if r in sys.modules]\n"
        "print(json.dumps(seen))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    seen = json.loads(out.stdout)
    assert set(seen) == set(LIBRARY)
    bad = {name: mods for name, mods in seen.items() if mods}
    assert not bad, f"library modules import runnable code: {bad}"
