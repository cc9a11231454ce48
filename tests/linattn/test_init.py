"""The public surface of ``linattn`` (``import linattn as la``), the direction of its
dependencies, and its OpenMP wait policy (:mod:`linattn.threads`).

Checked in fresh interpreters, so modules imported by other tests cannot hide a violation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import linattn
from linattn import threads


def _fresh(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY",
                                                             "GOMP_SPINCOUNT")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**base, **env})
    return out.stdout + out.stderr


def test_public_names_resolve() -> None:
    missing = [n for n in linattn.__all__ if not hasattr(linattn, n)]
    assert not missing
    assert len(set(linattn.__all__)) == len(linattn.__all__)
    for n in ("spectral_stats", "linattn_kernel", "relu_ntk", "influence_matrix",
              "estimate_malleability"):
        assert n in linattn.__all__


def test_the_library_never_imports_runnable_code_or_errors_twice() -> None:
    code = ("import sys, json, linattn, linattn.dynamics, linattn.solvers, linattn.reduce\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('experiments', 'benchmarks'))))\n")
    assert json.loads(_fresh(code).splitlines()[-1]) == []
    # the exceptions have one import path: pyverify.errors
    assert not hasattr(linattn, "InputError")


def test_spincount_is_set_before_torch_loads() -> None:
    code = ("import os, linattn, torch\n"
            "print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))\n")
    assert _fresh(code).split() == [threads.SPINCOUNT, "None"]


def test_a_users_setting_is_kept() -> None:
    code = "import os, linattn\nprint(os.environ.get('GOMP_SPINCOUNT'))\n"
    assert _fresh(code, OMP_WAIT_POLICY="PASSIVE").split() == ["None"]
    assert _fresh(code, GOMP_SPINCOUNT="50").split() == ["50"]


def test_torch_first_warns_once_with_the_remedy() -> None:
    code = ("import warnings\nwarnings.simplefilter('always')\nimport torch, linattn\n"
            "from linattn import threads\nprint(threads.configure())\n")
    out = _fresh(code)
    assert out.count("GOMP_SPINCOUNT=1000") == 1 and out.startswith("warned")
